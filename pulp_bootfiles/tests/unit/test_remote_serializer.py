"""Validation of the remote's bootloader selection: each rule refuses what it should."""

import pytest
from pysequoia import Tsk

from pulp_bootfiles.app.serializers import BootfilesRemoteSerializer

# The serializer checks the name is unique, so it reads the (real) database.
pytestmark = pytest.mark.django_db


def errors(bootloaders=None, url="http://mirror.invalid/tree/", field="bootloaders"):
    serializer = BootfilesRemoteSerializer(
        data={"name": "n", "url": url, "bootloaders": bootloaders}
    )
    serializer.is_valid()
    return str(serializer.errors.get(field, ""))


@pytest.mark.parametrize("url", ["https://mirror.invalid/f/40/", "http://127.0.0.1:8080/t/"])
def test_url_accepted(url):
    assert errors(url=url, field="url") == ""


@pytest.mark.parametrize("url", ["not a url", "ftp://mirror.invalid/t/", "http:///t/", "/srv/t"])
def test_url_refused(url):
    assert "is not an http(s):// or file:// URL" in errors(url=url, field="url")


@pytest.mark.parametrize(
    "bootloaders",
    [
        None,
        {"x86_64": {"shim-x64": ["/boot/efi/EFI/fedora/shimx64.efi"]}},
        {"aarch64": {"shim-aa64": ["/boot/efi/EFI/fedora/shimaa64.efi"]}, "s390x": {}},
    ],
)
def test_accepted(bootloaders):
    assert errors(bootloaders) == ""


@pytest.mark.parametrize(
    "bootloaders, message",
    [
        ("shim", "Expected a dictionary"),
        ({"x86_64": ["shim-x64"]}, "Expected a dictionary"),
        ({"x86_64": {"shim-x64": []}}, "may not be empty"),
        ({"i386": {"shim": ["/x.efi"]}}, "Unknown arch 'i386'"),
        ({"x86_64": {"shim x64": ["/x.efi"]}}, "not a valid RPM package name"),
        ({"x86_64": {"shim-x64": ["boot/x.efi"]}}, "normalised absolute file path"),
        ({"x86_64": {"shim-x64": ["/boot/../etc/x.efi"]}}, "normalised absolute file path"),
        ({"x86_64": {"shim-x64": ["/boot/efi/"]}}, "normalised absolute file path"),
        ({"x86_64": {"shim-x64": ["/boot//x.efi"]}}, "normalised absolute file path"),
        ({"x86_64": {"a": ["/one/x.efi"], "b": ["/two/x.efi"]}}, "Two files named 'x.efi'"),
    ],
)
def test_refused(bootloaders, message):
    assert message in errors(bootloaders)


def keys_result(openpgp_keys):
    serializer = BootfilesRemoteSerializer(
        data={"name": "n", "url": "http://mirror.invalid/t/", "openpgp_keys": openpgp_keys}
    )
    serializer.is_valid()
    return serializer


def test_openpgp_keys_accepted_and_blank_means_none():
    armored = "".join(
        str(Tsk.generate(user_id).extract_certificate())
        for user_id in ("Packager <packager@example.invalid>", "Other <other@example.invalid>")
    )
    assert keys_result(armored).validated_data["openpgp_keys"] == armored
    assert keys_result("").validated_data["openpgp_keys"] is None


@pytest.mark.parametrize(
    "openpgp_keys, message",
    [
        ("just text", "not an OpenPGP public key"),
        (str(Tsk.generate("Secret <secret@example.invalid>")), "secret key material"),
    ],
)
def test_openpgp_keys_refused(openpgp_keys, message):
    assert message in str(keys_result(openpgp_keys).errors.get("openpgp_keys", ""))
