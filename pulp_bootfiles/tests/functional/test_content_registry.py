"""The registry's read side on the content app: the same manifests, digests, blobs, tags and
signatures as pulp_container's registry beside the API, pulled by real clients; other names
refused; Basic credentials judged as pulp_container's registry judges them."""

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import requests
from oras.client import OrasClient
from pulp_glue.bootfiles.pull import pull

from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.functional.pulp_api import API, CONTENT

API_REGISTRY = API.split("://", 1)[1]
CONTENT_REGISTRY = CONTENT.split("://", 1)[1]
ACCEPT = ",".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)


def get(origin, path, **kwargs):
    return requests.get(f"{origin}{path}", timeout=30, **kwargs)


@pytest.fixture
def served(tree_factory, remote_factory, repository_factory, sync, distribution_factory):
    """An x86_64 and an aarch64 tree of release 40 in one repository, distributed."""
    repository = repository_factory()
    trees = {}
    for goarch, arch in (("amd64", "x86_64"), ("arm64", "aarch64")):
        trees[goarch], url = tree_factory(arch=arch)
        sync(repository, remote_factory(url))
    distribution = distribution_factory(repository=repository["pulp_href"])
    return {"trees": trees, "base_path": distribution["base_path"], "repository": repository}


def test_every_tag_blob_and_list_is_what_the_api_registry_serves(served):
    name = served["base_path"]
    tags = get(API, f"/v2/{name}/tags/list").json()
    assert get(CONTENT, f"/v2/{name}/tags/list").json() == tags
    assert {"40", "40-amd64", "40-arm64"} <= set(tags["tags"])
    for tag in tags["tags"]:
        expected = get(API, f"/v2/{name}/manifests/{tag}", headers={"Accept": ACCEPT})
        assert expected.status_code == 200, (tag, expected.text)
        digest = expected.headers["Docker-Content-Digest"]
        for reference in (tag, digest):
            answer = get(CONTENT, f"/v2/{name}/manifests/{reference}", headers={"Accept": ACCEPT})
            assert answer.status_code == 200, (reference, answer.text)
            assert answer.content == expected.content
            assert answer.headers["Docker-Content-Digest"] == digest
            assert answer.headers["Content-Type"] == expected.headers["Content-Type"]
            head = requests.head(
                f"{CONTENT}/v2/{name}/manifests/{reference}", headers={"Accept": ACCEPT}, timeout=30
            )
            assert (head.status_code, head.content) == (200, b"")
            assert head.headers["Docker-Content-Digest"] == digest
            assert int(head.headers["Content-Length"]) == len(expected.content)
        signatures = f"/extensions/v2/{name}/signatures/{digest}"
        assert get(CONTENT, signatures).json() == get(API, signatures).json()
        manifest = json.loads(expected.content)
        for blob in manifest.get("layers", []) + [manifest.get("config") or {}]:
            if not blob or "data" in blob and blob["size"] <= 2:
                continue  # the empty config travels inline
            body = get(CONTENT, f"/v2/{name}/blobs/{blob['digest']}").content
            assert "sha256:" + hashlib.sha256(body).hexdigest() == blob["digest"]
            assert len(body) == blob["size"]


def test_real_clients_pull_the_same_files_and_digests(served, tmp_path):
    name = served["base_path"]
    client = OrasClient(hostname=CONTENT_REGISTRY, insecure=True)
    for goarch, tree in served["trees"].items():
        outdir = tmp_path / goarch
        pulled = client.pull(target=f"{CONTENT_REGISTRY}/{name}:40-{goarch}", outdir=str(outdir))
        assert {Path(p).name: file_sha256(p) for p in pulled} == tree.expected_files()

    def inspect(registry):
        result = subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{registry}/{name}:40"],
            capture_output=True,
            check=True,
        )
        return result.stdout

    assert inspect(CONTENT_REGISTRY) == inspect(API_REGISTRY)
    copied = subprocess.run(
        [
            "skopeo",
            "copy",
            "--preserve-digests",
            "--src-tls-verify=false",
            f"docker://{CONTENT_REGISTRY}/{name}:40-amd64",
            f"oci:{tmp_path / 'oci'}:40-amd64",
        ],
        capture_output=True,
        text=True,
    )
    assert copied.returncode == 0, copied.stderr  # skopeo checks every digest it copies
    index = json.loads((tmp_path / "oci" / "index.json").read_text())
    api_digest = get(API, f"/v2/{name}/manifests/40-amd64", headers={"Accept": ACCEPT})
    assert index["manifests"][0]["digest"] == api_digest.headers["Docker-Content-Digest"]

    # The plugin's own consumer, as a boot server's timer runs it.
    pull(f"{CONTENT_REGISTRY}/{name}:40", tmp_path / "boot", arches=["x86_64"], plain_http=True)
    kernel = next((tmp_path / "boot").rglob("vmlinuz"))
    assert file_sha256(kernel) == served["trees"]["amd64"].expected_files()["vmlinuz"]


def test_names_it_does_not_serve_are_unknown(served, distribution_factory):
    name = served["base_path"]
    for path in (
        f"/v2/{name}-nothing/manifests/40",
        f"/v2/{name}-nothing/tags/list",
        f"/v2/{name}-nothing/blobs/sha256:{'0' * 64}",
    ):
        answer = get(CONTENT, path)
        assert answer.status_code == 404, path
        assert answer.json()["errors"][0]["code"] == "NAME_UNKNOWN"
    assert get(CONTENT, f"/v2/{name}/manifests/41").json()["errors"][0]["code"] == (
        "MANIFEST_UNKNOWN"
    )
    assert get(CONTENT, f"/v2/{name}/blobs/sha256:{'0' * 64}").json()["errors"][0]["code"] == (
        "BLOB_UNKNOWN"
    )
    # Asked by tag for a type it does not accept: pulp_container's MANIFEST_UNKNOWN too.
    refused = get(CONTENT, f"/v2/{name}/manifests/40-amd64", headers={"Accept": "text/plain"})
    assert refused.status_code == 404


def test_basic_credentials_must_be_valid_as_on_the_api_registry(served):
    path = f"/v2/{served['base_path']}/manifests/40-amd64"
    for auth, status in (
        (None, 200),
        (("", ""), 200),  # "Basic Og==": pulp_container's anonymous
        (("admin", "password"), 200),
        (("admin", "not-the-password"), 401),
    ):
        assert get(API, path, auth=auth, headers={"Accept": ACCEPT}).status_code == status, auth
        assert get(CONTENT, path, auth=auth, headers={"Accept": ACCEPT}).status_code == status, auth


def test_an_on_demand_blob_is_fetched_through_pulp_containers_content_route(
    tree_factory, remote_factory, repository_factory, sync, distribution_factory
):
    """A blob not downloaded yet is redirected to pulp_container's content route, which
    fetches it from the remote: the client gets the right bytes either way."""
    tree, url = tree_factory(arch="x86_64")
    repository = repository_factory()
    sync(repository, remote_factory(url, policy="on_demand"))
    name = distribution_factory(repository=repository["pulp_href"])["base_path"]
    manifest = get(CONTENT, f"/v2/{name}/manifests/40-amd64", headers={"Accept": ACCEPT}).json()
    layer = next(item for item in manifest["layers"] if item["size"] > 0)
    url = f"{CONTENT}/v2/{name}/blobs/{layer['digest']}"
    first = requests.get(url, allow_redirects=False, timeout=30)
    assert first.status_code == 302
    assert f"/pulp/container/{name}/blobs/{layer['digest']}" in first.headers["Location"]
    body = requests.get(url, timeout=60).content
    assert "sha256:" + hashlib.sha256(body).hexdigest() == layer["digest"]
