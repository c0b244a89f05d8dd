"""
With token auth on, pulp_container's token server decides who may push into a bootfiles
distribution: anonymous pushes and users without roles are refused and the repository keeps its
version; a collaborator on the distribution's container href pushes a release into trees.
"""

import hashlib
import json
import subprocess
import uuid

import requests
from pulp_glue.bootfiles.netboot.oci import sha256_digest

from pulp_bootfiles.tests.fixtures.producers import foreman_pipeline
from pulp_bootfiles.tests.fixtures.static_registry import StaticRegistry
from pulp_bootfiles.tests.functional.conftest import REPOSITORIES, TREES
from pulp_bootfiles.tests.functional.second_stack.conftest import distribute
from pulp_bootfiles.tests.functional.second_stack.registry_client import registry_get
from pulp_bootfiles.tests.functional.test_push_into_pulp import oci_layout

CONTAINER_DISTRIBUTIONS = "/pulp/api/v3/distributions/container/container/"
COLLABORATOR = "container.containerdistribution_collaborator"


def skopeo_push(layout, tag, destination, creds=None):
    """`skopeo copy --all` of `tag` in the OCI layout to `destination`, as `creds` or anonymous."""
    command = ["skopeo", "copy", "--all", "--dest-tls-verify=false"]
    if creds:
        command.append(f"--dest-creds={creds[0]}:{creds[1]}")
    return subprocess.run(
        [*command, f"oci:{layout}:{tag}", f"docker://{destination}"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_push_denied(stderr, base_path):
    """skopeo's error when the token server grants no push: the first blob upload is denied."""
    assert f"initiating layer upload to /v2/default/{base_path}/blobs/uploads/" in stderr, stderr
    assert "denied: requested access to the resource is denied" in stderr, stderr
    assert "unauthorized: Insufficient permissions" in stderr, stderr


def latest_version(api, repository):
    return api.get(repository["pulp_href"])["latest_version_href"]


def test_only_a_collaborator_on_the_distribution_pushes_a_release_into_trees(
    second_pulp, user_factory_second, tmp_path
):
    api = second_pulp.api()
    repository = api.post(REPOSITORIES, {"name": f"push-{uuid.uuid4().hex[:10]}"}, expect=201)
    repository = repository.json()
    distribution = distribute(api, repository)
    base_path = distribution["base_path"]
    destination = f"{second_pulp.registry}/default/{base_path}:44"
    before = latest_version(api, repository)
    assert before.endswith("/versions/0/"), before

    # What the Foreman pipeline publishes for release 44, as the OCI layout it pushes from.
    upstream = StaticRegistry(tmp_path / "upstream", "pipeline")
    published = foreman_pipeline(upstream, "fedora", "44", ["x86_64", "aarch64"], salt="rbac")
    listed = {
        e["platform"]["architecture"]: e["digest"]
        for e in json.loads((upstream.base / "manifests" / "fedora-44").read_bytes())["manifests"]
    }
    layout = oci_layout(upstream, "fedora-44", tmp_path / "layout")

    # Anonymous: the token server grants no push, the registry refuses the upload.
    anonymous = skopeo_push(layout, "fedora-44", destination)
    assert anonymous.returncode != 0, anonymous.stdout
    assert_push_denied(anonymous.stderr, base_path)

    # A user without roles: refused the same way.
    stranger = user_factory_second()
    refused = skopeo_push(layout, "fedora-44", destination, stranger.session.auth)
    assert refused.returncode != 0, refused.stdout
    assert_push_denied(refused.stderr, base_path)

    assert latest_version(api, repository) == before
    manifest = f"default/{base_path}/manifests/44"
    assert registry_get(second_pulp.stack.api, manifest).status_code == 404

    # A collaborator on the distribution's container href (same id) pushes.
    container_href = f"{CONTAINER_DISTRIBUTIONS}{distribution['pulp_href'].split('/')[-2]}/"
    collaborator = user_factory_second((COLLABORATOR, api.href(container_href)))
    pushed = skopeo_push(layout, "fedora-44", destination, collaborator.session.auth)
    assert pushed.returncode == 0, pushed.stderr

    version = latest_version(api, repository)
    assert version.endswith("/versions/1/"), version
    trees = {(t["release"], t["arch"]): t for t in api.list(TREES, repository_version=version)}
    assert sorted(trees) == [("44", "aarch64"), ("44", "x86_64")]
    assert trees["44", "x86_64"]["family"] == "fedora"
    assert trees["44", "x86_64"]["manifest_digest"] == listed["amd64"]
    assert trees["44", "aarch64"]["manifest_digest"] == listed["arm64"]

    # The content app serves a tree's plain file as pushed.
    kernel = (
        f"{second_pulp.content}/pulp/content/default/{base_path}/44/x86_64/images/pxeboot/vmlinuz"
    )
    served = requests.get(kernel, timeout=30)
    assert served.status_code == 200, served.text
    assert hashlib.sha256(served.content).hexdigest() == published["x86_64"]["vmlinuz"]

    # And the registry serves the pushed per-arch manifest, anonymously (a public distribution).
    arm64 = registry_get(second_pulp.stack.api, f"default/{base_path}/manifests/44-arm64")
    assert arm64.status_code == 200, arm64.text
    assert sha256_digest(arm64.content) == listed["arm64"]
