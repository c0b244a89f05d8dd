"""Two domains syncing the same tree see only their own content; the registry keeps them apart."""

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from pulp_bootfiles.tests.functional.conftest import FILES, REPOSITORIES, TREES
from pulp_bootfiles.tests.functional.second_stack.conftest import (
    DISTRIBUTIONS,
    FILESYSTEM_DOMAIN,
    S3_DOMAIN,
    distribute,
    synced_and_distributed,
)
from pulp_bootfiles.tests.functional.second_stack.registry_client import registry_get


def test_two_domains_sync_the_same_tree_and_stay_apart(second_pulp, tree_factory):
    tree, url = tree_factory()
    base_path = f"same-{uuid.uuid4().hex[:8]}"  # one base path in each domain
    tag = f"{tree.release}-amd64"
    seen = {}
    for domain in (FILESYSTEM_DOMAIN, S3_DOMAIN):
        api = second_pulp.api(domain)
        repository, distribution = synced_and_distributed(api, url, base_path=base_path)
        version = repository["latest_version_href"]
        files = api.list(FILES, repository_version=version)
        seen[domain] = {
            "api": api,
            "repository": repository,
            "distribution": distribution,
            "files": {f["pulp_href"] for f in files},
            "all_files": {f["pulp_href"] for f in api.list(FILES)},
            "trees": {t["pulp_href"] for t in api.list(TREES)},
        }
        assert {f["sha256"] for f in files} >= set(tree.expected_files().values())
        assert all(href.startswith(f"/pulp/{domain}/api/v3/") for href in seen[domain]["files"])

    alpha, objects = seen[FILESYSTEM_DOMAIN], seen[S3_DOMAIN]
    # Same tree, separate content units: neither domain lists the other's.
    assert alpha["files"].isdisjoint(objects["all_files"])
    assert objects["files"].isdisjoint(alpha["all_files"])
    assert alpha["trees"].isdisjoint(objects["trees"])
    assert {r["name"] for r in objects["api"].list(REPOSITORIES)} == {objects["repository"]["name"]}
    # An object of one domain is not found through the other's API.
    foreign = alpha["repository"]["pulp_href"].replace(f"/{FILESYSTEM_DOMAIN}/", f"/{S3_DOMAIN}/")
    assert objects["api"].request("GET", foreign).status_code == 404

    # The registry serves each domain's distribution under its own name ...
    api_base = second_pulp.stack.api
    digests = {}
    for domain in seen:
        response = registry_get(api_base, f"{domain}/{base_path}/manifests/{tag}")
        assert response.status_code == 200, response.text
        digests[domain] = response.headers["Docker-Content-Digest"]
    # (the same files give the same deterministic manifest)
    assert digests[FILESYSTEM_DOMAIN] == digests[S3_DOMAIN]
    only_alpha = distribute(alpha["api"], alpha["repository"])["base_path"]
    missing = registry_get(api_base, f"{S3_DOMAIN}/{only_alpha}/manifests/{tag}")
    assert missing.status_code in (401, 404), missing.text

    # ... and removing one leaves the other served.
    alpha["api"].wait(alpha["api"].delete(alpha["distribution"]["pulp_href"]).json()["task"])
    gone = registry_get(api_base, f"{FILESYSTEM_DOMAIN}/{base_path}/manifests/{tag}")
    assert gone.status_code in (401, 404), gone.text
    kept = registry_get(api_base, f"{S3_DOMAIN}/{base_path}/manifests/{tag}")
    assert kept.status_code == 200
    assert objects["api"].list(DISTRIBUTIONS, base_path=base_path)


def test_plain_files_of_two_domains_at_one_base_path_fetched_at_once(second_pulp, tree_factory):
    """The content route answers requests of both domains in shared batches: each gets its own
    domain's bytes (the filesystem domain's file sent from disk, the S3 domain's redirected to
    the bucket) and a config naming its own domain's URLs."""
    tree, url = tree_factory()
    base_path = f"both-{uuid.uuid4().hex[:8]}"
    for domain in (FILESYSTEM_DOMAIN, S3_DOMAIN):
        synced_and_distributed(second_pulp.api(domain), url, base_path=base_path)
    prefix = f"{second_pulp.content}/pulp/content/{{}}/{base_path}/{tree.release}/{tree.arch}/"
    paths = [(domain, path) for domain in (FILESYSTEM_DOMAIN, S3_DOMAIN) for path in tree.images]

    def fetch(domain_and_path):
        domain, path = domain_and_path
        response = requests.get(prefix.format(domain) + path, timeout=60)
        return domain, path, response.status_code, hashlib.sha256(response.content).hexdigest()

    with ThreadPoolExecutor(8) as pool:
        fetched = list(pool.map(fetch, paths * 6))
    assert {(status, digest == tree.images[path]) for __, path, status, digest in fetched} == {
        (200, True)
    }
    for domain in (FILESYSTEM_DOMAIN, S3_DOMAIN):
        config = requests.get(prefix.format(domain) + "boot.ipxe", timeout=30)
        assert config.ok and f"/pulp/content/{domain}/{base_path}/" in config.text
