"""The plain side of a distribution, answered by its content handler from the served version's
index: validators, resumed downloads, listings, misses, and coherence while clients keep
fetching through a sync, a repoint and a delete."""

import hashlib
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from pulp_bootfiles.app.compat import CONTENT_CACHE_KEEPS_NOT_FOUND
from pulp_bootfiles.app.formats.netboot_index import INDEX_NAME, read_index
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.pulp_api import CONTENT
from pulp_bootfiles.tests.functional.pulp_db import statements_logged

KERNEL = "images/pxeboot/vmlinuz"
INITRD = "images/pxeboot/initrd.img"


ROOT = Path(__file__).resolve().parents[3]


def restart_stack(cache: bool) -> None:
    """Restart the stack's Pulp processes with pulpcore's Redis content cache on or off."""
    env = {**os.environ, "BOOTFILES_CACHE": "1" if cache else "0"}
    subprocess.run([ROOT / "dev/stack.sh", "restart"], env=env, check=True, capture_output=True)


@pytest.fixture(scope="module", params=["cache-off", "cache-on"], autouse=True)
def content_cache(request):
    """Every test runs twice: as the stack runs, then with pulpcore's Redis content cache on
    (the stack restarted with BOOTFILES_CACHE=1, and back again afterwards)."""
    if request.param == "cache-off":
        yield False
        return
    restart_stack(cache=True)
    try:
        yield True
    finally:
        restart_stack(cache=False)


def url(distribution, path=""):
    return f"{CONTENT}/pulp/content/{distribution['base_path']}/{path}"


@pytest.fixture
def respun(tree_factory, remote_factory, repository_factory, sync, distribution_factory):
    """A distributed tree, and `respin()`: the same tree rebuilt with a new kernel and initrd,
    synced as the repository's next version (returns the new Tree)."""
    tree, tree_url = tree_factory()
    repository, remote = repository_factory(), remote_factory(tree_url)
    sync(repository, remote)
    distribution = distribution_factory(repository=repository["pulp_href"])

    def respin():
        new = build_tree(tree.root, salt=f"respun-{time.monotonic_ns()}")
        sync(repository, remote)
        return new

    return {"tree": tree, "repository": repository, "distribution": distribution, "respin": respin}


def test_files_carry_their_sha256_as_strong_etag(respun):
    served, tree = respun["distribution"], respun["tree"]
    kernel = url(served, f"40/x86_64/{KERNEL}")
    etag = f'"{tree.images[KERNEL]}"'
    head = requests.head(kernel, timeout=30)
    assert head.status_code == 200 and head.headers["ETag"] == etag
    assert int(head.headers["Content-Length"]) == (tree.root / KERNEL).stat().st_size
    assert requests.get(kernel, headers={"If-None-Match": etag}, timeout=30).status_code == 304
    assert requests.get(kernel, headers={"If-Match": '"other"'}, timeout=30).status_code == 412
    partial = requests.get(kernel, headers={"Range": "bytes=10-", "If-Range": etag}, timeout=30)
    assert partial.status_code == 206
    assert partial.content == (tree.root / KERNEL).read_bytes()[10:]


def test_resumed_download_of_a_changed_file_gets_the_whole_new_file(respun):
    served = respun["distribution"]
    kernel = url(served, f"40/x86_64/{KERNEL}")
    old_etag = requests.head(kernel, timeout=30).headers["ETag"]
    new = respun["respin"]()
    # Another client fetches the new file first: a cache, if any, now holds it.
    assert (
        hashlib.sha256(requests.get(kernel, timeout=30).content).hexdigest() == new.images[KERNEL]
    )
    resumed = requests.get(
        kernel, headers={"Range": "bytes=100-", "If-Range": old_etag}, timeout=30
    )
    assert resumed.status_code == 200, "a 206 would be spliced onto the old file's bytes"
    assert hashlib.sha256(resumed.content).hexdigest() == new.images[KERNEL]
    assert resumed.headers["ETag"] == f'"{new.images[KERNEL]}"'
    by_date = requests.get(
        kernel,
        headers={"Range": "bytes=100-", "If-Range": "Thu, 01 Jan 1970 00:00:00 GMT"},
        timeout=30,
    )
    assert by_date.status_code == 200


def test_listings_show_the_tree_only_and_misses_are_cheap_404s(respun, pulp):
    served = respun["distribution"]
    root = requests.get(url(served), timeout=30)
    assert root.status_code == 200 and 'href="./40/"' in root.text
    assert "sha256:" not in root.text, "the version's OCI blobs are the registry's, not the tree's"
    kernel_digest = respun["tree"].images[KERNEL]
    assert requests.get(url(served, f"sha256:{kernel_digest}"), timeout=30).status_code == 404
    tree_listing = requests.get(url(served, "40/x86_64/"), timeout=30).text
    for entry in (".treeinfo", "images/", "boot.ipxe", "grub.cfg", "pxelinux.cfg/"):
        assert f'href="./{entry}"' in tree_listing
    no_slash = requests.get(url(served, "40/x86_64/images"), allow_redirects=False, timeout=30)
    assert no_slash.status_code == 301 and no_slash.headers["Location"] == "images/"
    assert requests.get(url(served, "40/x86_64/images"), timeout=30).url.endswith("images/")
    for probe in (
        "40/x86_64/pxelinux.cfg/01-52-54-00-00-00-01",
        "40/x86_64/grub.cfg-0A01",
        "40/x86_64/nothere/",
        "41/x86_64/boot.ipxe",
    ):
        assert requests.get(url(served, probe), timeout=30).status_code == 404, probe


def test_the_index_document_lists_every_served_byte(respun, pulp, synced_files):
    """`.bootfiles.json` lists each tree and file as the API does, and every file it names is
    served with that sha256 and size; the root listing shows it."""
    served = respun["distribution"]
    response = requests.get(url(served, INDEX_NAME), timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    (tree,) = read_index(response.content)
    assert (tree.release, tree.arch, tree.family) == ("40", "x86_64", "Fedora")
    version = pulp.get(respun["repository"]["pulp_href"])["latest_version_href"]
    api_files = {f["content_path"]: f for f in synced_files(version).values()}
    listed = {f"40/x86_64/{entry.path}": entry for entry in tree.files}
    assert set(listed) == set(api_files)
    for content_path, entry in listed.items():
        api = api_files[content_path]
        assert (entry.sha256, entry.source_package, entry.signing_key_id) == (
            api["sha256"],
            api["source_package"],
            api["signing_key_id"],
        )
        body = requests.get(url(served, content_path), timeout=30).content
        assert (hashlib.sha256(body).hexdigest(), len(body)) == (entry.sha256, entry.size)
    treeinfo = requests.get(url(served, "40/x86_64/.treeinfo"), timeout=30).content
    assert hashlib.sha256(treeinfo).hexdigest() == tree.treeinfo.sha256
    assert f'href="./{INDEX_NAME}"' in requests.get(url(served), timeout=30).text


# What the plugin's lookups beyond a request's one row would read while serving: the served
# version, its index, the detail object. A request's statements are pulpcore's domain lookup
# and the distribution row (the plugin's content route reads it in place of pulpcore's match).
PLUGIN_TABLES = re.compile(
    r'FROM "(core_repositoryversion|core_contentartifact|core_artifact|core_content'
    r'|bootfiles_(?!bootfilesdistribution")\w+)"'
)


# Every table a content request could read (to tell them from other processes' statements).
SERVING_TABLES = re.compile(
    r'FROM "(core_domain|core_distribution|core_repository\w*|core_content\w*|core_artifact'
    r'|core_remote\w*|bootfiles_\w+)"'
)


def statements_once_warm(fetch_round, rounds: int = 4) -> list[str]:
    """The SQL of one `fetch_round()` in which no content-app worker built an index.

    New connections spread requests over the workers only by chance: one worker can take every
    warm-up request and leave the other to build the version's index inside the measured round.
    Such a round warms that worker, so the next one is measured; a route that reads its plugin
    tables on every request still fails every round."""
    for _ in range(rounds):
        with statements_logged() as logged:
            fetch_round()
            statements = logged()
        if not any(PLUGIN_TABLES.search(statement) for statement in statements):
            break
    return statements


def test_steady_state_requests_cost_the_plugin_no_sql(respun):
    """Once a content-app process has seen the served version, a probe, a config and a file
    are answered from its index: nothing is read beyond the domain and the distribution row."""
    served = respun["distribution"]
    paths = ["40/x86_64/grub.cfg-0A010203", "40/x86_64/boot.ipxe", f"40/x86_64/{KERNEL}"]
    statuses = {path: (404 if "grub.cfg-" in path else 200) for path in paths}

    def fetch_round():
        for _ in range(3):
            for path in paths:
                assert requests.get(url(served, path), timeout=30).status_code == statuses[path]

    for _ in range(4):  # new connections each time: most often every content-app worker
        fetch_round()
    statements = statements_once_warm(fetch_round)
    assert any("core_distribution" in statement for statement in statements), "log is empty"
    assert [s for s in statements if PLUGIN_TABLES.search(s)] == []


@pytest.mark.parametrize("credentials", [None, ("admin", "password")], ids=["anonymous", "basic"])
def test_the_plugins_route_reads_one_row_per_request_instead_of_pulpcores_match(
    respun, credentials
):
    """The plugin's content route answers a config and a file with the distribution's one row,
    not pulpcore's eight-table match and detail-row cast. A request without credentials takes
    the fast lane, past pulpcore's authentication middleware: that one statement is all. With
    credentials the middleware authenticates them first, which reads the domain too."""
    served = respun["distribution"]
    paths = ["40/x86_64/boot.ipxe", f"40/x86_64/{KERNEL}"]

    def fetch_round():
        for path in paths:
            assert requests.get(url(served, path), auth=credentials, timeout=30).ok

    for _ in range(12):
        fetch_round()
    statements = statements_once_warm(fetch_round)
    # The log holds every process's statements (heartbeats too): keep those a request makes.
    serving = [s for s in statements if SERVING_TABLES.search(s)]
    domain_reads = [s for s in serving if 'FROM "core_domain"' in s]
    distribution_reads = [s for s in serving if 'FROM "core_distribution"' in s]
    expected_domain_reads = 0 if credentials is None else len(paths)
    assert len(distribution_reads) == len(paths), serving
    assert len(domain_reads) == expected_domain_reads, serving
    assert len(serving) == len(paths) + expected_domain_reads, serving
    assert all('"core_publication"' not in s for s in distribution_reads)


PROBES = [
    "40/x86_64/grub.cfg-01-52-54-00-12-34-56",
    "40/x86_64/grub.cfg-C0A8",
    "40/x86_64/pxelinux.cfg/01-52-54-00-12-34-56",
    "40/x86_64/pxelinux.cfg/4c4c4544-0042-4210-8050-b2c04f4e3732",
]


def test_probe_names_miss_in_every_version_and_a_cached_probe_costs_no_sql(respun, content_cache):
    """The per-machine names loaders probe are 404 whatever the version. Without credentials
    they take the fast lane and cost the route's one row read, cache on or off. With pulpcore's
    cache on (where it keeps 404s: pulpcore 3.118 and newer), a request with credentials goes
    through pulpcore's authentication anyway: its answer is kept, and a repeated probe reaches
    no distribution or plugin table at all."""
    served = respun["distribution"]
    for path in PROBES:
        assert requests.get(url(served, path), timeout=30).status_code == 404, path
    assert requests.get(url(served, "40/x86_64/pxelinux.cfg/default"), timeout=30).ok

    def fetch_round():
        for path in PROBES:
            response = requests.get(url(served, path), timeout=30)
            assert response.status_code == 404 and "X-PULP-CACHE" not in response.headers

    statements = statements_once_warm(fetch_round)
    distribution_reads = [s for s in statements if 'FROM "core_distribution"' in s]
    assert len(distribution_reads) == len(PROBES), statements
    assert [s for s in statements if PLUGIN_TABLES.search(s)] == []
    if content_cache and CONTENT_CACHE_KEEPS_NOT_FOUND:
        auth = ("admin", "password")
        for path in PROBES:
            assert requests.get(url(served, path), auth=auth, timeout=30).status_code == 404
        with statements_logged() as logged:
            for path in PROBES:
                response = requests.get(url(served, path), auth=auth, timeout=30)
                assert (response.status_code, response.headers.get("X-PULP-CACHE")) == (404, "HIT")
            statements = logged()
        assert [s for s in statements if "core_distribution" in s or PLUGIN_TABLES.search(s)] == []
    respun["respin"]()
    for path in PROBES:
        assert requests.get(url(served, path), timeout=30).status_code == 404, path


class Fetcher(threading.Thread):
    """Fetches `paths` in a loop until stopped, recording (start time, path, status, sha256)."""

    def __init__(self, base, paths):
        super().__init__(daemon=True)
        self.base, self.paths, self.seen, self.stop = base, paths, [], threading.Event()

    def run(self):
        with requests.Session() as session:
            while not self.stop.is_set():
                for path in self.paths:
                    start = time.monotonic()
                    response = session.get(self.base + path, timeout=30)
                    digest = hashlib.sha256(response.content).hexdigest()
                    self.seen.append((start, path, response.status_code, digest, response.text))


def test_files_and_configs_move_together_while_clients_fetch(respun, pulp):
    """A respin synced, the distribution repointed to the first version, then deleted, while
    three clients keep fetching: every request started after a change was seen complete gets
    what the newly served version holds, never the other version's bytes."""
    served, old = respun["distribution"], respun["tree"]
    base = url(served, "40/x86_64/")
    fetchers = [Fetcher(base, [KERNEL, "boot.ipxe", INITRD]) for _ in range(3)]
    for fetcher in fetchers:
        fetcher.start()
    try:
        time.sleep(0.5)
        new = respun["respin"]()
        respun_at = time.monotonic()
        time.sleep(1)
        first_version = respun["repository"]["versions_href"] + "1/"
        repoint_sent = time.monotonic()
        body = {"repository": None, "repository_version": first_version}
        update = pulp.request("PATCH", served["pulp_href"], json=body, expect=202)
        pulp.wait(update.json()["task"])
        repointed_at = time.monotonic()
        time.sleep(1)
        delete_sent = time.monotonic()
        pulp.wait(pulp.delete(served["pulp_href"]).json()["task"])
        deleted_at = time.monotonic()
        time.sleep(0.5)
    finally:
        for fetcher in fetchers:
            fetcher.stop.set()
        for fetcher in fetchers:
            fetcher.join(30)
    seen = [record for fetcher in fetchers for record in fetcher.seen]
    # Each phase: from a change seen complete to the next change sent.
    phases = (
        (respun_at, repoint_sent, new),
        (repointed_at, delete_sent, old),
    )
    for start, end, tree in phases:
        during = [record for record in seen if start < record[0] < end]
        assert during, "the clients made no request in this phase"
        for _at, path, status, digest, text in during:
            assert status == 200, (path, status)
            if path == "boot.ipxe":
                assert f"/{KERNEL} " in text and f"/{INITRD}\n" in text
            else:
                assert digest == tree.images[path], (
                    f"{path}: bytes of the other version {_at - start:.3f} s into the phase"
                    f" ending {end - start:.3f} s after it began"
                )
    after = [record for record in seen if record[0] > deleted_at]
    assert after and all(status == 404 for _at, _p, status, _d, _t in after)
