"""rpm's own signed test packages and keys (data/corpus/signatures, see ORIGIN.md): our verdict
against what rpm says.

`rpm_sequoia` is rpm's verdict with its Sequoia backend, as rpm's tests/rpmsigdig.at records
it. Debian's rpm 4.18 (internal OpenPGP parser) is run where it can import the key; it cannot
import alice's keys or the key with an EdDSA subkey ("key 1 import failed"), so for those the
table follows rpm-sequoia alone (`debian_rpm` None).
"""

import subprocess
from pathlib import Path

import pytest

from pulp_bootfiles.app.formats.openpgp import Keyring
from pulp_bootfiles.app.formats.rpm_header import RpmError
from pulp_bootfiles.app.formats.rpm_signature import verify_package

CORPUS = Path(__file__).parent / "data" / "corpus" / "signatures"
RSA_KEY = "rpm.org-rsa-2048-test.pub"

# package, key, our result (signing key id, or the refusal's text), rpm -K with Debian's rpm
CASES = [
    ("hello-2.0-1.x86_64-v3-signed.rpm", RSA_KEY, "4344591e1964c5fc", True),
    ("hello-2.0-1.x86_64-signed.rpm", RSA_KEY, "4344591e1964c5fc", True),
    ("hlinktest-1.0-1.noarch-v3sig.rpm", RSA_KEY, "4344591e1964c5fc", True),
    (
        "hello-2.0-1.x86_64.rpm",
        RSA_KEY,
        "is not signed; the remote requires a signature by one of 4344591e1964c5fc",
        False,
    ),
    (
        "hello-2.0-1.x86_64-signed-with-subkey.rpm",
        RSA_KEY,
        "signed by key 1f71177215217ee0, which is not one of the remote's keys",
        False,
    ),
    ("hello-2.0-1.x86_64-signed-with-subkey.rpm", "alice.asc", "1f71177215217ee0", None),
    (
        "hello-2.0-1.x86_64-signed-with-subkey.rpm",
        "alice-expired-subkey.asc",
        "header signature by key 1f71177215217ee0 was made on 2022-04-13 14:22:42 UTC, but "
        "key 1f71177215217ee0 expired on 2022-04-12 00:00:15 UTC",
        None,
    ),
    (
        "hello-2.0-1.x86_64-signed-with-subkey.rpm",
        "alice-revoked-subkey.asc",
        "header signature by key 1f71177215217ee0: key 1f71177215217ee0 is revoked (compromised)",
        None,
    ),
    (
        "hello-2.0-1.x86_64-signed-with-new-subkey.rpm",
        "rpm.org-rsa-2048-add-subkey.asc",
        "6323c42711450b6c",
        None,
    ),
]


def ours(package, key):
    ring = Keyring.from_armored((CORPUS / key).read_text())
    try:
        with open(CORPUS / package, "rb") as stream:
            return verify_package(stream, ring, package)
    except RpmError as error:
        return str(error)


def rpmkeys_accepts(package, key, dbpath):
    subprocess.run(
        ["rpmkeys", "--dbpath", str(dbpath), "--import", str(CORPUS / key)],
        check=True,
        capture_output=True,
    )
    # a remote with keys requires a signature, as _pkgverify_level "signature" does
    check = subprocess.run(
        ["rpmkeys", "--dbpath", str(dbpath), "--define", "_pkgverify_level signature", "-K"]
        + [str(CORPUS / package)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    return check.returncode == 0


@pytest.mark.parametrize("package, key, expected, debian_rpm", CASES)
def test_verdict_matches_rpm(package, key, expected, debian_rpm, tmp_path):
    result = ours(package, key)
    accepted = len(expected) == 16 and " " not in expected
    if accepted:
        assert result == expected
    else:
        assert result == f"{package}: {expected}" or result.startswith(f"{package}: {expected}")
    if debian_rpm is not None:
        assert debian_rpm == accepted
        assert rpmkeys_accepts(package, key, tmp_path) == accepted
