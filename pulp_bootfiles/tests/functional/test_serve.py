"""One distribution serves a repository as netboot OCI artifacts and as plain files."""

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import requests
from oras.client import OrasClient

from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.conftest import FILES
from pulp_bootfiles.tests.functional.pulp_api import API, CONTENT

BLOBS = "/pulp/api/v3/content/container/blobs/"
REGISTRY = API.split("://", 1)[1]  # pulp_container's registry (/v2/) is served by the API
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ARTIFACT_TYPE = "application/vnd.org.pulpproject.netboot.artifact.v1"


def registry_get(base_path, reference, accept=f"{OCI_MANIFEST},{OCI_INDEX}", origin=API):
    """A manifest from pulp_container's registry (`origin`: or the content app's)."""
    return requests.get(
        f"{origin}/v2/{base_path}/manifests/{reference}", headers={"Accept": accept}, timeout=30
    )


@pytest.fixture
def served(tree_factory, remote_factory, repository_factory, sync, distribution_factory):
    """An x86_64 and an aarch64 tree of release 40 in one repository, distributed."""
    x86, x86_url = tree_factory(arch="x86_64")
    arm, arm_url = tree_factory(arch="aarch64")
    repository = repository_factory()
    remote = remote_factory(x86_url)
    sync(repository, remote)
    sync(repository, remote_factory(arm_url))
    distribution = distribution_factory(repository=repository["pulp_href"])
    return {
        "trees": {"amd64": x86, "arm64": arm},
        "repository": repository,
        "remote": remote,
        "distribution": distribution,
    }


def test_oras_pulls_each_arch_with_the_source_bytes(served, tmp_path):
    base_path = served["distribution"]["base_path"]
    client = OrasClient(hostname=REGISTRY, insecure=True)
    for goarch, tree in served["trees"].items():
        outdir = tmp_path / goarch
        pulled = client.pull(target=f"{REGISTRY}/{base_path}:40-{goarch}", outdir=str(outdir))
        assert {Path(p).name: file_sha256(p) for p in pulled} == tree.expected_files()


def test_skopeo_copies_and_sees_both_platforms(served, tmp_path):
    base_path = served["distribution"]["base_path"]
    source = f"docker://{REGISTRY}/{base_path}"
    # skopeo checks every digest of the manifest and blobs it copies.
    subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", f"{source}:40-amd64", f"oci:{tmp_path}/oci"],
        check=True,
        capture_output=True,
    )
    raw = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", "--raw", f"{source}:40"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    index = json.loads(raw)
    platforms = {(m["platform"]["architecture"], m["platform"]["os"]) for m in index["manifests"]}
    assert platforms == {("amd64", "linux"), ("arm64", "linux")}


def test_manifest_and_index_follow_the_netboot_spec(served):
    base_path = served["distribution"]["base_path"]
    x86 = served["trees"]["amd64"]
    response = registry_get(base_path, "40-amd64")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == OCI_MANIFEST
    manifest = response.json()
    assert (
        response.headers["Docker-Content-Digest"]
        == "sha256:" + hashlib.sha256(response.content).hexdigest()
    )
    assert manifest["schemaVersion"] == 2
    assert manifest["mediaType"] == OCI_MANIFEST
    assert manifest["artifactType"] == ARTIFACT_TYPE
    assert manifest["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert manifest["config"]["digest"] == (
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    )
    assert manifest["config"]["size"] == 2
    assert manifest["annotations"]["org.pulpproject.netboot.version"] == "1"
    titles = {}
    for layer in manifest["layers"]:
        assert layer["mediaType"] == "application/x-netboot-file"
        title = layer["annotations"]["org.opencontainers.image.title"]
        assert "/" not in title
        titles[title] = layer["digest"]
    assert titles == {name: f"sha256:{sha}" for name, sha in x86.expected_files().items()}

    index_response = registry_get(base_path, "40")
    assert index_response.headers["Content-Type"] == OCI_INDEX
    index = index_response.json()
    assert index["mediaType"] == OCI_INDEX
    assert index["annotations"]["org.pulpproject.netboot.version"] == "1"
    for entry in index["manifests"]:
        assert entry["artifactType"] == ARTIFACT_TYPE
        assert entry["annotations"]["org.pulpproject.netboot.version"] == "1"
        assert entry["platform"]["os.version"] == "fedora-40"
    amd64 = next(m for m in index["manifests"] if m["platform"]["architecture"] == "amd64")
    assert amd64["digest"] == response.headers["Docker-Content-Digest"]


def test_plain_http_serves_the_tree_layout(served):
    base_path = served["distribution"]["base_path"]
    for tree in served["trees"].values():
        prefix = f"{CONTENT}/pulp/content/{base_path}/{tree.release}/{tree.arch}"
        for path, sha in tree.images.items():
            response = requests.get(f"{prefix}/{path}", timeout=30)
            assert response.status_code == 200, path
            assert hashlib.sha256(response.content).hexdigest() == sha, path
        for path, expected in tree.bootfiles.items():
            response = requests.get(f"{prefix}{path}", timeout=30)
            assert hashlib.sha256(response.content).hexdigest() == expected.sha256, path
        treeinfo = requests.get(f"{prefix}/.treeinfo", timeout=30)
        assert treeinfo.content == tree.treeinfo_path.read_bytes()
    # Range requests work for resumable downloads of big images.
    kernel = f"{CONTENT}/pulp/content/{base_path}/40/x86_64/images/pxeboot/vmlinuz"
    partial = requests.get(kernel, headers={"Range": "bytes=0-9"}, timeout=30)
    assert partial.status_code == 206 and len(partial.content) == 10


def test_blobs_reuse_the_synced_artifacts(served, pulp):
    version = pulp.get(served["repository"]["pulp_href"])["latest_version_href"]
    file_artifacts = {
        f["sha256"]: f["artifact"] for f in pulp.list(FILES, repository_version=version)
    }
    blobs = pulp.list(BLOBS, repository_version=version)
    for blob in blobs:
        sha = blob["digest"].split(":", 1)[1]
        if sha in file_artifacts:
            assert blob["artifact"] == file_artifacts[sha]
    assert len(blobs) == len(file_artifacts) + 1  # the files and the empty config


def test_distribution_shows_pull_references(served):
    distribution = served["distribution"]
    registry_path = distribution["registry_path"]
    assert registry_path.endswith("/" + distribution["base_path"])
    assert distribution["oci_references"] == [
        f"{registry_path}:40",
        f"{registry_path}:40-amd64",
        f"{registry_path}:40-arm64",
    ]


def test_new_kernel_moves_the_tag(served, sync, pulp):
    base_path = served["distribution"]["base_path"]
    old = registry_get(base_path, "40-amd64").headers["Docker-Content-Digest"]
    x86 = served["trees"]["amd64"]
    new_tree = build_tree(x86.root, release="40", arch="x86_64", salt="new-kernel")
    sync(served["repository"], served["remote"])

    manifest = registry_get(base_path, "40-amd64")
    assert manifest.headers["Docker-Content-Digest"] != old
    kernel = next(
        layer
        for layer in manifest.json()["layers"]
        if layer["annotations"]["org.opencontainers.image.title"] == "vmlinuz"
    )
    assert kernel["digest"] == "sha256:" + new_tree.images["images/pxeboot/vmlinuz"]
    # The old manifest left the served version with its tree (documented choice).
    assert registry_get(base_path, old).status_code == 404


def test_deleting_the_distribution_removes_both_sides(served, pulp):
    distribution = served["distribution"]
    pulp.wait(pulp.delete(distribution["pulp_href"]).json()["task"])
    assert registry_get(distribution["base_path"], "40-amd64").status_code == 404
    kernel = f"{CONTENT}/pulp/content/{distribution['base_path']}/40/x86_64/images/pxeboot/vmlinuz"
    assert requests.get(kernel, timeout=30).status_code == 404


def test_two_mirrors_give_the_same_digests_and_name_neither(
    tree_factory,
    fixture_server,
    mirror_server,
    remote_factory,
    repository_factory,
    sync,
    distribution_factory,
):
    """A tree's manifest depends on its files only: not on the mirror nor on the repository."""
    _, url = tree_factory()
    mirror_url = url.replace(fixture_server.base_url, mirror_server.base_url, 1)
    served = {}
    for source in (url, mirror_url):
        repository = repository_factory()
        sync(repository, remote_factory(source))
        base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]
        served[source] = [registry_get(base_path, tag) for tag in ("40-amd64", "40")]
    for responses in served.values():
        for response in responses:
            assert response.status_code == 200, response.text
            assert url not in response.text and mirror_url not in response.text
    digests = [[r.headers["Docker-Content-Digest"] for r in rs] for rs in served.values()]
    assert digests[0] == digests[1]
