"""A domain stored in S3 (moto's server): sync, extraction and both kinds of serving work, and
every Artifact lives in the bucket, none on the local disk."""

import hashlib
from pathlib import Path

import requests
from oras.client import OrasClient

from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.functional.conftest import FILES
from pulp_bootfiles.tests.functional.second_stack.conftest import S3_DOMAIN, synced_and_distributed


def local_files(directory):
    return {path.name for path in Path(directory).rglob("*") if path.is_file()}


def test_s3_domain_syncs_extracts_and_serves(second_pulp, tree_factory, tmp_path):
    api = second_pulp.api(S3_DOMAIN)
    tree, url = tree_factory()
    # Other domains of this stack (the export/import tests) may hold the same bootloaders on
    # local storage already: what counts is that this sync wrote none there.
    on_disk_before = local_files(second_pulp.stack.dev_dir / "media")
    repository, distribution = synced_and_distributed(api, url)
    files = api.list(FILES, repository_version=repository["latest_version_href"])
    expected = tree.expected_files()
    assert {f["name"]: f["sha256"] for f in files} == expected

    # Every file, images and extracted bootloaders alike, is an object in the bucket, and
    # none of them was left under the stack's local storage.
    keys = second_pulp.object_store.keys()
    stored = {"".join(key.split("/")[-2:]) for key in keys}  # ".../artifact/ab/cdef..."
    assert set(expected.values()) <= stored
    written = local_files(second_pulp.stack.dev_dir / "media") - on_disk_before
    assert not {sha[2:] for sha in expected.values()} & written

    # Plain HTTP: the content app redirects to the object store, which serves the bytes.
    prefix = f"{second_pulp.content}/pulp/content/{S3_DOMAIN}/{distribution['base_path']}"
    for path, sha in tree.images.items():
        response = requests.get(f"{prefix}/{tree.release}/{tree.arch}/{path}", timeout=30)
        assert response.status_code == 200, path
        assert response.history and response.history[0].status_code == 302
        assert hashlib.sha256(response.content).hexdigest() == sha, path
    for path, bootfile in tree.bootfiles.items():
        response = requests.get(f"{prefix}/{tree.release}/{tree.arch}{path}", timeout=30)
        assert hashlib.sha256(response.content).hexdigest() == bootfile.sha256, path

    # The registry: an OCI client pulls every layer from the bucket.
    registry = second_pulp.registry
    client = OrasClient(hostname=registry, insecure=True)
    target = f"{registry}/{S3_DOMAIN}/{distribution['base_path']}:{tree.release}-amd64"
    pulled = client.pull(target=target, outdir=str(tmp_path))
    assert {Path(p).name: file_sha256(p) for p in pulled} == expected
