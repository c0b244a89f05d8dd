"""Content guards and private distributions on the plain-HTTP side and the registry's blobs.

The main stack runs with TOKEN_AUTH_DISABLED, where pulp_container's registry lets anyone
read; the registry's own refusal of a private distribution is tested on the second stack
(second_stack/test_private_registry.py), which has token auth. pulp_container can only sign
its blob redirects with a content-redirect guard: with an RBAC (or composite) guard its
registry fails on blobs (docs/admin/security.md), so those guard the plain files only.
"""

import hashlib
import uuid

import pytest
import requests

from pulp_bootfiles.tests.functional.pulp_api import API, CONTENT

DISTRIBUTIONS = "/pulp/api/v3/distributions/bootfiles/bootfiles/"
GUARDS = "/pulp/api/v3/contentguards/core/"
DOWNLOADER = "core.rbaccontentguard_downloader"
KERNEL = "images/pxeboot/vmlinuz"


@pytest.fixture
def synced_tree(tree_factory, remote_factory, repository_factory, sync):
    tree, url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(url))
    return tree, repository


@pytest.fixture
def make_distribution(pulp):
    hrefs = []

    def make(repository, **fields):
        body = {"name": f"d-{uuid.uuid4()}", "base_path": f"guarded-{uuid.uuid4().hex[:8]}"}
        body.update(repository=repository["pulp_href"], **fields)
        hrefs.append(pulp.run(DISTRIBUTIONS, body)["created_resources"][0])
        return pulp.get(hrefs[-1])

    yield make
    for href in hrefs:
        pulp.wait(pulp.delete(href).json()["task"])


@pytest.fixture
def make_guard(pulp):
    hrefs = []

    def make(kind, **fields):
        body = {"name": f"guard-{uuid.uuid4()}", **fields}
        hrefs.append(pulp.post(f"{GUARDS}{kind}/", body, expect=201).json()["pulp_href"])
        return hrefs[-1]

    yield make
    for href in reversed(hrefs):
        pulp.delete(href)


def kernel_url(distribution, tree):
    base_path = distribution["base_path"]
    return f"{CONTENT}/pulp/content/{base_path}/{tree.release}/{tree.arch}/{KERNEL}"


def blob_url(distribution, tree):
    return f"{API}/v2/{distribution['base_path']}/blobs/sha256:{tree.images[KERNEL]}"


def get(url, auth=None, **kwargs):
    return requests.get(url, auth=auth, timeout=30, **kwargs)


def downloader(pulp, user_factory, guard):
    user = user_factory()
    pulp.post(guard + "add_role/", {"role": DOWNLOADER, "users": [user.session.auth[0]]}, 201)
    return user.session.auth


def test_rbac_guard_refuses_anonymous_plain_http_and_serves_downloaders(
    pulp, synced_tree, make_distribution, make_guard, user_factory
):
    tree, repository = synced_tree
    guard = make_guard("rbac")
    distribution = make_distribution(repository, content_guard=guard)
    url = kernel_url(distribution, tree)

    assert get(url).status_code == 403
    assert get(url, auth=user_factory().session.auth).status_code == 403
    allowed = get(url, auth=downloader(pulp, user_factory, guard))
    assert allowed.status_code == 200
    assert hashlib.sha256(allowed.content).hexdigest() == tree.images[KERNEL]


def test_private_distribution_refuses_anonymous_plain_http(pulp, synced_tree, make_distribution):
    tree, repository = synced_tree
    distribution = make_distribution(repository, private=True)
    guard = distribution["content_guard"]
    assert guard and "/content_redirect/" in guard
    assert get(kernel_url(distribution, tree)).status_code == 403
    # The blob URLs the registry hands out after its own check are signed and served.
    redirect = get(blob_url(distribution, tree), allow_redirects=False)
    assert "validate_token" in redirect.headers["Location"]
    served = get(redirect.headers["Location"])
    assert hashlib.sha256(served.content).hexdigest() == tree.images[KERNEL]
    tampered = redirect.headers["Location"].replace("validate_token=", "validate_token=0")
    assert get(tampered).status_code == 403
    # A public distribution made private later is guarded too.
    public = make_distribution(repository)
    assert get(kernel_url(public, tree)).status_code == 200
    pulp.wait(pulp.request("PATCH", public["pulp_href"], json={"private": True}).json()["task"])
    assert get(kernel_url(public, tree)).status_code == 403
