"""verify_package on real packages signed by rpmsign with keys gpg made: what it accepts and
every way it refuses."""

import io
import shutil
import subprocess

import pytest

from pulp_bootfiles.app.formats.openpgp import Keyring, KeyringError
from pulp_bootfiles.app.formats.rpm_header import RpmError
from pulp_bootfiles.app.formats.rpm_signature import verify_package
from pulp_bootfiles.tests.fixtures import mutations
from pulp_bootfiles.tests.fixtures.rpmbuilder import build_rpm
from pulp_bootfiles.tests.fixtures.rpmsign import generate_key, revoke, sign_rpms

FILES = {"/boot/efi/EFI/fedora/shimx64.efi": b"shim\n" * 5000}


@pytest.fixture(scope="module")
def keys():
    """A trusted RSA key (Fedora's kind, RSAHEADER tag) and an EdDSA stranger (DSAHEADER)."""
    made = {
        "trusted": generate_key("Trusted Packager"),
        "stranger": generate_key("Stranger", "ed25519"),
    }
    yield made
    for key in made.values():
        key.close()


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("unsigned")
    return build_rpm(outdir, "shim-x64", "15.10", "1", "x86_64", FILES, compression="xz")


@pytest.fixture
def signed_by(keys, unsigned, tmp_path):
    """A copy of the package signed by the named key."""

    def sign(name):
        path = tmp_path / f"{name}-{unsigned.name}"
        shutil.copyfile(unsigned, path)
        sign_rpms(keys[name], [path])
        return path

    return sign


def keyring(*keys):
    return Keyring.from_armored("".join(key.public_armor() for key in keys))


def verify(path, ring):
    with open(path, "rb") as stream:
        return verify_package(stream, ring, path.name)


def pgpsig(path, tag):
    query = ["rpm", "-qp", "--nosignature", "--qf", f"%{{{tag}:pgpsig}}", str(path)]
    return subprocess.run(query, check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("name, tag", [("trusted", "RSAHEADER"), ("stranger", "DSAHEADER")])
def test_accepts_a_package_signed_by_a_key_of_the_ring(keys, signed_by, name, tag):
    path = signed_by(name)
    # rpm itself sees the signature this test expects, in the tag it expects
    assert f"Key ID {keys[name].key_id}" in pgpsig(path, tag)
    assert verify(path, keyring(keys[name])) == keys[name].key_id
    assert verify(path, keyring(keys["trusted"], keys["stranger"])) == keys[name].key_id


def test_reads_the_stream_in_small_pieces(keys, signed_by):
    path = signed_by("trusted")
    stream = io.BufferedReader(io.BytesIO(path.read_bytes()), buffer_size=7)
    assert verify_package(stream, keyring(keys["trusted"]), path.name) == keys["trusted"].key_id


def test_refuses_an_unsigned_package(keys, unsigned):
    with pytest.raises(RpmError) as error:
        verify(unsigned, keyring(keys["trusted"]))
    assert str(error.value) == (
        f"{unsigned.name}: is not signed; the remote requires a signature by one of "
        f"{keys['trusted'].key_id}"
    )


def test_refuses_a_package_signed_by_another_key(keys, signed_by):
    path = signed_by("stranger")
    with pytest.raises(RpmError) as error:
        verify(path, keyring(keys["trusted"]))
    assert str(error.value) == (
        f"{path.name}: signed by key {keys['stranger'].key_id}, which is not one of the "
        f"remote's keys ({keys['trusted'].key_id})"
    )


def test_refuses_a_header_altered_after_signing(keys, signed_by):
    path = signed_by("trusted")
    mutations.flip_rpm_header_byte(path)
    with pytest.raises(
        RpmError,
        match=f"header signature by key {keys['trusted'].key_id} does "
        "not verify: the header was altered after signing",
    ):
        verify(path, keyring(keys["trusted"]))


def test_refuses_a_payload_altered_after_signing(keys, signed_by):
    path = signed_by("trusted")
    mutations.flip_rpm_payload_byte(path)
    with pytest.raises(
        RpmError,
        match=r"payload sha256 [0-9a-f]{64} does not match the signed "
        r"header's [0-9a-f]{64}: the payload was altered after signing",
    ):
        verify(path, keyring(keys["trusted"]))


def test_refuses_a_truncated_payload(keys, signed_by):
    path = signed_by("trusted")
    mutations.truncate_file(path, path.stat().st_size - 1)
    with pytest.raises(RpmError, match="payload was altered after signing"):
        verify(path, keyring(keys["trusted"]))


def test_keyring_knows_primary_and_subkey_ids(keys):
    ring = keyring(keys["trusted"], keys["stranger"])
    assert ring.primary_key_ids == sorted([keys["trusted"].key_id, keys["stranger"].key_id])
    assert ring.holds(keys["trusted"].key_id.upper())
    assert not ring.holds("0123456789abcdef")
    assert not ring.holds(None)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "no OpenPGP public key found"),
        (
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64\n"
            "-----END PGP PUBLIC KEY BLOCK-----\n",
            "not an OpenPGP public key",
        ),
    ],
)
def test_keyring_refuses_what_is_not_a_public_key(text, problem):
    with pytest.raises(KeyringError, match=problem):
        Keyring.from_armored(text)


def test_keyring_refuses_secret_keys(keys):
    secret = subprocess.run(
        [
            "gpg",
            "--batch",
            "--homedir",
            str(keys["trusted"].home),
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--armor",
            "--export-secret-keys",
            keys["trusted"].fingerprint,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with pytest.raises(KeyringError, match="secret key material"):
        Keyring.from_armored(secret)


@pytest.fixture
def made_key():
    """Keys made for one test, closed after it."""
    made = []

    def make(*args, **kwargs):
        made.append(generate_key(*args, **kwargs))
        return made[-1]

    yield make
    for key in made:
        key.close()


def signed_copy(unsigned, tmp_path, key, **sign_args):
    path = tmp_path / unsigned.name
    shutil.copyfile(unsigned, path)
    sign_rpms(key, [path], **sign_args)
    return path


def test_accepts_a_signature_made_before_the_key_expired(made_key, unsigned, tmp_path):
    """rpm-sequoia judges the key as of the signature's date: expired now is fine."""
    key = made_key("Expired Since", expire="1d", at="20200101T000000")
    path = signed_copy(unsigned, tmp_path, key, at="20200101T010000")
    assert "2020" in pgpsig(path, "RSAHEADER")
    assert verify(path, keyring(key)) == key.key_id


def test_refuses_a_revoked_key(made_key, unsigned, tmp_path):
    key = made_key("Revoked")
    path = signed_copy(unsigned, tmp_path, key)
    revoke(key)
    with pytest.raises(RpmError) as error:
        verify(path, keyring(key))
    assert str(error.value) == (
        f"{path.name}: header signature by key {key.key_id}: key {key.key_id} is revoked "
        "(no reason given)"
    )


def test_refuses_a_sha1_signature(made_key, unsigned, tmp_path):
    key = made_key("Old Hash")
    path = signed_copy(unsigned, tmp_path, key, digest="SHA1")
    assert "RSA/SHA1," in pgpsig(path, "RSAHEADER")
    with pytest.raises(RpmError) as error:
        verify(path, keyring(key))
    assert str(error.value) == (
        f"{path.name}: header signature by key {key.key_id} uses SHA1, which rpm's policy refuses"
    )


def test_refuses_a_1024_bit_rsa_key(made_key, unsigned, tmp_path):
    key = made_key("Small Key", "rsa1024")
    path = signed_copy(unsigned, tmp_path, key)
    with pytest.raises(RpmError) as error:
        verify(path, keyring(key))
    assert str(error.value) == (
        f"{path.name}: key {key.key_id} is a 1024-bit RSA key, which rpm's policy refuses"
    )
