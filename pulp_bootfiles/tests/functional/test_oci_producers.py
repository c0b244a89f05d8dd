"""Sync what producers publish: the Foreman pipeline and osbuild/nboci's March 2024 prototype."""

import hashlib
import json
import uuid

import pytest
import requests

from pulp_bootfiles.tests.fixtures.producers import foreman_pipeline, nboci_push
from pulp_bootfiles.tests.fixtures.static_registry import StaticRegistry
from pulp_bootfiles.tests.functional.conftest import FILES, TREES
from pulp_bootfiles.tests.functional.pulp_api import CONTENT, TaskFailed
from pulp_bootfiles.tests.functional.test_serve import registry_get


@pytest.fixture
def registry(fixture_server):
    return StaticRegistry(fixture_server.root, f"producers/{uuid.uuid4().hex[:10]}")


def latest(pulp, repository):
    return pulp.get(repository["pulp_href"])["latest_version_href"]


def served_digests(pulp, base_path, version):
    """{content path: sha256} of the plain files Pulp serves, checked byte for byte."""
    found = {}
    for bootfile in pulp.list(FILES, repository_version=version):
        url = f"{CONTENT}/pulp/content/{base_path}/{bootfile['content_path']}"
        found[bootfile["content_path"]] = hashlib.sha256(requests.get(url, timeout=30).content)
    return {path: digest.hexdigest() for path, digest in found.items()}


def test_the_foreman_pipeline_syncs_into_fedora_40_trees(
    registry,
    fixture_server,
    oci_remote_factory,
    repository_factory,
    sync,
    distribution_factory,
    pulp,
):
    published = foreman_pipeline(registry, "fedora", "40", ["x86_64", "aarch64"], salt="f")
    repository = repository_factory()
    sync(repository, oci_remote_factory(fixture_server.base_url, registry.name))
    version = latest(pulp, repository)
    trees = pulp.list(TREES, repository_version=version)
    assert sorted((t["family"], t["release"], t["arch"]) for t in trees) == [
        ("fedora", "40", "aarch64"),
        ("fedora", "40", "x86_64"),
    ]
    base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]
    assert served_digests(pulp, base_path, version) == {
        f"40/{arch}/images/pxeboot/{title}": sha256
        for arch, files in published.items()
        for title, sha256 in files.items()
    }
    # Served as the spec says: tags 40 and 40-<goarch>, the version annotation on the manifest.
    manifest = registry_get(base_path, "40-amd64")
    assert manifest.status_code == 200, manifest.text
    assert json.loads(manifest.content)["annotations"]["org.pulpproject.netboot.version"] == "1"
    assert registry_get(base_path, "40").status_code == 200


def test_the_nboci_prototype_syncs_with_its_layers_decompressed(
    registry,
    fixture_server,
    oci_remote_factory,
    repository_factory,
    sync,
    distribution_factory,
    pulp,
):
    files = {
        "shim.efi": b"MZ shim " + uuid.uuid4().bytes * 100,
        "vmlinuz": b"kernel " + uuid.uuid4().bytes * 300,
        "initrd.img": b"initrd " + uuid.uuid4().bytes * 900,
    }
    tag = nboci_push(registry, "rhel", "9.3.0", "x86_64", files, "shim.efi")
    registry.manifest(b'{"schemaVersion": 2, "layers": []}', "other-1-x86_64")  # not netboot
    repository = repository_factory()
    sync(repository, oci_remote_factory(fixture_server.base_url, registry.name))
    version = latest(pulp, repository)
    (tree,) = pulp.list(TREES, repository_version=version)
    assert (tree["family"], tree["release"], tree["arch"]) == ("rhel", "9.3.0", "x86_64")
    base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]
    expected = {
        "9.3.0/x86_64/images/shim.efi": files["shim.efi"],
        "9.3.0/x86_64/images/pxeboot/vmlinuz": files["vmlinuz"],
        "9.3.0/x86_64/images/pxeboot/initrd.img": files["initrd.img"],
    }
    assert served_digests(pulp, base_path, version) == {
        path: hashlib.sha256(body).hexdigest() for path, body in expected.items()
    }
    # Pulp serves it as v1: uncompressed layers, whose digests are the files' own.
    manifest = json.loads(registry_get(base_path, "9.3.0-amd64").content)
    assert {layer["digest"] for layer in manifest["layers"]} == {
        f"sha256:{hashlib.sha256(body).hexdigest()}" for body in files.values()
    }
    assert tag not in json.dumps(manifest)


def test_a_format_the_remote_does_not_accept_is_refused_by_tag(
    registry, fixture_server, oci_remote_factory, repository_factory, sync, pulp
):
    foreman_pipeline(registry, "fedora", "40", ["x86_64"], salt="r")
    repository = repository_factory()
    remote = oci_remote_factory(fixture_server.base_url, registry.name, formats=["netboot-v1"])
    with pytest.raises(TaskFailed) as failed:
        sync(repository, remote)
    assert (
        "tag fedora-40-amd64: written in the foreman-pipeline format, which the remote does not "
        "accept (its formats: netboot-v1)"
    ) in failed.value.task["error"]["description"]
    assert latest(pulp, repository).endswith("/versions/0/")


def test_a_prototype_layer_that_is_not_its_file_fails_the_sync(
    registry, fixture_server, oci_remote_factory, repository_factory, sync, pulp
):
    files = {"vmlinuz": b"kernel " + uuid.uuid4().bytes * 300}
    tag = nboci_push(registry, "rhel", "9.4", "x86_64", files, "vmlinuz")
    document = json.loads((registry.base / "manifests" / tag).read_bytes())
    # The annotation names other bytes than the layer carries.
    document["layers"][0]["annotations"]["org.pulpproject.netboot.src.digest"] = (
        "sha256:" + "0" * 64
    )
    registry.manifest(json.dumps(document).encode(), tag)
    repository = repository_factory()
    with pytest.raises(TaskFailed) as failed:
        sync(repository, oci_remote_factory(fixture_server.base_url, registry.name))
    description = failed.value.task["error"]["description"]
    assert f"tag {tag}: layer 'vmlinuz'" in description
    assert f"but its annotations say {len(files['vmlinuz'])} bytes with sha256:{'0' * 64}" in (
        description
    )
    assert latest(pulp, repository).endswith("/versions/0/")
