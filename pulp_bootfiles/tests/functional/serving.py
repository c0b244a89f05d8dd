"""Trees synced into one repository and distributed, for a whole test module.

The function-scoped factories of conftest delete their objects after each test; tests that
only read what a distribution serves share one set through `distributed_trees`.
"""

import contextlib
import hashlib
import uuid

import requests

from pulp_bootfiles.tests.functional.conftest import DISTRIBUTIONS, REMOTES, REPOSITORIES


@contextlib.contextmanager
def distributed_trees(pulp, tree_urls, **distribution_fields):
    """Sync each tree URL into one new repository, distribute it; yield the distribution.
    Everything made is deleted afterwards."""
    name = f"served-{uuid.uuid4().hex[:8]}"
    repository = pulp.post(REPOSITORIES, {"name": name}, expect=201).json()
    hrefs = [repository["pulp_href"]]
    try:
        for index, url in enumerate(tree_urls):
            remote = pulp.post(REMOTES, {"name": f"{name}-{index}", "url": url}, expect=201)
            hrefs.append(remote.json()["pulp_href"])
            pulp.run(repository["pulp_href"] + "sync/", {"remote": hrefs[-1]})
        body = {"name": name, "base_path": name, "repository": repository["pulp_href"]}
        task = pulp.run(DISTRIBUTIONS, {**body, **distribution_fields})
        hrefs.insert(0, task["created_resources"][0])
        yield pulp.get(hrefs[0])
    finally:
        for href in hrefs:
            response = pulp.delete(href)
            if response.status_code == 202:
                pulp.wait(response.json()["task"])


def get(url):
    """GET `url`, which must answer 200."""
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return response


def sha256_of(url):
    return hashlib.sha256(get(url).content).hexdigest()
