"""An on_demand tree is an OCI artifact right after its sync; its layers stream from upstream."""

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import requests
from oras.client import OrasClient

from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.functional.conftest import FILES
from pulp_bootfiles.tests.functional.pulp_api import CONTENT
from pulp_bootfiles.tests.functional.test_serve import REGISTRY, registry_get


@pytest.fixture
def on_demand(tree_factory, remote_factory, repository_factory, sync, distribution_factory, pulp):
    tree, url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(url, policy="on_demand"))
    distribution = distribution_factory(repository=repository["pulp_href"])
    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    return tree, distribution["base_path"], version


def downloaded(pulp, version):
    """{name: whether Pulp stores the file} of the version's BootFiles."""
    return {
        f["name"]: f["artifact"] is not None for f in pulp.list(FILES, repository_version=version)
    }


def test_the_manifest_exists_before_any_image_is_downloaded(on_demand, pulp):
    tree, base_path, version = on_demand
    images = {Path(path).name for path in tree.images}
    assert not any(stored for name, stored in downloaded(pulp, version).items() if name in images)

    response = registry_get(base_path, "40-amd64")
    assert response.status_code == 200, response.text
    layers = {
        layer["annotations"]["org.opencontainers.image.title"]: layer
        for layer in json.loads(response.content)["layers"]
    }
    for path, sha256 in tree.images.items():
        layer = layers[Path(path).name]
        # The size the upstream announced at sync, which is the file's.
        assert layer["size"] == (tree.root / path).stat().st_size
        assert layer["digest"] == f"sha256:{sha256}"
    assert registry_get(base_path, "40").status_code == 200


def test_oras_skopeo_and_plain_http_get_the_upstream_bytes(on_demand, pulp, tmp_path):
    tree, base_path, version = on_demand
    pulled = OrasClient(hostname=REGISTRY, insecure=True).pull(
        target=f"{REGISTRY}/{base_path}:40-amd64", outdir=str(tmp_path / "oras")
    )
    assert {Path(p).name: file_sha256(p) for p in pulled} == tree.expected_files()
    # skopeo checks every digest it copies.
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--src-tls-verify=false",
            f"docker://{REGISTRY}/{base_path}:40-amd64",
            f"oci:{tmp_path}/oci",
        ],
        check=True,
        capture_output=True,
    )
    for path, sha256 in tree.images.items():
        body = requests.get(f"{CONTENT}/pulp/content/{base_path}/40/x86_64/{path}", timeout=60)
        assert hashlib.sha256(body.content).hexdigest() == sha256, path
    config = requests.get(f"{CONTENT}/pulp/content/{base_path}/40/x86_64/boot.ipxe", timeout=30)
    assert config.status_code == 200 and "vmlinuz" in config.text
    # Streamed layers are kept, as pulpcore keeps on_demand downloads.
    assert all(downloaded(pulp, version).values())


def test_a_layer_whose_upstream_changed_is_not_served(on_demand, pulp, tmp_path):
    tree, base_path, version = on_demand
    kernel = next(path for path in tree.images if path.endswith("vmlinuz"))
    original = (tree.root / kernel).read_bytes()
    (tree.root / kernel).write_bytes(bytes(reversed(original)))  # same size, other bytes
    result = subprocess.run(
        [
            "skopeo",
            "copy",
            "--src-tls-verify=false",
            f"docker://{REGISTRY}/{base_path}:40-amd64",
            f"oci:{tmp_path}/oci",
        ],
        capture_output=True,
        text=True,
    )
    # pulpcore checks the digest as the stream ends and resets the connection on a mismatch,
    # so no client gets a whole blob of the wrong bytes, and Pulp keeps nothing.
    assert result.returncode != 0
    assert "connection reset" in result.stderr or "digest" in result.stderr, result.stderr
    assert downloaded(pulp, version)["vmlinuz"] is False
    assert not any(
        (tmp_path / "oci" / "blobs" / "sha256").glob(
            hashlib.sha256(bytes(reversed(original))).hexdigest()
        )
    )
