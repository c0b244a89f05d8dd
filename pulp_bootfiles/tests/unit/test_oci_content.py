"""The OCI side made from BootTrees, on the real database: reuse of Artifacts, digests, tags."""

import hashlib
import json
import logging
import uuid

import pytest
from pulp_container.app.models import (
    Blob,
    BlobManifest,
    Manifest,
    ManifestListManifest,
    Tag,
)
from pulp_glue.bootfiles.netboot.constants import ANNOTATION, MEDIA_TYPE, NETBOOT_ARTIFACT_TYPE
from pulp_glue.bootfiles.netboot.oci import EMPTY_CONFIG, EMPTY_CONFIG_DESCRIPTOR
from pulpcore.plugin.models import Artifact, ContentArtifact, RemoteArtifact

from pulp_bootfiles.app.models import BootFile, BootfilesRemote, BootTree
from pulp_bootfiles.app.oci.content import oci_content_for

pytestmark = pytest.mark.django_db

EMPTY_DIGEST = EMPTY_CONFIG_DESCRIPTOR["digest"]
BUILD_TIMESTAMP = 1713394015  # 2024-04-17T22:46:55Z


@pytest.fixture
def bootfile(tmp_path):
    """Make a BootFile of `data`, with a saved Artifact unless `downloaded` is False."""

    def make(path, data, arch="x86_64", release="40", source_package="", downloaded=True):
        sha256 = hashlib.sha256(data).hexdigest()
        unit = BootFile.objects.create(
            name=path.rsplit("/", 1)[-1],
            relative_path=path,
            release=release,
            arch=arch,
            sha256=sha256,
            source_package=source_package,
        )
        artifact = Artifact.objects.filter(sha256=sha256).first()
        if downloaded and artifact is None:
            file = tmp_path / f"{sha256}.bin"
            file.write_bytes(data)
            artifact = Artifact.init_and_validate(str(file))
            artifact.save()
        ContentArtifact.objects.create(
            content=unit, artifact=artifact if downloaded else None, relative_path=unit.content_path
        )
        return unit

    return make


def boottree(files, arch="x86_64", release="40", digest=None):
    tree = BootTree.objects.create(
        family="Fedora",
        short="Fedora",
        release=release,
        arch=arch,
        build_timestamp=BUILD_TIMESTAMP,
        digest=digest or hashlib.sha256(f"{release}/{arch}".encode()).hexdigest(),
    )
    tree.files.set(files)
    return tree


@pytest.fixture
def trees(bootfile):
    """Two arches of release 40; both share the bytes of install.img."""
    x86 = [
        bootfile("images/pxeboot/vmlinuz", b"x86 kernel"),
        bootfile("images/pxeboot/initrd.img", b"x86 initrd"),
        bootfile("images/install.img", b"stage2"),
        bootfile(
            "boot/efi/EFI/fedora/shimx64.efi", b"shim", source_package="shim-x64-15.8-3.x86_64"
        ),
    ]
    arm = [
        bootfile("images/pxeboot/vmlinuz", b"arm kernel", arch="aarch64"),
        bootfile("images/pxeboot/initrd.img", b"arm initrd", arch="aarch64"),
        bootfile("images/install.img", b"stage2", arch="aarch64"),
    ]
    return [boottree(x86), boottree(arm, arch="aarch64")]


def artifact_of(unit):
    return ContentArtifact.objects.get(content=unit).artifact


def tagged(name):
    return Tag.objects.get(name=name).tagged_manifest


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Artifact, Blob, Manifest, Tag, BlobManifest, ManifestListManifest)
    }


def test_artifacts_are_reused_and_only_the_empty_config_is_new(trees):
    before = Artifact.objects.count()
    assert not Artifact.objects.filter(sha256=EMPTY_DIGEST.removeprefix("sha256:")).exists()
    oci_content_for(trees)
    assert Artifact.objects.count() == before + 1
    config = Artifact.objects.get(sha256=EMPTY_DIGEST.removeprefix("sha256:"))
    assert config.size == 2
    with config.file.open("rb") as file:
        assert file.read() == EMPTY_CONFIG

    oci_content_for(trees)
    assert Artifact.objects.count() == before + 1


def test_an_existing_empty_config_artifact_is_reused(trees, tmp_path):
    file = tmp_path / "empty"
    file.write_bytes(b"{}")
    existing = Artifact.init_and_validate(str(file))
    existing.save()
    before = Artifact.objects.count()
    oci_content_for(trees)
    assert Artifact.objects.count() == before
    assert artifact_of(Blob.objects.get(digest=EMPTY_DIGEST)) == existing


def test_blobs_point_at_the_bootfiles_artifacts(trees):
    oci_content_for(trees)
    for tree in trees:
        for unit in tree.files.all():
            digest = f"sha256:{unit.sha256}"
            content_artifact = ContentArtifact.objects.get(content=Blob.objects.get(digest=digest))
            assert content_artifact.relative_path == digest
            assert content_artifact.artifact == artifact_of(unit)
    # Same bytes in both trees: one Blob.
    stage2 = f"sha256:{hashlib.sha256(b'stage2').hexdigest()}"
    assert Blob.objects.filter(digest=stage2).count() == 1
    config = ContentArtifact.objects.get(content=Blob.objects.get(digest=EMPTY_DIGEST))
    assert config.relative_path == EMPTY_DIGEST


def test_per_arch_manifests(trees):
    oci_content_for(trees)
    for tree, goarch in zip(trees, ["amd64", "arm64"], strict=True):
        manifest = tagged(f"40-{goarch}")
        data = manifest.data.encode()
        assert manifest.digest == "sha256:" + hashlib.sha256(data).hexdigest()
        assert manifest.media_type == MEDIA_TYPE.MANIFEST_OCI
        assert manifest.schema_version == 2
        assert manifest.config_blob.digest == EMPTY_DIGEST
        assert manifest.type == "artifact"
        assert (manifest.architecture, manifest.os) == (goarch, "linux")
        doc = json.loads(data)
        assert doc["artifactType"] == NETBOOT_ARTIFACT_TYPE
        assert manifest.annotations == doc["annotations"]
        assert doc["annotations"] == {
            "org.pulpproject.netboot.version": "1",
            "org.opencontainers.image.version": "40",
            "org.opencontainers.image.created": "2024-04-17T22:46:55Z",
            "org.pulpproject.netboot.tree.build_timestamp": str(BUILD_TIMESTAMP),
        }
        files = {unit.name: unit for unit in tree.files.all()}
        layers = {layer["annotations"][ANNOTATION.TITLE]: layer for layer in doc["layers"]}
        assert set(layers) == set(files)
        for title, layer in layers.items():
            unit = files[title]
            assert layer["digest"] == f"sha256:{unit.sha256}"
            assert layer["size"] == artifact_of(unit).size
            assert layer["annotations"][ANNOTATION.SRC_PATH] == unit.relative_path
            assert layer["annotations"].get(ANNOTATION.SRC_RPM, "") == unit.source_package
        assert manifest.compressed_image_size == sum(layer["size"] for layer in doc["layers"])
        linked = set(manifest.blobs.values_list("digest", flat=True))
        assert linked == {layer["digest"] for layer in doc["layers"]} | {EMPTY_DIGEST}
    shim = json.loads(tagged("40-amd64").data)["layers"]
    assert {"shim-x64-15.8-3.x86_64"} == {
        layer["annotations"].get(ANNOTATION.SRC_RPM) for layer in shim
    } - {None}


def test_the_release_index_lists_both_manifests(trees):
    oci_content_for(trees)
    index = tagged("40")
    amd64, arm64 = tagged("40-amd64"), tagged("40-arm64")
    data = index.data.encode()
    assert index.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert index.media_type == MEDIA_TYPE.INDEX_OCI
    assert index.type == "index"
    assert index.annotations == {"org.pulpproject.netboot.version": "1"}
    assert set(index.listed_manifests.all()) == {amd64, arm64}
    platforms = {
        link.manifest_list: (link.architecture, link.os, link.os_version)
        for link in ManifestListManifest.objects.filter(image_manifest=index)
    }
    assert platforms == {
        amd64: ("amd64", "linux", "fedora-40"),
        arm64: ("arm64", "linux", "fedora-40"),
    }
    listed = json.loads(data)["manifests"]
    assert [(entry["digest"], entry["size"], entry["platform"]) for entry in listed] == [
        (
            manifest.digest,
            len(manifest.data.encode()),
            {"architecture": goarch, "os": "linux", "os.version": "fedora-40"},
        )
        for manifest, goarch in ((amd64, "amd64"), (arm64, "arm64"))
    ]


def test_returns_every_unit_once_and_a_second_call_creates_nothing(trees):
    first = oci_content_for(trees)
    after_first = counts()
    second = oci_content_for(reversed(trees))
    assert counts() == after_first
    assert [unit.pk for unit in first] == [unit.pk for unit in second]
    assert len({unit.pk for unit in first}) == len(first)

    by_type = {}
    for unit in first:
        by_type.setdefault(type(unit), set()).add(unit.pk)
    assert by_type[Tag] == set(Tag.objects.values_list("pk", flat=True))
    assert {Tag.objects.get(pk=pk).name for pk in by_type[Tag]} == {"40-amd64", "40-arm64", "40"}
    assert by_type[Manifest] == set(Manifest.objects.values_list("pk", flat=True))
    assert len(by_type[Manifest]) == 3
    # 4 x86_64 files + 2 own aarch64 files (install.img is shared) + the empty config.
    assert by_type[Blob] == set(Blob.objects.values_list("pk", flat=True))
    assert len(by_type[Blob]) == 7


def test_a_tree_with_a_file_not_downloaded_is_skipped(bootfile, caplog):
    caplog.set_level(logging.INFO, logger="pulp_bootfiles.app.oci.content")
    complete = boottree([bootfile("images/pxeboot/vmlinuz", b"x86 kernel")])
    deferred = boottree(
        [
            bootfile("images/pxeboot/vmlinuz", b"arm kernel", arch="aarch64"),
            bootfile("images/install.img", b"arm stage2", arch="aarch64", downloaded=False),
        ],
        arch="aarch64",
    )
    units = oci_content_for([complete, deferred])
    assert (
        "No OCI artifact for tree Fedora 40 aarch64: the size of a file not downloaded yet is "
        "unknown" in caplog.text
    )
    assert {tag.name for tag in units if isinstance(tag, Tag)} == {"40-amd64", "40"}
    assert not Tag.objects.filter(name="40-arm64").exists()
    assert [
        entry["platform"]["architecture"] for entry in json.loads(tagged("40").data)["manifests"]
    ] == ["amd64"]
    assert not Blob.objects.filter(
        digest=f"sha256:{hashlib.sha256(b'arm kernel').hexdigest()}"
    ).exists()


def test_a_file_not_downloaded_of_known_size_is_a_layer_streamed_from_its_remote(bootfile):
    remote = BootfilesRemote.objects.create(name=f"r-{uuid.uuid4()}", url="http://up.example/")
    data = b"arm stage2, on the upstream only"
    deferred = bootfile("images/install.img", data, arch="aarch64", downloaded=False)
    RemoteArtifact.objects.create(
        content_artifact=deferred.contentartifact_set.get(),
        remote=remote,
        url="http://up.example/images/install.img",
        sha256=deferred.sha256,
        size=len(data),
    )
    tree = boottree([bootfile("images/pxeboot/vmlinuz", b"k", arch="aarch64"), deferred], "aarch64")
    oci_content_for([tree])
    layers = {
        layer["digest"]: layer["size"] for layer in json.loads(tagged("40-arm64").data)["layers"]
    }
    assert layers[f"sha256:{deferred.sha256}"] == len(data)
    blob_ca = Blob.objects.get(digest=f"sha256:{deferred.sha256}").contentartifact_set.get()
    assert blob_ca.artifact is None
    (streamed_from,) = blob_ca.remoteartifact_set.all()
    assert (streamed_from.url, streamed_from.remote_id, streamed_from.size) == (
        "http://up.example/images/install.img",
        remote.pk,
        len(data),
    )


def test_only_deferred_trees_create_nothing(bootfile):
    before = counts()
    deferred = boottree([bootfile("images/pxeboot/vmlinuz", b"kernel", downloaded=False)])
    assert oci_content_for([deferred]) == []
    assert counts() == before


def test_a_blob_synced_on_demand_gets_the_bootfiles_artifact(trees):
    kernel = next(unit for unit in trees[0].files.all() if unit.name == "vmlinuz")
    digest = f"sha256:{kernel.sha256}"
    blob = Blob.objects.create(digest=digest)
    ContentArtifact.objects.create(content=blob, artifact=None, relative_path=digest)
    units = oci_content_for(trees)
    assert blob.pk in {unit.pk for unit in units}
    assert artifact_of(blob) == artifact_of(kernel)
