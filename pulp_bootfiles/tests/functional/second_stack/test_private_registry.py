"""A private distribution, with token auth on: refused to anonymous pulls on the registry and
on plain HTTP, served to a user with the pull permission."""

import subprocess
from pathlib import Path

import requests
from oras.client import OrasClient

from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.functional.second_stack.conftest import (
    distribute,
    synced_and_distributed,
)
from pulp_bootfiles.tests.functional.second_stack.registry_client import registry_get

CONTAINER_DISTRIBUTIONS = "/pulp/api/v3/distributions/container/container/"
CONSUMER = "container.containerdistribution_consumer"


def oras_pull(registry, reference, outdir):
    client = OrasClient(hostname=registry, insecure=True)
    return {Path(p).name: file_sha256(p) for p in client.pull(target=reference, outdir=outdir)}


def skopeo_copy(reference, destination, creds=None):
    command = ["skopeo", "copy", "--src-tls-verify=false", f"docker://{reference}"]
    if creds:
        command.insert(2, f"--src-creds={creds[0]}:{creds[1]}")
    return subprocess.run([*command, f"oci:{destination}"], capture_output=True, text=True)


def test_private_distribution_on_the_registry_and_plain_http(
    second_pulp, tree_factory, user_factory_second, tmp_path
):
    api = second_pulp.api()
    tree, url = tree_factory()
    repository, public = synced_and_distributed(api, url)
    private = distribute(api, repository, private=True)
    tag = f"{tree.release}-amd64"
    registry = second_pulp.registry

    # A public distribution is pulled anonymously through the token server.
    pulled = oras_pull(registry, f"{registry}/default/{public['base_path']}:{tag}", tmp_path / "a")
    assert pulled == tree.expected_files()

    # The private one: refused to anonymous and to users without the pull permission ...
    manifest = f"default/{private['base_path']}/manifests/{tag}"
    assert registry_get(second_pulp.stack.api, manifest).status_code == 401
    stranger = user_factory_second()
    assert registry_get(second_pulp.stack.api, manifest, stranger.session.auth).status_code == 401
    reference = f"{registry}/default/{private['base_path']}:{tag}"
    assert skopeo_copy(reference, tmp_path / "anon").returncode != 0
    plain = f"{second_pulp.content}/pulp/content/default/{private['base_path']}/"
    kernel = f"{plain}{tree.release}/{tree.arch}/images/pxeboot/vmlinuz"
    assert requests.get(kernel, timeout=30).status_code == 403

    # ... and served to a user given the pull permission on it.
    container_href = f"{CONTAINER_DISTRIBUTIONS}{private['pulp_href'].rstrip('/').split('/')[-1]}/"
    consumer = user_factory_second((CONSUMER, api.href(container_href)))
    assert registry_get(second_pulp.stack.api, manifest, consumer.session.auth).status_code == 200
    copied = skopeo_copy(reference, tmp_path / "oci", consumer.session.auth)
    assert copied.returncode == 0, copied.stderr
