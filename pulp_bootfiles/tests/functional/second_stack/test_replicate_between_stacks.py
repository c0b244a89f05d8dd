"""
A second Pulp replicates a bootfiles distribution of this one, as a Katello capsule would.

The second stack (its own database, workers and registry, domains enabled) is the downstream;
the main stack is the upstream. Replication runs twice: the second run must change nothing,
which is where pulp_container's replicator, left to itself, would delete the replica.
"""

import hashlib
import time
import uuid

import requests
from pulp_glue.bootfiles.netboot.oci import sha256_digest

from pulp_bootfiles.app.compat import REPLICA_SERVES_A_VERSION
from pulp_bootfiles.tests.functional.conftest import OCI_REMOTES, REPOSITORIES, TREES
from pulp_bootfiles.tests.functional.pulp_api import API
from pulp_bootfiles.tests.functional.second_stack.conftest import (
    DISTRIBUTIONS,
    FILESYSTEM_DOMAIN,
)
from pulp_bootfiles.tests.functional.second_stack.registry_client import (
    registry_get,
    signatures_get,
)
from pulp_bootfiles.tests.functional.test_chain_of_trust import (  # noqa: F401 (fixtures)
    keys,
    signing_service,
)
from pulp_bootfiles.tests.functional.test_oci_sync import file_digests, latest, registry_tags
from pulp_bootfiles.tests.functional.test_same_digests import (  # noqa: F401 (a fixture)
    cosign_attachment,
    policies,
    producer_artifact,
    push_blob,
    push_manifest,
    simple_signatures,
)
from pulp_bootfiles.tests.functional.test_serve import REGISTRY
from pulp_bootfiles.tests.functional.test_serve import registry_get as upstream_registry_get

UPSTREAM_PULPS = "/pulp/api/v3/upstream-pulps/"
MANIFESTS = "/pulp/api/v3/content/container/manifests/"
CONTAINER_REMOTES = "/pulp/api/v3/remotes/container/container/"
CONTAINER_DISTRIBUTIONS = "/pulp/api/v3/distributions/container/container/"
FINISHED = ("completed", "failed", "canceled")


def wait_for_group(api, group_href, timeout=300):
    """
    The replication group's tasks once it is over.

    pulpcore 3.123 never marks a replication group `all_tasks_dispatched`; its last task is
    finalize_replication, dispatched once the others are, and a failed replicate task
    dispatches nothing more.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        group = api.get(group_href)
        tasks = [api.get(task["pulp_href"]) for task in group["tasks"]]
        over = group["all_tasks_dispatched"] or any(
            task["name"].endswith("finalize_replication") or task["state"] == "failed"
            for task in tasks
        )
        if over and all(task["state"] in FINISHED for task in tasks):
            return tasks
        time.sleep(0.5)
    raise AssertionError(f"task group {group_href} did not finish")


def replicate(api, server):
    group = api.post(server["pulp_href"] + "replicate/", {}, expect=202).json()["task_group"]
    tasks = wait_for_group(api, api.href(group))
    failed = [(t["name"], t["state"], t.get("error")) for t in tasks if t["state"] != "completed"]
    assert not failed, failed
    return tasks


def test_a_second_pulp_replicates_a_bootfiles_distribution(second_pulp, netboot_upstream, pulp):
    upstream, upstream_dist = netboot_upstream["repository"], netboot_upstream["distribution"]
    name, base_path = upstream_dist["name"], upstream_dist["base_path"]
    api = second_pulp.api(FILESYSTEM_DOMAIN)
    server = api.post(
        UPSTREAM_PULPS,
        {
            "name": f"main-{uuid.uuid4().hex[:8]}",
            "base_url": API,
            "api_root": "/pulp/",
            "username": "admin",
            "password": "password",
            "policy": "labeled",
            "q_select": f'name="{name}"',
        },
        expect=201,
    ).json()

    tasks = replicate(api, server)
    assert any(task["name"].endswith("synchronize_oci") for task in tasks)

    # A bootfiles distribution, remote and repository; nothing of pulp_container's.
    (distribution,) = api.list(DISTRIBUTIONS, name=name)
    assert distribution["base_path"] == base_path
    assert distribution["pulp_labels"]["UpstreamPulp"] in server["pulp_href"]
    assert api.list(CONTAINER_REMOTES, name=name) == []
    (remote,) = api.list(OCI_REMOTES, name=name)
    assert (remote["url"], remote["upstream_name"]) == (API, base_path)
    (replica,) = api.list(REPOSITORIES, name=name)
    replica_version = latest(api, replica)
    # What the replica serves: that version (pulpcore 3.105, 3.106: the repository, whose
    # latest version it is).
    replica_serves = (
        (None, replica_version) if REPLICA_SERVES_A_VERSION else (replica["pulp_href"], None)
    )
    assert (distribution["repository"], distribution["repository_version"]) == replica_serves

    # The same files and manifests, digest by digest ...
    upstream_version = latest(pulp, upstream)
    assert file_digests(api, replica_version) == file_digests(pulp, upstream_version)
    assert sorted(m["digest"] for m in api.list(MANIFESTS, repository_version=replica_version)) == (
        sorted(m["digest"] for m in pulp.list(MANIFESTS, repository_version=upstream_version))
    )
    # ... served the same: identical manifest bytes for every tag from the second registry,
    for tag in registry_tags(base_path):
        served = registry_get(
            second_pulp.stack.api,
            f"{FILESYSTEM_DOMAIN}/{base_path}/manifests/{tag}",
            auth=("admin", "password"),
        )
        assert served.status_code == 200, (tag, served.text)
        assert served.content == upstream_registry_get(base_path, tag).content, tag
    # and the plain files and boot configs of a bootfiles distribution from its content app.
    content = f"{second_pulp.content}/pulp/content/{FILESYSTEM_DOMAIN}/{base_path}"
    for content_path, sha256 in file_digests(api, replica_version).items():
        response = requests.get(f"{content}/{content_path}", timeout=60)
        assert response.status_code == 200, content_path
        assert hashlib.sha256(response.content).hexdigest() == sha256, content_path
    boot_ipxe = requests.get(f"{content}/40/x86_64/boot.ipxe", timeout=30)
    assert boot_ipxe.status_code == 200 and boot_ipxe.text.startswith("#!ipxe")

    # Replicating again keeps everything: same distribution, no new version.
    replicate(api, server)
    (again,) = api.list(DISTRIBUTIONS, name=name)
    assert again["pulp_href"] == distribution["pulp_href"]
    assert (again["repository"], again["repository_version"]) == replica_serves
    assert latest(api, replica) == replica_version
    assert api.list(CONTAINER_REMOTES, name=name) == []
    # pulp_container's list still shows it (it is a ContainerDistribution), as its own type.
    (listed,) = api.list(CONTAINER_DISTRIBUTIONS, name=name)
    assert listed["pulp_href"] == distribution["pulp_href"]


def test_a_replica_serves_a_pushed_signed_artifact_with_the_primarys_digests(
    second_pulp,
    pulp,
    repository_factory,
    distribution_factory,
    signing_service,  # noqa: F811 (the fixture imported above)
    policies,  # noqa: F811
):
    """On another server, as a Katello capsule replicates: the pushed bytes, the simple
    signatures (the registry's signature extension) and the cosign attachment come along."""
    salt = uuid.uuid4().hex[:10]
    repository = repository_factory()
    distribution = distribution_factory(repository=repository["pulp_href"])
    base_path = distribution["base_path"]
    blobs, manifests, pushed = producer_artifact(salt)
    for data in blobs:
        push_blob(base_path, data)
    for reference, data in manifests.items():
        push_manifest(base_path, reference, data)
    pulp.run(
        repository["pulp_href"] + "sign/",
        {"manifest_signing_service": signing_service["pulp_href"]},
    )
    tag, attachment, attachment_blobs = cosign_attachment(
        policies["pipeline_key"], pushed["40"], f"{REGISTRY}/{base_path}"
    )
    for data in attachment_blobs:
        push_blob(base_path, data)
    push_manifest(base_path, tag, attachment)

    api = second_pulp.api(FILESYSTEM_DOMAIN)
    server = api.post(
        UPSTREAM_PULPS,
        {
            "name": f"main-{salt}",
            "base_url": API,
            "api_root": "/pulp/",
            "username": "admin",
            "password": "password",
            "policy": "labeled",
            "q_select": f'name="{distribution["name"]}"',
        },
        expect=201,
    ).json()
    replicate(api, server)

    def replica_get(path):
        response = registry_get(
            second_pulp.stack.api,
            f"{FILESYSTEM_DOMAIN}/{base_path}/{path}",
            auth=("admin", "password"),
        )
        assert response.status_code == 200, (path, response.text)
        return response

    for reference, digest in pushed.items():
        assert sha256_digest(replica_get(f"manifests/{reference}").content) == digest
    assert replica_get(f"manifests/{tag}").content == attachment
    for digest in pushed.values():
        listed = signatures_get(
            second_pulp.stack.api, f"{FILESYSTEM_DOMAIN}/{base_path}", digest, ("admin", "password")
        )
        assert listed.status_code == 200, listed.text
        replica_signatures = listed.json()["signatures"]
        assert sorted(s["content"] for s in replica_signatures) == simple_signatures(
            base_path, digest
        ), digest
    (replica,) = api.list(REPOSITORIES, name=distribution["name"])
    trees = api.list(TREES, repository_version=latest(api, replica))
    assert {(t["origin"], t["manifest_digest"]) for t in trees} == {
        ("registry", pushed["40-amd64"]),
        ("registry", pushed["40-arm64"]),
    }
