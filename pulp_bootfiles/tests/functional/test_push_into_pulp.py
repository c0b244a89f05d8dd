"""A push through the registry into a bootfiles distribution fails; nothing is lost silently."""

import json
import subprocess

from pulp_bootfiles.tests.functional.pulp_api import API
from pulp_bootfiles.tests.functional.test_serve import REGISTRY, registry_get


def test_a_pushed_tag_is_refused_and_the_repository_stays_as_it_was(
    tree_factory, remote_factory, repository_factory, sync, distribution_factory, pulp, tmp_path
):
    _, url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(url))
    base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]
    before = pulp.get(repository["pulp_href"])["latest_version_href"]

    # What a pipeline does: copy an artifact in under a new tag (skopeo pushes its blobs, then
    # the manifest, which pulp_container adds to the repository in a task).
    result = subprocess.run(
        [
            "skopeo",
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--dest-creds",
            "admin:password",
            f"docker://{REGISTRY}/{base_path}:40-amd64",
            f"docker://{REGISTRY}/{base_path}:41-amd64",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stdout
    assert "uploading manifest 41-amd64" in result.stderr, result.stderr
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == before
    assert registry_get(base_path, "41-amd64").status_code == 404
    tags = json.loads(pulp.session.get(f"{API}/v2/{base_path}/tags/list", timeout=30).content)
    assert sorted(tags["tags"]) == ["40", "40-amd64"]
    # The refusal is the plugin's, named in the task pulp_container ran for the push.
    (task,) = pulp.list(
        "/pulp/api/v3/tasks/",
        name="pulp_container.app.tasks.download_image_data.aadd_and_remove",
        state="failed",
        reserved_resources=repository["pulp_href"],
    )
    assert "takes no pushes through the registry" in task["error"]["description"]
