"""Sync from a netboot OCI registry: another Pulp, a static registry, hostile upstreams."""

import hashlib
import json
import uuid

import pytest
import requests

from pulp_bootfiles.tests.fixtures.static_registry import StaticRegistry, publish
from pulp_bootfiles.tests.functional.conftest import FILES, OCI_REMOTES, REPOSITORIES, TREES
from pulp_bootfiles.tests.functional.pulp_api import API, CONTENT, TaskFailed
from pulp_bootfiles.tests.functional.test_serve import registry_get


@pytest.fixture
def static_registry(fixture_server):
    """A fresh repository of the static registry under the fixture server; (registry, url)."""
    return StaticRegistry(fixture_server.root, f"netboot/{uuid.uuid4().hex[:10]}")


def registry_tags(base_path):
    response = requests.get(f"{API}/v2/{base_path}/tags/list", timeout=30)
    assert response.status_code == 200, response.text
    return sorted(response.json()["tags"])


def file_digests(pulp, version_href):
    return {
        f["content_path"]: f["sha256"] for f in pulp.list(FILES, repository_version=version_href)
    }


def latest(pulp, repository):
    return pulp.get(repository["pulp_href"])["latest_version_href"]


def test_pulp_to_pulp_gives_identical_artifacts(
    netboot_upstream,
    repository_factory,
    sync,
    distribution_factory,  # noqa: F811
    oci_remote_factory,
    pulp,
):
    upstream, upstream_dist = netboot_upstream["repository"], netboot_upstream["distribution"]

    downstream = repository_factory()
    remote = oci_remote_factory(API, upstream_dist["base_path"])
    task = sync(downstream, remote)
    assert task["created_resources"], task
    downstream_dist = distribution_factory(repository=downstream["pulp_href"])

    up, down = upstream_dist["base_path"], downstream_dist["base_path"]
    assert registry_tags(down) == registry_tags(up) == ["40", "40-amd64", "40-arm64"]
    for tag in registry_tags(up):
        theirs, ours = registry_get(up, tag), registry_get(down, tag)
        assert ours.status_code == 200, ours.text
        assert ours.content == theirs.content, tag
        assert ours.headers["Docker-Content-Digest"] == theirs.headers["Docker-Content-Digest"]
    assert file_digests(pulp, latest(pulp, downstream)) == file_digests(
        pulp, latest(pulp, upstream)
    )
    # The plain-file side serves the same bytes at the same paths.
    for path, sha256 in file_digests(pulp, latest(pulp, downstream)).items():
        body = requests.get(f"{CONTENT}/pulp/content/{down}/{path}", timeout=30).content
        assert hashlib.sha256(body).hexdigest() == sha256, path

    # Nothing changed upstream: no new version.
    assert sync(downstream, remote)["created_resources"] == []


def test_static_registry_sync_makes_trees_and_skips_unchanged_tags(
    static_registry, fixture_server, oci_remote_factory, repository_factory, sync, pulp
):
    registry = static_registry
    published = publish(registry, "40", ["x86_64", "ppc64le"], salt=uuid.uuid4().hex)
    registry.manifest(b'{"schemaVersion": 2}', "latest")  # not a netboot tag: left alone
    repository = repository_factory()
    remote = oci_remote_factory(fixture_server.base_url, registry.name)
    sync(repository, remote)

    version = latest(pulp, repository)
    trees = pulp.list(TREES, repository_version=version)
    assert sorted((t["family"], t["release"], t["arch"]) for t in trees) == [
        ("fedora", "40", "ppc64le"),
        ("fedora", "40", "x86_64"),
    ]
    # Synced from a registry, and served as the manifests it came as.
    assert {t["origin"] for t in trees} == {"registry"}
    assert all(t["manifest_digest"].startswith("sha256:") for t in trees)
    assert file_digests(pulp, version) == {
        "40/x86_64/images/pxeboot/vmlinuz": published["x86_64"]["vmlinuz"],
        "40/x86_64/images/pxeboot/initrd.img": published["x86_64"]["initrd.img"],
        "40/ppc64le/ppc/ppc64/vmlinuz": published["ppc64le"]["vmlinuz"],
        "40/ppc64le/ppc/ppc64/initrd.img": published["ppc64le"]["initrd.img"],
    }

    asked_before = len(fixture_server.requests)
    assert sync(repository, remote)["created_resources"] == []
    again = fixture_server.requests[asked_before:]
    assert again and not [path for path in again if "/blobs/" in path], again


def test_tag_filters_select_arches(
    static_registry, fixture_server, oci_remote_factory, repository_factory, sync, pulp
):
    publish(static_registry, "40", ["x86_64", "aarch64"], salt=uuid.uuid4().hex)
    publish(static_registry, "41", ["x86_64"], salt=uuid.uuid4().hex, family="fedora")
    repository = repository_factory()
    remote = oci_remote_factory(
        fixture_server.base_url,
        static_registry.name,
        include_tags=["*-amd64"],
        exclude_tags=["41*"],
    )
    sync(repository, remote)
    trees = pulp.list(TREES, repository_version=latest(pulp, repository))
    assert [(t["release"], t["arch"]) for t in trees] == [("40", "x86_64")]


def _wrong_artifact_type(arch, document):
    document["artifactType"] = "application/vnd.oci.image.config.v1+json"


def _climbing_title(arch, document):
    document["layers"][0]["annotations"]["org.opencontainers.image.title"] = "../vmlinuz"


def _lying_layer_digest(registry, published):
    """The kernel blob's bytes are replaced: they no longer match the digest it is stored as."""
    digest = "sha256:" + published["x86_64"]["vmlinuz"]
    (registry.base / "blobs" / digest).write_bytes(b"something else entirely\n")


def _missing_blob(registry, published):
    registry.remove("blobs", "sha256:" + published["x86_64"]["initrd.img"])


def _index_without_its_manifest(registry, published):
    index = (registry.base / "manifests" / "40").read_bytes()
    digest = json.loads(index)["manifests"][0]["digest"]
    registry.remove("manifests", digest)
    registry.remove("manifests", "40-amd64")
    registry.tags.remove("40-amd64")
    registry.manifest(index)  # rewrites tags/list without 40-amd64


@pytest.fixture(scope="module")
def synced_once(fixture_server, pulp):
    """A repository with one version synced from a good static registry, for the module."""
    good = StaticRegistry(fixture_server.root, f"good/{uuid.uuid4().hex[:10]}")
    publish(good, "39", ["x86_64"], salt=uuid.uuid4().hex)
    name = f"good-{uuid.uuid4()}"
    remote = pulp.post(
        OCI_REMOTES,
        {"name": name, "url": fixture_server.base_url, "upstream_name": good.name},
        expect=201,
    ).json()
    repository = pulp.post(REPOSITORIES, {"name": name}, expect=201).json()
    pulp.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    yield repository
    for href in (repository["pulp_href"], remote["pulp_href"]):
        pulp.wait(pulp.delete(href).json()["task"])


@pytest.mark.parametrize(
    ("edit_manifest", "break_registry", "message"),
    [
        (
            _wrong_artifact_type,
            None,
            "tag 40-amd64: the manifest artifactType is "
            "'application/vnd.oci.image.config.v1+json', not "
            "'application/vnd.org.pulpproject.netboot.artifact.v1'",
        ),
        (_climbing_title, None, "tag 40-amd64: Netboot file title '../vmlinuz' contains a path"),
        (None, _lying_layer_digest, "tag 40-amd64: layer 'vmlinuz' (sha256:"),
        (None, _missing_blob, "tag 40-amd64: could not download layer 'initrd.img'"),
        (None, _index_without_its_manifest, "tag 40: could not download manifest sha256:"),
    ],
    ids=[
        "wrong-artifact-type",
        "title-with-dotdot",
        "layer-digest-mismatch",
        "blob-404",
        "index-to-missing-manifest",
    ],
)
def test_hostile_upstream_is_refused_and_the_version_kept(
    edit_manifest,
    break_registry,
    message,
    synced_once,
    fixture_server,
    oci_remote_factory,
    sync,
    pulp,
):
    repository = synced_once
    before = latest(pulp, repository)
    assert before.endswith("/versions/1/")

    hostile = StaticRegistry(fixture_server.root, f"hostile/{uuid.uuid4().hex[:10]}")
    published = publish(hostile, "40", ["x86_64"], uuid.uuid4().hex, edit_manifest=edit_manifest)
    if break_registry:
        break_registry(hostile, published)
    with pytest.raises(TaskFailed) as failed:
        sync(repository, oci_remote_factory(fixture_server.base_url, hostile.name))
    assert message in failed.value.task["error"]["description"]
    assert latest(pulp, repository) == before
