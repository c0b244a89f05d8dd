"""Tests of reading netboot OCI artifacts back: the spec's rules, refused one by one."""

import json
from pathlib import Path

import pytest
from pulp_glue.bootfiles.netboot.constants import ANNOTATION, MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci import (
    IndexEntry,
    NetbootFile,
    build_index,
    build_manifest,
    sha256_digest,
)
from pulp_glue.bootfiles.netboot.oci_read import (
    MAX_MANIFEST_SIZE,
    NetbootRuleError,
    default_path,
    read_index,
    read_manifest,
    split_tag,
    wanted_releases,
)

KERNEL = NetbootFile("vmlinuz", "a" * 64, 14966600, "images/pxeboot/vmlinuz")
SHIM = NetbootFile(
    "shimx64.efi", "c" * 64, 949424, "boot/efi/EFI/fedora/shimx64.efi", "shim-x64-15.8-3.x86_64"
)
MANIFEST = build_manifest([KERNEL, SHIM], release="40", created=1713312000)
INDEX = build_index(
    [
        IndexEntry("sha256:" + "1" * 64, 1541, "amd64", "fedora-40"),
        IndexEntry("sha256:" + "2" * 64, 1337, "arm64", "fedora-40"),
    ],
    release="40",
)


def _edit(data, change):
    document = json.loads(data)
    change(document)
    return json.dumps(document).encode()


def test_a_built_manifest_reads_back_to_the_same_bytes():
    artifact = read_manifest(MANIFEST, "40-amd64", "40", "x86_64")
    assert artifact.digest == sha256_digest(MANIFEST)
    assert artifact.created == 1713312000
    assert [(item.file, item.relative_path) for item in artifact.files] == [
        (SHIM, SHIM.src_path),
        (KERNEL, KERNEL.src_path),
    ]
    rebuilt = build_manifest(
        [item.file for item in artifact.files], release="40", created=artifact.created
    )
    assert rebuilt == MANIFEST


def test_provenance_and_trust_annotations_read_back_to_the_same_bytes():
    shim = NetbootFile(
        "shimx64.efi",
        "c" * 64,
        949424,
        "boot/efi/EFI/fedora/shimx64.efi",
        "shim-x64-15.8-3.x86_64",
        src_rpm_key="0123456789abcdef",
        sbat="sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        "shim,4,UEFI shim,shim,1,https://github.com/rhboot/shim",
    )
    provenance = {"created": 1713312000, "kernel_version": "6.8.5-301.fc40.x86_64"}
    manifest = build_manifest([KERNEL, shim], release="40", **provenance)
    artifact = read_manifest(manifest, "40-amd64", "40", "x86_64")
    assert (artifact.source, artifact.created, artifact.kernel_version) == (
        "",
        *provenance.values(),
    )
    assert [item.file for item in artifact.files] == [shim, KERNEL]
    rebuilt = build_manifest([item.file for item in artifact.files], release="40", **provenance)
    assert rebuilt == manifest


def _layer(index, **changes):
    def change(document):
        document["layers"][index].update(changes)

    return change


def _layer_annotation(index, key, value):
    def change(document):
        document["layers"][index]["annotations"][key] = value

    return change


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (
            lambda d: d.update(artifactType="application/vnd.oci.image.config.v1+json"),
            "the manifest artifactType is 'application/vnd.oci.image.config.v1+json', not",
        ),
        (lambda d: d.pop("artifactType"), "the manifest artifactType is None"),
        (lambda d: d.update(mediaType=MEDIA_TYPE.INDEX_OCI), "the manifest mediaType is"),
        (lambda d: d.update(schemaVersion=1), "schemaVersion is not 2"),
        (
            lambda d: d["annotations"].pop(ANNOTATION.NETBOOT_VERSION),
            "annotation org.pulpproject.netboot.version is None, not '1'",
        ),
        (
            lambda d: d["annotations"].update({ANNOTATION.NETBOOT_VERSION: "2"}),
            "org.pulpproject.netboot.version is '2'",
        ),
        (
            lambda d: d["config"].update(digest="sha256:" + "0" * 64),
            "config is not the OCI empty descriptor",
        ),
        (lambda d: d.update(layers=[]), "the manifest has no layers"),
        (
            _layer(0, mediaType="application/vnd.oci.image.layer.v1.tar+gzip"),
            "layer 'shimx64.efi' mediaType is 'application/vnd.oci.image.layer.v1.tar+gzip'",
        ),
        (_layer(0, digest="sha512:abc"), "layer 'shimx64.efi' has a bad digest"),
        (_layer(0, size=-1), "has size -1"),
        (
            _layer_annotation(0, ANNOTATION.TITLE, "../vmlinuz"),
            "title '../vmlinuz' contains a path separator",
        ),
        (_layer_annotation(0, ANNOTATION.TITLE, "grub.cfg"), "is a boot configuration file"),
        (_layer_annotation(0, ANNOTATION.TITLE, "boot.ipxe"), "is a boot configuration file"),
        (_layer_annotation(0, ANNOTATION.TITLE, "vmlinuz"), "titles must be unique"),
        (
            _layer_annotation(1, ANNOTATION.SRC_PATH, "../../etc/passwd"),
            "source path '../../etc/passwd' has a '..' component",
        ),
        (_layer_annotation(1, ANNOTATION.SRC_PATH, "/boot/vmlinuz"), "is absolute"),
        (
            _layer_annotation(0, ANNOTATION.SRC_RPM_KEY, "NOT-A-KEY"),
            "annotation org.pulpproject.netboot.src.rpm.key 'NOT-A-KEY' is not a 16-hex-digit",
        ),
        (
            _layer_annotation(0, ANNOTATION.SBAT, "shim,four"),
            "annotation org.pulpproject.netboot.sbat: ",
        ),
        (
            lambda d: d["annotations"].update({ANNOTATION.VERSION: "41"}),
            "org.opencontainers.image.version is '41', not the release '40'",
        ),
        (
            lambda d: d["annotations"].update({ANNOTATION.CREATED: "yesterday"}),
            "org.opencontainers.image.created 'yesterday'",
        ),
    ],
)
def test_a_manifest_breaking_a_rule_is_refused_naming_tag_and_rule(change, rule):
    with pytest.raises(NetbootRuleError) as error:
        read_manifest(_edit(MANIFEST, change), "40-amd64", "40", "x86_64")
    assert str(error.value).startswith("tag 40-amd64: ")
    assert rule in str(error.value)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"<html>", "the manifest is not JSON"),
        (b"[1, 2]", "the manifest is not a JSON object"),
        (b" " * (MAX_MANIFEST_SIZE + 1), "larger than"),
    ],
)
def test_a_manifest_that_is_not_one_is_refused(data, rule):
    with pytest.raises(NetbootRuleError, match=rule):
        read_manifest(data, "40-amd64", "40", "x86_64")


def test_an_index_reads_into_listings():
    listings = read_index(INDEX, "40")
    assert [(entry.arch, entry.family, entry.size) for entry in listings] == [
        ("x86_64", "fedora", 1541),
        ("aarch64", "fedora", 1337),
    ]


def _entry(index, **changes):
    def change(document):
        document["manifests"][index].update(changes)

    return change


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda d: d.update(mediaType=MEDIA_TYPE.MANIFEST_OCI), "the index mediaType is"),
        (lambda d: d.update(artifactType="application/x-other"), "the index artifactType is"),
        (lambda d: d.pop("annotations"), "the index annotation org.pulpproject.netboot.version"),
        (lambda d: d.update(manifests=[]), "the index lists no manifests"),
        (_entry(0, artifactType="application/x-other"), "artifactType is 'application/x-other'"),
        (_entry(0, digest="sha256:short"), "bad digest"),
        (_entry(0, size=0), "bad size"),
        (
            _entry(1, platform={"architecture": "amd64", "os": "linux", "os.version": "fedora-40"}),
            "more than one manifest for ['x86_64']",
        ),
        (
            _entry(0, platform={"architecture": "mips", "os": "linux", "os.version": "fedora-40"}),
            "platform architecture 'mips'",
        ),
        (
            _entry(0, platform={"architecture": "amd64", "os": "linux", "os.version": "fedora-41"}),
            "os.version 'fedora-41' is not '<os>-40'",
        ),
        (
            _entry(0, annotations={"org.pulpproject.netboot.version": "2"}),
            "org.pulpproject.netboot.version is '2'",
        ),
    ],
)
def test_an_index_breaking_a_rule_is_refused(change, rule):
    with pytest.raises(NetbootRuleError) as error:
        read_index(_edit(INDEX, change), "40")
    assert str(error.value).startswith("tag 40: ")
    assert rule in str(error.value)


@pytest.mark.parametrize(
    ("tag", "parts"),
    [
        ("40", ("40", None)),
        ("40-amd64", ("40", "x86_64")),
        ("rawhide-arm64", ("rawhide", "aarch64")),
        ("40-s390x", ("40", "s390x")),
        ("fedora-40-amd64", ("fedora-40", "x86_64")),
        ("40-mips", ("40-mips", None)),
        ("sha256-abc.sig", ("sha256-abc.sig", None)),
        ("a/b", None),
        ("x!-amd64", None),
        (".40-amd64", None),
    ],
)
def test_split_tag(tag, parts):
    assert split_tag(tag) == parts


@pytest.mark.parametrize(
    ("include", "exclude", "wanted"),
    [
        (None, None, {"40": None, "41": None}),
        (["40*"], None, {"40": None}),
        (["40-amd64"], None, {"40": {"x86_64"}}),
        (["*-amd64", "*-arm64"], ["41*"], {"40": {"x86_64", "aarch64"}}),
        (None, ["40"], {"40": {"x86_64", "aarch64"}, "41": None}),
        (["nothing"], None, {}),
    ],
)
def test_wanted_releases(include, exclude, wanted):
    tags = ["40", "40-amd64", "40-arm64", "41", "41-amd64", "latest", "sha256-1.sig", "40-mips"]
    assert wanted_releases(tags, include, exclude) == wanted


def test_wanted_releases_of_the_foreman_pipeline():
    tags = ["fedora-40", "fedora-40-amd64", "fedora-40-arm64", "centos-stream9", "latest"]
    assert wanted_releases(tags) == {"fedora-40": None}
    assert wanted_releases(tags, ["*-arm64"]) == {"fedora-40": {"aarch64"}}


@pytest.mark.parametrize(
    ("title", "arch", "path"),
    [
        ("vmlinuz", "x86_64", "images/pxeboot/vmlinuz"),
        ("initrd.img", "ppc64le", "ppc/ppc64/initrd.img"),
        ("kernel.img", "s390x", "images/kernel.img"),
        ("shimx64.efi", "x86_64", "boot/efi/EFI/fedora/shimx64.efi"),
        ("pxelinux.0", "x86_64", "tftpboot/pxelinux.0"),
        ("install.img", "aarch64", "images/install.img"),
    ],
)
def test_default_path_of_a_layer_without_a_source_path(title, arch, path):
    assert default_path(title, arch) == path


def test_a_layer_without_source_path_goes_where_the_tree_keeps_it():
    bare = _edit(
        MANIFEST, lambda d: [layer["annotations"].pop(ANNOTATION.SRC_PATH) for layer in d["layers"]]
    )
    artifact = read_manifest(bare, "40-amd64", "40", "x86_64")
    assert [item.relative_path for item in artifact.files] == [
        "boot/efi/EFI/fedora/shimx64.efi",
        "images/pxeboot/vmlinuz",
    ]


SPEC_EXAMPLES = Path(__file__).parent.parent / "data" / "corpus" / "netboot-oci-spec"


def test_the_specs_own_index_example_is_read():
    """The index exactly as the spec shows it: no index-level artifactType (podman writes
    none), annotations and artifactType on the entries."""
    listings = read_index((SPEC_EXAMPLES / "index.json").read_bytes(), "40")
    assert [(entry.arch, entry.family, entry.size) for entry in listings] == [
        ("x86_64", "fedora", 1541),
        ("aarch64", "fedora", 1342),
    ]


def test_the_specs_own_manifest_example_is_read():
    artifact = read_manifest(
        (SPEC_EXAMPLES / "manifest.json").read_bytes(), "40-amd64", "40", "x86_64"
    )
    assert sorted(item.file.title for item in artifact.files) == [
        "boot.iso",
        "grubx64.efi",
        "initrd.img",
        "install.img",
        "pxelinux.0",
        "shimx64.efi",
        "vmlinuz",
    ]
    assert artifact.source == "https://gitlab.com/fedora/bootc/artifacts/kickstart-artifacts"
