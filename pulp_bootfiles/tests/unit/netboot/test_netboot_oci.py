"""Tests of the netboot OCI manifest and index builders: the spec's rules, field by field."""

import base64
import hashlib
import json

import jsonschema
import pytest
from pulp_container.app.json_schemas import OCI_INDEX_SCHEMA, OCI_MANIFEST_SCHEMA
from pulp_glue.bootfiles.netboot.constants import (
    ANNOTATION,
    MEDIA_TYPE,
    NETBOOT_ARTIFACT_TYPE,
    NETBOOT_SPEC_VERSION,
)
from pulp_glue.bootfiles.netboot.oci import (
    EMPTY_CONFIG,
    EMPTY_CONFIG_DESCRIPTOR,
    IndexEntry,
    NetbootFile,
    arch_tag,
    build_index,
    build_manifest,
    os_version,
    release_tag,
    sha256_digest,
)

KERNEL = NetbootFile("vmlinuz", "a" * 64, 14966600, "images/pxeboot/vmlinuz")
INITRD = NetbootFile("initrd.img", "b" * 64, 149397724, "images/pxeboot/initrd.img")
SHIM = NetbootFile(
    "shimx64.efi",
    "c" * 64,
    949424,
    "boot/efi/EFI/fedora/shimx64.efi",
    src_rpm="shim-x64-15.8-3.x86_64",
)
FILES = [KERNEL, INITRD, SHIM]
AMD64 = IndexEntry("sha256:" + "1" * 64, 1541, "amd64", "fedora-40")
ARM64 = IndexEntry("sha256:" + "2" * 64, 1342, "arm64", "fedora-40")


def manifest(files=FILES, **kwargs):
    return json.loads(build_manifest(files, release="40", **kwargs))


def validate(document, schema):
    jsonschema.Draft202012Validator(schema).validate(document)


# The empty config and digests


def test_empty_config_is_the_oci_empty_descriptor():
    assert EMPTY_CONFIG == b"{}"
    assert EMPTY_CONFIG_DESCRIPTOR == {
        "mediaType": "application/vnd.oci.empty.v1+json",
        "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        "size": 2,
        "data": "e30=",
    }
    assert EMPTY_CONFIG_DESCRIPTOR["digest"] == sha256_digest(EMPTY_CONFIG)
    assert EMPTY_CONFIG_DESCRIPTOR["size"] == len(EMPTY_CONFIG)
    assert base64.b64decode(EMPTY_CONFIG_DESCRIPTOR["data"]) == EMPTY_CONFIG


def test_sha256_digest():
    assert sha256_digest(b"abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()


# The per-arch manifest


def test_manifest_top_level_fields():
    doc = manifest()
    assert doc["schemaVersion"] == 2
    assert (
        doc["mediaType"] == MEDIA_TYPE.MANIFEST_OCI == "application/vnd.oci.image.manifest.v1+json"
    )
    assert doc["artifactType"] == NETBOOT_ARTIFACT_TYPE
    assert doc["artifactType"] == "application/vnd.org.pulpproject.netboot.artifact.v1"
    assert doc["config"] == EMPTY_CONFIG_DESCRIPTOR
    assert set(doc) == {
        "schemaVersion",
        "mediaType",
        "artifactType",
        "config",
        "layers",
        "annotations",
    }


def test_manifest_has_one_layer_per_file_sorted_by_title():
    layers = manifest()["layers"]
    assert [layer["annotations"][ANNOTATION.TITLE] for layer in layers] == [
        "initrd.img",
        "shimx64.efi",
        "vmlinuz",
    ]
    for layer in layers:
        assert layer["mediaType"] == "application/x-netboot-file"
        assert set(layer) == {"mediaType", "digest", "size", "annotations"}


def test_layer_digest_size_and_annotations():
    by_title = {layer["annotations"][ANNOTATION.TITLE]: layer for layer in manifest()["layers"]}
    kernel = by_title["vmlinuz"]
    assert kernel["digest"] == "sha256:" + "a" * 64
    assert kernel["size"] == 14966600
    # No source package: no src.rpm annotation at all.
    assert kernel["annotations"] == {
        "org.opencontainers.image.title": "vmlinuz",
        "org.pulpproject.netboot.src.path": "images/pxeboot/vmlinuz",
    }
    assert by_title["shimx64.efi"]["annotations"] == {
        "org.opencontainers.image.title": "shimx64.efi",
        "org.pulpproject.netboot.src.path": "boot/efi/EFI/fedora/shimx64.efi",
        "org.pulpproject.netboot.src.rpm": "shim-x64-15.8-3.x86_64",
    }


def test_manifest_annotations_minimal():
    assert manifest()["annotations"] == {
        "org.pulpproject.netboot.version": "1",
        "org.opencontainers.image.version": "40",
    }
    assert NETBOOT_SPEC_VERSION == "1"


def test_manifest_annotations_with_created():
    doc = manifest(created=1713394015)
    assert doc["annotations"] == {
        "org.pulpproject.netboot.version": "1",
        "org.opencontainers.image.version": "40",
        "org.opencontainers.image.created": "2024-04-17T22:46:55Z",
        "org.pulpproject.netboot.tree.build_timestamp": "1713394015",
    }
    assert ANNOTATION.CREATED == "org.opencontainers.image.created"


def test_provenance_and_trust_annotations():
    shim = NetbootFile(
        "shimx64.efi",
        "c" * 64,
        3,
        "boot/efi/EFI/fedora/shimx64.efi",
        "shim-x64-15.8-3.x86_64",
        src_rpm_key="32fc8128bac21096",
        sbat="sbat,1\nshim,4\n",
    )
    doc = json.loads(build_manifest([shim], release="40", kernel_version="6.8.5-301.fc40.x86_64"))
    assert doc["annotations"] == {
        "org.pulpproject.netboot.version": "1",
        "org.opencontainers.image.version": "40",
        "org.pulpproject.netboot.kernel.version": "6.8.5-301.fc40.x86_64",
    }
    assert doc["layers"][0]["annotations"] == {
        "org.opencontainers.image.title": "shimx64.efi",
        "org.pulpproject.netboot.src.path": "boot/efi/EFI/fedora/shimx64.efi",
        "org.pulpproject.netboot.src.rpm": "shim-x64-15.8-3.x86_64",
        "org.pulpproject.netboot.src.rpm.key": "32fc8128bac21096",
        "org.pulpproject.netboot.sbat": "sbat,1\nshim,4\n",
    }


def test_created_epoch_zero_is_kept():
    assert manifest(created=0)["annotations"][ANNOTATION.CREATED] == "1970-01-01T00:00:00Z"


def test_manifest_bytes_are_compact_sorted_json():
    data = build_manifest(FILES, release="40")
    doc = json.loads(data)
    assert data == json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    assert b" " not in data and b"\n" not in data


def test_manifest_is_deterministic_regardless_of_input_order():
    first = build_manifest(FILES, release="40", created=1713394015)
    again = build_manifest(list(reversed(FILES)), release="40", created=1713394015)
    shuffled = build_manifest(iter([SHIM, KERNEL, INITRD]), release="40", created=1713394015)
    assert first == again == shuffled
    assert sha256_digest(first) == sha256_digest(shuffled)


def test_different_files_give_a_different_manifest():
    other_kernel = NetbootFile("vmlinuz", "d" * 64, 14966600, "images/pxeboot/vmlinuz")
    assert build_manifest(FILES, release="40") != build_manifest(
        [other_kernel, INITRD, SHIM], release="40"
    )


def test_manifest_validates_against_the_oci_schema():
    validate(manifest(created=1), OCI_MANIFEST_SCHEMA)
    validate(manifest(), OCI_MANIFEST_SCHEMA)


def test_the_schemas_do_refuse_a_broken_document():
    broken = manifest()
    del broken["layers"][0]["digest"]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, OCI_MANIFEST_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        validate(manifest(), OCI_INDEX_SCHEMA)


# The index


def index(entries=(AMD64, ARM64)):
    return json.loads(build_index(entries, release="40"))


def test_index_top_level_fields():
    doc = index()
    assert doc["schemaVersion"] == 2
    assert doc["mediaType"] == MEDIA_TYPE.INDEX_OCI == "application/vnd.oci.image.index.v1+json"
    assert doc["artifactType"] == NETBOOT_ARTIFACT_TYPE
    assert doc["annotations"] == {"org.pulpproject.netboot.version": "1"}
    assert set(doc) == {"schemaVersion", "mediaType", "artifactType", "manifests", "annotations"}


def test_index_entries():
    entries = index()["manifests"]
    assert entries == [
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + "1" * 64,
            "size": 1541,
            "artifactType": "application/vnd.org.pulpproject.netboot.artifact.v1",
            "platform": {"architecture": "amd64", "os": "linux", "os.version": "fedora-40"},
            "annotations": {"org.pulpproject.netboot.version": "1"},
        },
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + "2" * 64,
            "size": 1342,
            "artifactType": "application/vnd.org.pulpproject.netboot.artifact.v1",
            "platform": {"architecture": "arm64", "os": "linux", "os.version": "fedora-40"},
            "annotations": {"org.pulpproject.netboot.version": "1"},
        },
    ]


def test_index_is_deterministic_and_sorted_by_architecture():
    s390x = IndexEntry("sha256:" + "3" * 64, 900, "s390x", "fedora-40")
    ppc = IndexEntry("sha256:" + "4" * 64, 901, "ppc64le", "fedora-40")
    first = build_index([s390x, ARM64, AMD64, ppc], release="40")
    again = build_index([ppc, AMD64, s390x, ARM64], release="40")
    assert first == again
    doc = json.loads(first)
    assert [e["platform"]["architecture"] for e in doc["manifests"]] == [
        "amd64",
        "arm64",
        "ppc64le",
        "s390x",
    ]
    assert first == json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def test_index_validates_against_the_oci_schema():
    validate(index(), OCI_INDEX_SCHEMA)


def test_index_of_real_manifests_points_at_their_bytes():
    data = build_manifest(FILES, release="40")
    entry = IndexEntry(sha256_digest(data), len(data), "amd64", os_version("Fedora", "40"))
    listed = index([entry])["manifests"][0]
    assert listed["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert listed["size"] == len(data)


# Tags and platform names


@pytest.mark.parametrize(
    "arch, tag",
    [
        ("x86_64", "40-amd64"),
        ("aarch64", "40-arm64"),
        ("ppc64le", "40-ppc64le"),
        ("s390x", "40-s390x"),
    ],
)
def test_arch_tag(arch, tag):
    assert arch_tag("40", arch) == tag


def test_release_tag_and_os_version():
    assert release_tag("40") == "40"
    assert release_tag("9.4") == "9.4"
    assert os_version("Fedora", "40") == "fedora-40"
    assert os_version("CentOS", "10") == "centos-10"


# Every refusal


@pytest.mark.parametrize(
    "title",
    [
        "",
        ".",
        "..",
        "images/vmlinuz",
        "/vmlinuz",
        "EFI\\BOOT\\grubx64.efi",
        "vm\nlinuz",
        "grub.cfg",
        # Named like a config the server generates, which would hide it in the plain tree.
        "boot.ipxe",
        "BOOT.iPXE",
    ],
)
def test_bad_titles_are_refused_naming_the_title(title):
    with pytest.raises(ValueError) as error:
        NetbootFile(title, "a" * 64, 1, "images/x")
    assert repr(title) in str(error.value)


@pytest.mark.parametrize("sha256", ["A" * 64, "a" * 63, "sha256:" + "a" * 64, "", None])
def test_bad_sha256_is_refused(sha256):
    with pytest.raises(ValueError, match="vmlinuz"):
        NetbootFile("vmlinuz", sha256, 1, "images/pxeboot/vmlinuz")


@pytest.mark.parametrize("size", [-1, 1.5, "10", None, True])
def test_bad_size_is_refused(size):
    with pytest.raises(ValueError, match="size"):
        NetbootFile("vmlinuz", "a" * 64, size, "images/pxeboot/vmlinuz")


def test_duplicate_titles_are_refused():
    other = NetbootFile("vmlinuz", "e" * 64, 5, "ppc/ppc64/vmlinuz")
    with pytest.raises(ValueError, match="repeated: vmlinuz"):
        build_manifest([KERNEL, INITRD, other], release="40")


def test_a_manifest_without_files_is_refused():
    with pytest.raises(ValueError, match="at least one file"):
        build_manifest([], release="40")


@pytest.mark.parametrize("release", ["", None, 40])
def test_manifest_with_bad_release_is_refused(release):
    with pytest.raises(ValueError, match="Release"):
        build_manifest(FILES, release=release)


@pytest.mark.parametrize("created", [-1, 1.5, "2024-04-17", True])
def test_bad_created_is_refused(created):
    with pytest.raises(ValueError, match="Created"):
        build_manifest(FILES, release="40", created=created)


@pytest.mark.parametrize("digest", ["sha256:" + "1" * 63, "1" * 64, "sha512:" + "1" * 64, None])
def test_index_entry_with_bad_digest_is_refused(digest):
    with pytest.raises(ValueError, match="digest"):
        IndexEntry(digest, 10, "amd64", "fedora-40")


@pytest.mark.parametrize("size", [0, -3, "10", None])
def test_index_entry_with_bad_size_is_refused(size):
    with pytest.raises(ValueError, match="size"):
        IndexEntry("sha256:" + "1" * 64, size, "amd64", "fedora-40")


@pytest.mark.parametrize("goarch", ["x86_64", "aarch64", "i386", ""])
def test_index_entry_with_a_non_goarch_architecture_is_refused(goarch):
    with pytest.raises(ValueError, match="architecture"):
        IndexEntry("sha256:" + "1" * 64, 10, goarch, "fedora-40")


def test_index_with_two_manifests_of_one_arch_is_refused():
    other = IndexEntry("sha256:" + "5" * 64, 10, "amd64", "fedora-40")
    with pytest.raises(ValueError, match="more than one manifest for: amd64"):
        build_index([AMD64, ARM64, other], release="40")


def test_an_index_without_manifests_is_refused():
    with pytest.raises(ValueError, match="at least one manifest"):
        build_index([], release="40")


@pytest.mark.parametrize("other_version", ["fedora-41", "-40", "fedora40"])
def test_index_entry_of_another_release_is_refused(other_version):
    entry = IndexEntry("sha256:" + "6" * 64, 10, "arm64", other_version)
    with pytest.raises(ValueError, match="os.version"):
        build_index([AMD64, entry], release="40")


@pytest.mark.parametrize("release", ["", "40 beta", "-40", "x" * 129, None])
def test_release_that_cannot_be_a_tag_is_refused(release):
    with pytest.raises(ValueError, match="Release"):
        release_tag(release)
    with pytest.raises(ValueError, match="Release"):
        arch_tag(release, "x86_64")
    with pytest.raises(ValueError, match="Release"):
        build_index([AMD64], release=release)


def test_arch_tag_too_long_is_refused():
    with pytest.raises(ValueError, match="longer"):
        arch_tag("4" * 125, "x86_64")


@pytest.mark.parametrize("arch", ["amd64", "i686", "noarch", ""])
def test_arch_tag_of_an_unknown_arch_is_refused(arch):
    with pytest.raises(ValueError, match="Architecture"):
        arch_tag("40", arch)


@pytest.mark.parametrize("family, release", [("", "40"), ("Fedora", "")])
def test_os_version_needs_family_and_release(family, release):
    with pytest.raises(ValueError, match="os.version"):
        os_version(family, release)
