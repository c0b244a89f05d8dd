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


MATRIX_URL = "https://mirror.invalid/fedora/{release}/Everything/{arch}/os/"


def matrix_errors(**fields):
    serializer = BootfilesRemoteSerializer(data={"name": "n", "url": MATRIX_URL, **fields})
    serializer.is_valid()
    return serializer.errors


def test_matrix_accepted():
    serializer = BootfilesRemoteSerializer(
        data={
            "name": "n",
            "url": MATRIX_URL,
            "releases": ["41", "42"],
            "arches": ["x86_64", "aarch64"],
            "skip_missing": True,
        }
    )
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["releases"] == ["41", "42"]
    assert serializer.validated_data["skip_missing"] is True


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"arches": ["x86_64"]}, "url", "the URL has {release} but releases is not set"),
        ({"releases": ["41"]}, "url", "the URL has {arch} but arches is not set"),
        ({"releases": [], "arches": ["x86_64"]}, "releases", "releases is empty"),
        ({"releases": ["41", "41"], "arches": ["x86_64"]}, "releases", "lists 41 more than"),
        ({"releases": ["41"], "arches": ["amd64"]}, "arches", "unknown arch 'amd64'"),
        ({"releases": ["../x"], "arches": ["x86_64"]}, "releases", "not a safe path component"),
        (
            {"url": "https://m.invalid/41/x86_64/", "releases": ["41"]},
            "url",
            "releases is set but the URL has no {release}",
        ),
        ({"url": "https://m.invalid/{foo}/"}, "url", "unknown placeholder {foo}"),
    ],
)
def test_matrix_refused(fields, field, message):
    assert message in str(matrix_errors(**fields).get(field, ""))


def test_matrix_checked_on_partial_update():
    """A PATCH that changes one of url, releases, arches is checked with the stored others."""
    create = BootfilesRemoteSerializer(
        data={"name": "matrix", "url": MATRIX_URL, "releases": ["41"], "arches": ["x86_64"]}
    )
    assert create.is_valid(), create.errors
    remote = create.save()
    drop_url = BootfilesRemoteSerializer(
        remote, data={"url": "https://m.invalid/41/x86_64/"}, partial=True
    )
    assert not drop_url.is_valid()
    assert "releases is set but the URL has no {release}" in str(drop_url.errors["url"])
    unset_arches = BootfilesRemoteSerializer(remote, data={"arches": None}, partial=True)
    assert not unset_arches.is_valid()
    assert "the URL has {arch} but arches is not set" in str(unset_arches.errors["url"])
    more = BootfilesRemoteSerializer(remote, data={"releases": ["41", "42"]}, partial=True)
    assert more.is_valid(), more.errors


def test_plain_url_keeps_no_lists():
    serializer = BootfilesRemoteSerializer(data={"name": "n", "url": "https://m.invalid/t/"})
    assert serializer.is_valid(), serializer.errors
    remote = serializer.save()
    assert (remote.releases, remote.arches, remote.skip_missing) == (None, None, False)
