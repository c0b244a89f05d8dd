"""The readers against artifacts shaped as the Foreman pipeline and nboci write them."""

import hashlib
import json

import pytest
from pulp_glue.bootfiles.netboot.oci_read import (
    NetbootRuleError,
    read_index,
    read_manifest,
    wanted_releases,
)
from pulp_glue.bootfiles.netboot.prototype import (
    is_prototype_manifest,
    is_prototype_tag,
    read_prototype,
)

from pulp_bootfiles.tests.fixtures.producers import foreman_pipeline, nboci_push
from pulp_bootfiles.tests.fixtures.static_registry import StaticRegistry


@pytest.fixture
def registry(tmp_path):
    return StaticRegistry(tmp_path, "foreman/nboci-files")


def manifest_bytes(registry, reference):
    return (registry.base / "manifests" / reference).read_bytes()


def test_the_foreman_pipeline_reads_as_release_40_of_fedora(registry):
    published = foreman_pipeline(registry, "fedora", "40", ["x86_64", "aarch64"], salt="p")
    assert wanted_releases(registry.tags) == {"fedora-40": None}

    listings = read_index(manifest_bytes(registry, "fedora-40"), "fedora-40")
    assert [
        (x.arch, x.family, x.release, x.tag_names_os, x.version_on_entry) for x in listings
    ] == [
        ("x86_64", "fedora", "40", True, True),
        ("aarch64", "fedora", "40", True, True),
    ]
    for listing, arch in zip(listings, ["x86_64", "aarch64"], strict=True):
        data = manifest_bytes(registry, listing.digest)
        artifact = read_manifest(data, f"fedora-40-{arch}", "40", arch, listing.version_on_entry)
        assert not artifact.version_annotated
        assert {item.file.title: item.file.sha256 for item in artifact.files} == published[arch]
        assert {item.relative_path for item in artifact.files} == {
            "images/pxeboot/vmlinuz",
            "images/pxeboot/initrd.img",
        }


def test_a_manifest_without_the_version_is_refused_when_the_entry_lacks_it_too(registry):
    foreman_pipeline(registry, "fedora", "40", ["x86_64"], salt="p")
    (listing,) = read_index(manifest_bytes(registry, "fedora-40"), "fedora-40")
    with pytest.raises(NetbootRuleError, match="annotation org.pulpproject.netboot.version"):
        read_manifest(manifest_bytes(registry, listing.digest), "fedora-40-amd64", "40", "x86_64")


def test_a_centos_stream_tag_splits_at_the_first_dash(registry):
    foreman_pipeline(registry, "centos", "stream9", ["x86_64"], salt="c")
    (listing,) = read_index(manifest_bytes(registry, "centos-stream9"), "centos-stream9")
    assert (listing.family, listing.release) == ("centos", "stream9")


def nboci_files():
    return {
        "shim.efi": b"MZ shim " * 300,
        "grubx64.efi": b"MZ grub " * 500,
        "vmlinuz": b"kernel " * 2000,
        "initrd.img": b"initrd " * 4000,
    }


def test_the_prototype_reads_with_compressed_and_plain_digests(registry):
    files = nboci_files()
    tag = nboci_push(registry, "rhel", "9.3.0", "x86_64", files, "shim.efi", "grubx64.efi")
    assert tag == "rhel-9.3.0-x86_64" and is_prototype_tag(tag)
    data = manifest_bytes(registry, tag)
    assert is_prototype_manifest(json.loads(data))
    family, release, arch, artifact = read_prototype(data, tag)
    assert (family, release, arch) == ("rhel", "9.3.0", "x86_64")
    for item in artifact.files:
        body = files[item.file.title]
        assert (item.file.sha256, item.file.size) == (hashlib.sha256(body).hexdigest(), len(body))
        assert item.blob.compression == "zstd"
        stored = (registry.base / "blobs" / item.blob.digest).read_bytes()
        assert (len(stored), item.blob.size) == (item.blob.size, len(stored))
    assert {item.relative_path for item in artifact.files} >= {"images/pxeboot/vmlinuz"}


def _edit(data, change):
    document = json.loads(data)
    change(document)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda d: d.update(artifactType="application/x-other"), "artifactType is"),
        (lambda d: d["annotations"].update({"org.pulpproject.netboot.os.arch": "ppc64"}), "ppc64"),
        (lambda d: d["annotations"].update({"org.pulpproject.netboot.os.name": "RHEL"}), "os.name"),
        (lambda d: d["layers"][0].update(mediaType="application/x-netboot-file"), "+zstd"),
        (
            lambda d: d["layers"][0]["annotations"].pop("org.pulpproject.netboot.src.digest"),
            "src.digest is None",
        ),
        (
            lambda d: d["layers"][0]["annotations"].update(
                {"org.pulpproject.netboot.src.size": "-1"}
            ),
            "src.size is '-1'",
        ),
        (lambda d: d["layers"][1]["annotations"].update(d["layers"][0]["annotations"]), "unique"),
        (lambda d: d.update(layers=[]), "no layers"),
    ],
)
def test_a_prototype_breaking_a_rule_is_refused(registry, change, rule):
    tag = nboci_push(registry, "rhel", "9.3.0", "x86_64", nboci_files(), "shim.efi")
    with pytest.raises(NetbootRuleError) as error:
        read_prototype(_edit(manifest_bytes(registry, tag), change), tag)
    assert str(error.value).startswith(f"tag {tag}: ")
    assert rule in str(error.value)
