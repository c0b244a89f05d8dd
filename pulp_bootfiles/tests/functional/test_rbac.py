"""Who may list, create, sync, distribute and delete: the access policies and locked roles."""

import uuid

import pytest

from pulp_bootfiles.tests.functional.conftest import FILES, REMOTES, REPOSITORIES
from pulp_bootfiles.tests.functional.pulp_api import API

DISTRIBUTIONS = "/pulp/api/v3/distributions/bootfiles/bootfiles/"


def creator_roles():
    return [
        (f"bootfiles.bootfiles{model}_creator", None)
        for model in ("remote", "repository", "distribution")
    ]


def names(api, endpoint):
    return {obj["name"] for obj in api.list(endpoint)}


def wait_as_admin(pulp, response):
    assert response.status_code == 202, (response.status_code, response.text)
    return pulp.wait(response.json()["task"])


@pytest.fixture
def admin_objects(tree_factory, remote_factory, repository_factory):
    """A remote of a tree and a repository owned by admin."""
    _, url = tree_factory()
    remote = remote_factory(url)
    return remote, repository_factory(remote=remote["pulp_href"])


@pytest.fixture
def synced_admin_objects(pulp, admin_objects, sync):
    """`admin_objects`, the repository synced."""
    remote, repository = admin_objects
    sync(repository, remote)
    return remote, pulp.get(repository["pulp_href"])


def test_user_without_roles_sees_nothing_and_may_create_nothing(user_factory, synced_admin_objects):
    remote, repository = synced_admin_objects
    stranger = user_factory()
    for endpoint in (REMOTES, REPOSITORIES, DISTRIBUTIONS, FILES):
        assert stranger.list(endpoint) == []
    assert stranger.request("GET", repository["pulp_href"]).status_code == 404
    assert stranger.request("GET", repository["versions_href"]).status_code == 403
    body = {"name": f"r-{uuid.uuid4()}", "url": "http://127.0.0.1/"}
    assert stranger.post(REMOTES, body).status_code == 403
    assert stranger.post(REPOSITORIES, {"name": f"r-{uuid.uuid4()}"}).status_code == 403
    dist = {"name": f"d-{uuid.uuid4()}", "base_path": f"rbac-{uuid.uuid4().hex[:8]}"}
    assert stranger.post(DISTRIBUTIONS, dist).status_code == 403
    sync_body = {"remote": remote["pulp_href"]}
    assert stranger.post(repository["pulp_href"] + "sync/", sync_body).status_code == 404
    assert stranger.delete(remote["pulp_href"]).status_code == 404


def test_creator_owns_what_it_creates_and_runs_the_whole_job(
    pulp, user_factory, tree_factory, admin_objects
):
    admin_remote, admin_repository = admin_objects
    tree, url = tree_factory()
    user = user_factory(*creator_roles())

    remote = user.post(REMOTES, {"name": f"r-{uuid.uuid4()}", "url": url}, expect=201).json()
    repository = user.post(REPOSITORIES, {"name": f"r-{uuid.uuid4()}"}, expect=201).json()
    # Creating made the user the owner of each, and of nothing else.
    assert names(user, REMOTES) == {remote["name"]}
    assert names(user, REPOSITORIES) == {repository["name"]}
    roles = user.get(repository["pulp_href"] + "my_permissions/")["permissions"]
    assert "bootfiles.sync_bootfilesrepository" in roles

    # Syncing from a remote the user cannot see is refused; from its own, it works.
    refused = user.post(repository["pulp_href"] + "sync/", {"remote": admin_remote["pulp_href"]})
    assert refused.status_code == 403, refused.text
    user.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    synced = {f["content_path"] for f in user.list(FILES)}
    assert synced and all(path.startswith(f"{tree.release}/{tree.arch}/") for path in synced)

    # Distributing a repository the user cannot see is refused; its own, it may.
    body = {"name": f"d-{uuid.uuid4()}", "base_path": f"rbac-{uuid.uuid4().hex[:8]}"}
    refused = user.post(DISTRIBUTIONS, {**body, "repository": admin_repository["pulp_href"]})
    assert refused.status_code == 403, refused.text
    task = user.run(DISTRIBUTIONS, {**body, "repository": repository["pulp_href"]})
    distribution = task["created_resources"][0]
    assert names(user, DISTRIBUTIONS) == {body["name"]}
    assert user.get(distribution)["repository"] == repository["pulp_href"]

    # The owner deletes what it owns (distributions and repositories go through a task).
    for href in (distribution, repository["pulp_href"], remote["pulp_href"]):
        response = user.delete(href)
        if response.status_code == 202:
            wait_as_admin(pulp, response)
        else:
            assert response.status_code == 204, response.text
    assert user.list(REPOSITORIES) == []
    # The admin's objects stayed untouched.
    assert pulp.get(admin_repository["pulp_href"])["name"] == admin_repository["name"]


def test_viewer_may_read_but_not_sync_change_or_delete(user_factory, synced_admin_objects):
    remote, repository = synced_admin_objects
    viewer = user_factory(
        ("bootfiles.bootfilesrepository_viewer", repository["pulp_href"]),
        ("bootfiles.bootfilesremote_viewer", remote["pulp_href"]),
    )
    assert names(viewer, REPOSITORIES) == {repository["name"]}
    assert viewer.list(repository["versions_href"])
    assert viewer.list(FILES, repository_version=repository["latest_version_href"])
    sync_body = {"remote": remote["pulp_href"]}
    assert viewer.post(repository["pulp_href"] + "sync/", sync_body).status_code == 403
    patch = viewer.request("PATCH", repository["pulp_href"], json={"description": "mine"})
    assert patch.status_code == 403
    assert viewer.delete(repository["pulp_href"]).status_code == 403
    assert viewer.delete(remote["pulp_href"]).status_code == 403
    version = repository["latest_version_href"]
    assert viewer.delete(version).status_code == 403
    assert viewer.get(repository["pulp_href"] + "my_permissions/")["permissions"] == [
        "bootfiles.view_bootfilesrepository"
    ]


def test_owner_shares_with_roles_and_sync_needs_the_remote_too(pulp, user_factory, admin_objects):
    remote, repository = admin_objects
    owner = user_factory(("bootfiles.bootfilesrepository_owner", repository["pulp_href"]))
    helper = user_factory()
    helper_name = helper.session.auth[0]

    # An owner without a view of the remote may not sync from it.
    refused = owner.post(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    assert refused.status_code == 403, refused.text

    # The owner manages the roles of its repository: it makes the helper a viewer.
    role = {"role": "bootfiles.bootfilesrepository_viewer", "users": [helper_name]}
    owner.post(repository["pulp_href"] + "add_role/", role, expect=201)
    assert names(helper, REPOSITORIES) == {repository["name"]}
    # The helper, a mere viewer, may not hand out roles.
    escalate = {"role": "bootfiles.bootfilesrepository_owner", "users": [helper_name]}
    assert helper.post(repository["pulp_href"] + "add_role/", escalate).status_code == 403
    # Nor may the owner of the repository on the remote it does not own.
    role = {"role": "bootfiles.bootfilesremote_viewer", "users": [helper_name]}
    assert owner.post(remote["pulp_href"] + "add_role/", role).status_code in (403, 404)

    # With a view of the remote the owner syncs.
    pulp.post(remote["pulp_href"] + "add_role/", role | {"users": [owner.session.auth[0]]}, 201)
    owner.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})


def test_distribution_roles(pulp, user_factory, admin_objects):
    _, repository = admin_objects
    body = {
        "name": f"d-{uuid.uuid4()}",
        "base_path": f"rbac-{uuid.uuid4().hex[:8]}",
        "repository": repository["pulp_href"],
    }
    distribution = pulp.run(DISTRIBUTIONS, body)["created_resources"][0]
    try:
        viewer = user_factory(("bootfiles.bootfilesdistribution_viewer", distribution))
        owner = user_factory(("bootfiles.bootfilesdistribution_owner", distribution))
        assert names(viewer, DISTRIBUTIONS) == {body["name"]}
        patch = {"base_path": f"rbac-{uuid.uuid4().hex[:8]}"}
        assert viewer.request("PATCH", distribution, json=patch).status_code == 403
        assert viewer.delete(distribution).status_code == 403
        # The owner may move it, but only to a repository it can see.
        other = pulp.post(REPOSITORIES, {"name": f"r-{uuid.uuid4()}"}, expect=201).json()
        try:
            moved = owner.request("PATCH", distribution, json={"repository": other["pulp_href"]})
            assert moved.status_code == 403, moved.text
            wait_as_admin(pulp, owner.request("PATCH", distribution, json=patch))
            assert pulp.get(distribution)["base_path"] == patch["base_path"]
        finally:
            wait_as_admin(pulp, pulp.delete(other["pulp_href"]))
        wait_as_admin(pulp, owner.delete(distribution))
        distribution = None
    finally:
        if distribution:
            wait_as_admin(pulp, pulp.delete(distribution))


def test_sync_from_an_oci_remote_needs_a_view_of_that_remote(
    pulp, user_factory, repository_factory, oci_remote_factory, netboot_upstream
):
    # An OCI remote on this Pulp's own registry, and a repository owned by a user.
    remote = oci_remote_factory(API, netboot_upstream["distribution"]["base_path"])
    repository = repository_factory()
    owner_role = ("bootfiles.bootfilesrepository_owner", repository["pulp_href"])
    owner = user_factory(owner_role)
    body = {"remote": remote["pulp_href"]}

    # Without a view of the OCI remote, neither a sync nor a push.
    refused = owner.post(repository["pulp_href"] + "sync/", body)
    assert refused.status_code == 403, refused.text
    assert owner.post(repository["pulp_href"] + "push/", body).status_code == 403
    # Viewing every tree remote does not count for an OCI remote.
    tree_viewer = user_factory(owner_role, ("bootfiles.bootfilesremote_viewer", None))
    assert tree_viewer.post(repository["pulp_href"] + "sync/", body).status_code == 403

    # With the OCI remote's own viewer role, the owner syncs from it.
    role = {"role": "bootfiles.bootfilesociremote_viewer", "users": [owner.session.auth[0]]}
    pulp.post(remote["pulp_href"] + "add_role/", role, 201)
    owner.run(repository["pulp_href"] + "sync/", body)
    assert owner.get(repository["pulp_href"])["latest_version_href"].endswith("/versions/1/")
