"""Scaled out: a boot storm through nginx balancing two content apps (and two workers) whose
storage is S3. Zero errors, every byte right, plain files answered by redirect to the bucket;
then a re-sync while machines keep booting, after which each content app, asked directly,
serves the new version's configs and files, and no config names a file that version lacks.
And the registry's reads through the same balancer: what pulp_container's registry serves,
blobs by redirect to the bucket, answered by both content apps."""

import hashlib
import re
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from oras.client import OrasClient

from benchmarks import storm_client
from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.conftest import DISTRIBUTIONS, FILES, REMOTES, REPOSITORIES
from pulp_bootfiles.tests.functional.pulp_api import PulpAPI
from pulp_bootfiles.tests.functional.second_stack.object_store import ObjectStore
from pulp_bootfiles.tests.functional.second_stack.scale_out import S3Stack, ScaledOut

MACHINES, INSTALL_EVERY = 12, 4  # the storm: every loader four times, three install.img
SIZES = {"images/pxeboot/initrd.img": 3_000_000, "images/install.img": 5_000_000}
REGISTRY_PATHS = ("/v2/", "/extensions/v2/")
ACCEPT = "application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json"


@pytest.fixture(scope="module")
def scaled_out():
    """An S3Stack on a moto bucket of its own, with two content apps, two workers and nginx."""
    store = ObjectStore(bucket="pulp-bootfiles-scale-out")
    store.start()
    stack = S3Stack(store)
    try:
        stack.start()
        with ScaledOut(stack) as scaled:
            yield scaled
    finally:
        stack.stop()
        store.stop()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def served_tree(api, repository, base_url) -> storm_client.Tree:
    """The storm's Tree of the repository's latest version: its files' sha256 from the API,
    the configs' as `base_url` (the tree root, ending in '/') answers them."""
    version = api.get(repository["pulp_href"])["latest_version_href"]
    files = api.list(FILES, repository_version=version)
    tree = storm_client.tree_of(files, {f["relative_path"]: f["sha256"] for f in files})
    for path in tree.configs:
        response = requests.get(base_url + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code)
        tree.digests[path] = sha256(response.content)
    return tree


class StormLoop(threading.Thread):
    """Small storms one after the other until stopped; every fetch is kept."""

    def __init__(self, base_url, tree):
        super().__init__(daemon=True)
        self.base_url, self.tree, self.stop = base_url, tree, threading.Event()
        self.fetches, self.failures = [], []

    def run(self):
        while not self.stop.is_set():
            result = storm_client.run_storm(self.base_url, self.tree, 6, 0)
            self.fetches += result.fetches
            # Digest mismatches are judged by the test (either version may be right); a
            # failed connection is wrong in any case.
            self.failures += [error for error in result.errors if "sha256 differs" not in error]


def paths_named(config: str, origin: str, tree_path: str) -> set[str]:
    """The paths in the tree that a config names by URL (iPXE) or as `(http,host)/...` (GRUB);
    '' is the tree root (inst.stage2). Fails on a URL of another origin."""
    host = urlsplit(origin).netloc
    named = set()
    for match in re.finditer(r"(?:http://|\(http,)([^/)\s]+)\)?(/[^\s']*)", config):
        assert match.group(1) == host, f"a config names {match.group(0)}, not via {origin}"
        path = match.group(2)
        assert path.startswith(tree_path), f"a config names {path}, outside {tree_path}"
        named.add(path[len(tree_path) :].lstrip("/"))
    return named


def test_boot_storm_through_two_content_apps_on_s3(scaled_out, tree_factory):
    api = PulpAPI(base=scaled_out.stack.api)
    tree, tree_url = tree_factory(image_sizes=SIZES)
    suffix = uuid.uuid4().hex[:10]
    remote = api.post(REMOTES, {"name": f"r-{suffix}", "url": tree_url}, expect=201).json()
    repository = api.post(REPOSITORIES, {"name": f"r-{suffix}"}, expect=201).json()
    api.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    body = {
        "name": f"d-{suffix}",
        "base_path": f"storm-{suffix}",
        "repository": repository["pulp_href"],
        "boot_origin": scaled_out.url,  # machines reach Pulp through the balancer
    }
    api.run(DISTRIBUTIONS, body)
    tree_path = f"/pulp/content/storm-{suffix}/{tree.release}/{tree.arch}"
    balanced = f"{scaled_out.url}{tree_path}/"
    old = served_tree(api, repository, balanced)

    storm = storm_client.run_storm(balanced, old, MACHINES, INSTALL_EVERY)
    planned = storm_client.plans(old, MACHINES, INSTALL_EVERY)
    assert storm.errors == []
    assert storm.requests == sum(map(len, planned)) == len(storm.fetches)
    files = [fetch for fetch in storm.fetches if fetch.kind == "file"]
    assert files and all(fetch.redirected for fetch in files), "a file came from a content app"
    assert not [fetch.path for fetch in storm.fetches if fetch.kind != "file" and fetch.redirected]
    upstreams = scaled_out.answers_by_upstream(("/pulp/content/",))
    apps = {urlsplit(content).netloc for content in scaled_out.contents}
    assert set(upstreams) == apps and min(upstreams.values()) >= storm.requests // 3, upstreams
    assert api.get("/pulp/api/v3/status/")["online_workers"][1:], "two workers are online"

    # A respin (new kernel, initrd, install.img) synced while machines keep booting.
    new_tree = build_tree(tree.root, image_sizes=SIZES, salt=f"respun-{suffix}")
    assert new_tree.images[old.kernel] != tree.images[old.kernel]
    loop = StormLoop(balanced, old)
    loop.start()
    try:
        time.sleep(0.5)
        api.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
        synced_at = time.monotonic()
        time.sleep(1.5)
    finally:
        loop.stop.set()
        loop.join(120)
    new = served_tree(api, repository, balanced)
    assert new.digests[new.kernel] == new_tree.images[new.kernel]
    assert loop.failures == []
    after = [fetch for fetch in loop.fetches if fetch.started > synced_at]
    assert after, "no machine booted after the sync"
    for fetch in loop.fetches:
        assert fetch.status == (404 if fetch.kind == "probe" else 200), fetch
        if fetch.kind != "probe":
            versions = {old.digests[fetch.path], new.digests[fetch.path]}
            assert fetch.sha256 in versions, f"{fetch.path}: bytes of neither version"
    stale = [f.path for f in after if f.kind != "probe" and f.sha256 != new.digests[f.path]]
    assert stale == [], "old bytes after the new version was served"

    # Each content app, asked directly: the new version's configs, and every file they name.
    for content in scaled_out.contents:
        direct = f"{content}{tree_path}/"
        for config in new.configs:
            text = requests.get(direct + config, timeout=30).text
            assert sha256(text.encode()) == new.digests[config], (content, config)
            for path in paths_named(text, scaled_out.url, tree_path) - {""}:
                response = requests.get(direct + path, timeout=30)
                assert response.status_code == 200, (content, config, path)
                assert sha256(response.content) == new.digests[path], (content, path)
        treeinfo = requests.get(direct + ".treeinfo", timeout=30).content  # inst.stage2's
        assert sha256(treeinfo) == new_tree.treeinfo_sha256, content
        for path in (new.kernel, new.initrd, new.install_img, new.shim, new.grub):
            response = requests.get(direct + path, timeout=30)
            assert response.history and response.history[0].status_code == 302, path
            assert sha256(response.content) == new.digests[path], (content, path)


def test_registry_reads_through_two_content_apps_on_s3(scaled_out, tree_factory, tmp_path):
    api = PulpAPI(base=scaled_out.stack.api)
    tree, tree_url = tree_factory()
    suffix = uuid.uuid4().hex[:10]
    remote = api.post(REMOTES, {"name": f"o-{suffix}", "url": tree_url}, expect=201).json()
    repository = api.post(REPOSITORIES, {"name": f"o-{suffix}"}, expect=201).json()
    api.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    name = f"oci-{suffix}"
    body = {"name": name, "base_path": name, "repository": repository["pulp_href"]}
    api.run(DISTRIBUTIONS, body)
    before = scaled_out.answers_by_upstream(REGISTRY_PATHS)
    balanced, registry = scaled_out.url, scaled_out.stack.api  # pulp_container's: the API's

    def get(origin, path, **kwargs):
        return requests.get(f"{origin}{path}", timeout=30, **kwargs)

    def manifest(origin, reference):
        return get(origin, f"/v2/{name}/manifests/{reference}", headers={"Accept": ACCEPT})

    assert get(balanced, "/v2/").status_code == 200
    tags = get(registry, f"/v2/{name}/tags/list").json()
    assert get(balanced, f"/v2/{name}/tags/list").json() == tags
    tag = f"{tree.release}-amd64"
    assert tag in tags["tags"]
    layers = {}
    for each in tags["tags"]:
        expected = manifest(registry, each)
        assert expected.status_code == 200, (each, expected.text)
        digest = expected.headers["Docker-Content-Digest"]
        for reference in (each, digest):
            answer = manifest(balanced, reference)
            assert answer.status_code == 200, (reference, answer.text)
            assert (answer.content, answer.headers["Docker-Content-Digest"]) == (
                expected.content,
                digest,
            )
        layers.update({layer["digest"]: layer for layer in expected.json().get("layers", [])})
        signatures = f"/extensions/v2/{name}/signatures/{digest}"
        assert get(balanced, signatures).json() == get(registry, signatures).json()
    assert layers

    # Every layer: a redirect to the bucket, whose object has the layer's digest.
    store = scaled_out.stack.object_store
    for digest, layer in layers.items():
        answer = get(balanced, f"/v2/{name}/blobs/{digest}", allow_redirects=False)
        assert answer.status_code == 302, (digest, answer.status_code, answer.text)
        location = answer.headers["Location"]
        assert location.startswith(f"{store.endpoint}/{store.bucket}/"), location
        stored = requests.get(location, timeout=30)
        assert stored.status_code == 200, (location, stored.text)
        assert "sha256:" + sha256(stored.content) == digest
        assert len(stored.content) == layer["size"]

    # A real client through the balancer.
    host = urlsplit(balanced).netloc
    pulled = OrasClient(hostname=host, insecure=True).pull(
        target=f"{host}/{name}:{tag}", outdir=str(tmp_path / "pulled")
    )
    assert {Path(p).name: file_sha256(p) for p in pulled} == tree.expected_files()

    answered = scaled_out.answers_by_upstream(REGISTRY_PATHS) - before
    apps = {urlsplit(content).netloc for content in scaled_out.contents}
    assert set(answered) == apps, answered  # both apps, and nothing to the API
