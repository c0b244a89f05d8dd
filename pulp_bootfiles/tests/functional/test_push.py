"""Push to an external registry (Debian's docker-registry), pull from it, sync back from it."""

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from oras.client import OrasClient

from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.functional.conftest import OCI_REMOTES
from pulp_bootfiles.tests.functional.docker_registry import DockerRegistry
from pulp_bootfiles.tests.functional.pulp_api import TaskFailed
from pulp_bootfiles.tests.functional.test_oci_sync import file_digests, latest, registry_tags
from pulp_bootfiles.tests.functional.test_serve import registry_get

NAME = "fedora/netboot"


@pytest.fixture(scope="module")
def docker_registry(tmp_path_factory):
    with DockerRegistry(tmp_path_factory.mktemp("docker-registry")) as registry:
        yield registry


@pytest.fixture(scope="module")
def pushed(netboot_upstream, docker_registry, pulp):
    """The shared upstream repository pushed once to a repository of the docker registry."""
    name = f"{NAME}-{uuid.uuid4().hex[:8]}"
    target = pulp.post(
        OCI_REMOTES,
        {
            "name": f"push-{uuid.uuid4()}",
            "url": docker_registry.url,
            "upstream_name": name,
            "username": docker_registry.username,
            "password": docker_registry.password,
        },
        expect=201,
    ).json()
    pulp.run(netboot_upstream["repository"]["pulp_href"] + "push/", {"remote": target["pulp_href"]})
    yield {**netboot_upstream, "name": name, "target": target}
    pulp.wait(pulp.delete(target["pulp_href"]).json()["task"])


def test_push_keeps_every_tag_and_digest(pushed, docker_registry):
    base_path = pushed["distribution"]["base_path"]
    listed = docker_registry.get(f"{pushed['name']}/tags/list").json()["tags"]
    assert sorted(listed) == registry_tags(base_path) == ["40", "40-amd64", "40-arm64"]
    for tag in listed:
        theirs = docker_registry.get(
            f"{pushed['name']}/manifests/{tag}",
            headers={"Accept": registry_get(base_path, tag).headers["Content-Type"]},
        )
        ours = registry_get(base_path, tag)
        assert theirs.content == ours.content, tag
        assert theirs.headers["Docker-Content-Digest"] == ours.headers["Docker-Content-Digest"]


def test_pushed_artifacts_pull_with_oras_and_skopeo(pushed, docker_registry, tmp_path):
    client = OrasClient(hostname=docker_registry.host, insecure=True, auth_backend="basic")
    client.auth.set_basic_auth(docker_registry.username, docker_registry.password)
    for goarch, tree in pushed["trees"].items():
        pulled = client.pull(
            target=f"{docker_registry.host}/{pushed['name']}:40-{goarch}",
            outdir=str(tmp_path / goarch),
        )
        assert {Path(p).name: file_sha256(p) for p in pulled} == tree.expected_files()

    source = f"docker://{docker_registry.host}/{pushed['name']}"
    creds = f"{docker_registry.username}:{docker_registry.password}"
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--src-tls-verify=false",
            "--src-creds",
            creds,
            f"{source}:40-arm64",
            f"oci:{tmp_path}/oci",
        ],
        check=True,
        capture_output=True,
    )
    raw = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", "--creds", creds, "--raw", f"{source}:40"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    platforms = {m["platform"]["architecture"] for m in json.loads(raw)["manifests"]}
    assert platforms == {"amd64", "arm64"}


def test_sync_back_from_the_registry_round_trips(
    pushed,
    pulp,
    repository_factory,
    sync,
    distribution_factory,  # noqa: F811
):
    back = repository_factory()
    sync(back, pushed["target"])
    assert file_digests(pulp, latest(pulp, back)) == file_digests(
        pulp, latest(pulp, pushed["repository"])
    )
    up, down = (
        pushed["distribution"]["base_path"],
        distribution_factory(repository=back["pulp_href"])["base_path"],
    )
    for tag in registry_tags(up):
        assert registry_get(down, tag).content == registry_get(up, tag).content, tag

    # A second push sends no blob again (the registry has them) and changes nothing.
    pulp.run(pushed["repository"]["pulp_href"] + "push/", {"remote": pushed["target"]["pulp_href"]})
    assert sync(back, pushed["target"])["created_resources"] == []


def test_push_with_wrong_credentials_fails_naming_the_answer(
    netboot_upstream, docker_registry, oci_remote_factory, pulp
):
    target = oci_remote_factory(
        docker_registry.url, f"{NAME}-denied", username="pusher", password="wrong"
    )
    with pytest.raises(TaskFailed) as failed:
        pulp.run(
            netboot_upstream["repository"]["pulp_href"] + "push/", {"remote": target["pulp_href"]}
        )
    assert "HTTP 401" in failed.value.task["error"]["description"]
