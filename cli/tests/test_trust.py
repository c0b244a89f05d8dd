"""A tree remote's OpenPGP keys from the CLI (signing a repository: test_oci.py)."""

import pytest
from endpoints import REMOTES, TREE_URL, only

# The functional suite's test keys (GnuPG), as test_chain_of_trust.py uses them.
from pulp_bootfiles.tests.functional.test_chain_of_trust import keys  # noqa: F401

pytestmark = pytest.mark.functional


def test_remote_openpgp_keys(cli, pulp, name, keys, tmp_path):  # noqa: F811
    trusted, stranger = keys["trusted"], keys["stranger"]
    key_file = tmp_path / "RPM-GPG-KEY-test"
    key_file.write_text(trusted.public_armor() + stranger.public_armor())
    cli("remote create", name=name, url=TREE_URL, openpgp_keys=f"@{key_file}")
    remote = only(pulp, REMOTES, name)
    assert sorted(remote["openpgp_key_ids"]) == sorted([trusted.key_id, stranger.key_id])
    assert remote["openpgp_keys"] == key_file.read_text()

    cli("remote update", name=name, openpgp_keys="")  # empty: no signature check
    remote = pulp.get(remote["pulp_href"])
    assert (remote["openpgp_keys"], remote["openpgp_key_ids"]) == (None, [])

    binary = tmp_path / "key.gpg"
    binary.write_bytes(b"\x99\x01\x0d\x04\xff\xfe\x80")
    broken = tmp_path / "broken.asc"
    broken.write_text(
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PUBLIC KEY BLOCK-----\n"
    )
    cases = [
        ("@/no/such/key.asc", 1, "Failed to load content from /no/such/key.asc"),
        (f"@{binary}", 2, "is not text; export the keys with 'gpg --armor --export'"),
        ("fedora-40-primary", 2, "holds no ASCII-armored OpenPGP public key block"),
        (f"@{broken}", 1, "openpgp_keys"),  # the server reads the block and refuses it
    ]
    for value, exit_code, message in cases:
        result = cli(
            "remote create", name=f"{name}-bad", url=TREE_URL, openpgp_keys=value, expect=exit_code
        )
        assert message in result.stderr, (value, result.stderr)
        assert "Traceback" not in result.stderr
    assert pulp.list(REMOTES, name=f"{name}-bad") == []
