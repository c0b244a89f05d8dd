"""pulpcore's replicate covers bootfiles distributions, through the upstream's registry."""

import time
import uuid

import pytest

from pulp_bootfiles.tests.functional.conftest import OCI_REMOTES, REPOSITORIES
from pulp_bootfiles.tests.functional.pulp_api import API
from pulp_bootfiles.tests.functional.test_oci_sync import (
    file_digests,
    latest,
    registry_tags,
)
from pulp_bootfiles.tests.functional.test_serve import registry_get

UPSTREAM_PULPS = "/pulp/api/v3/upstream-pulps/"
MANIFESTS = "/pulp/api/v3/content/container/manifests/"


def wait_for_group(pulp, group_href, timeout=300):
    """The group's tasks once all finished (a failed replicate task dispatches no more)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        group = pulp.get(group_href)
        tasks = [pulp.get(task["pulp_href"]) for task in group["tasks"]]
        finished = all(task["state"] in ("completed", "failed", "canceled") for task in tasks)
        if finished and (group["all_tasks_dispatched"] or group["failed"]):
            return tasks
        time.sleep(0.5)
    raise AssertionError(f"task group {group_href} did not finish")


@pytest.fixture
def replica_objects(pulp, netboot_upstream):
    """
    Delete what replication made (by name, of any plugin) after the test.

    Replication points the distribution of the same name at the replica; it is pointed back
    at the shared upstream repository first.
    """
    names = []
    yield names
    pulp.wait(
        pulp.request(
            "PATCH",
            netboot_upstream["distribution"]["pulp_href"],
            json={
                "repository": netboot_upstream["repository"]["pulp_href"],
                "repository_version": None,
            },
            expect=202,
        ).json()["task"]
    )
    for name in names:
        for endpoint in ("/pulp/api/v3/repositories/", "/pulp/api/v3/remotes/"):
            for obj in pulp.list(endpoint, name=name):
                response = pulp.delete(obj["pulp_href"])
                if response.status_code == 202:
                    pulp.wait(response.json()["task"])


@pytest.mark.xfail(
    strict=True,
    reason="pulp_container's ContainerReplicator also replicates bootfiles distributions (they "
    "are ContainerDistributions, and its upstream list does not filter by type); it makes a "
    "ContainerRemote of the same name first, so the bootfiles remote's name is taken",
)
def test_replicate_mirrors_a_bootfiles_distribution(
    netboot_upstream, created, replica_objects, pulp
):
    upstream, distribution = netboot_upstream["repository"], netboot_upstream["distribution"]
    base_path, name = distribution["base_path"], distribution["name"]
    served_before = {tag: registry_get(base_path, tag).content for tag in registry_tags(base_path)}
    replica_objects.append(name)

    # One stack on this machine is both upstream and downstream: `labeled` keeps replication
    # off the unlabelled upstream objects, `q_select` to this test's distribution.
    server = created(
        UPSTREAM_PULPS,
        {
            "name": f"upstream-{uuid.uuid4()}",
            "base_url": API,
            "api_root": "/pulp/",
            "username": "admin",
            "password": "password",
            "policy": "labeled",
            "q_select": f'name="{name}"',
        },
    )
    group = pulp.post(server["pulp_href"] + "replicate/", {}, expect=202).json()["task_group"]
    tasks = wait_for_group(pulp, group)
    assert all(task["state"] == "completed" for task in tasks), [
        (task["name"], task["state"], task.get("error")) for task in tasks
    ]
    assert any(task["name"].endswith("synchronize_oci") for task in tasks)

    (remote,) = pulp.list(OCI_REMOTES, name=name)
    assert (remote["url"], remote["upstream_name"]) == (API, base_path)
    (replica,) = pulp.list(REPOSITORIES, name=name)
    assert replica["pulp_labels"]["UpstreamPulp"] == server["pulp_href"].rstrip("/").split("/")[-1]
    replica_version = latest(pulp, replica)
    assert file_digests(pulp, replica_version) == file_digests(pulp, latest(pulp, upstream))
    digests = {
        version: sorted(m["digest"] for m in pulp.list(MANIFESTS, repository_version=version))
        for version in (replica_version, latest(pulp, upstream))
    }
    assert digests[replica_version] == digests[latest(pulp, upstream)]
    # The distribution of that name now serves the replica: the same bytes for every tag.
    assert pulp.get(distribution["pulp_href"])["repository_version"] == replica_version
    assert {tag: registry_get(base_path, tag).content for tag in served_before} == served_before
