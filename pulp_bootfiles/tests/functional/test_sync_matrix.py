"""One remote, one sync, a release matrix: `{release}` and `{arch}` in the URL (#27)."""

import shutil
import uuid

import pytest

from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.conftest import TREES
from pulp_bootfiles.tests.functional.pulp_api import TaskFailed
from pulp_bootfiles.tests.functional.test_sync import expected_paths

CELLS = [("41", "x86_64"), ("41", "aarch64"), ("42", "x86_64"), ("42", "aarch64")]


@pytest.fixture(scope="module")
def matrix(fixture_server):
    """A mirror of Fedora 41 and 42 for x86_64 and aarch64: (trees by cell, URL template)."""
    name = uuid.uuid4().hex[:12]
    trees = {
        (release, arch): build_tree(
            fixture_server.root / name / release / arch, release=release, arch=arch, salt=name
        )
        for release, arch in CELLS
    }
    return trees, fixture_server.url(name) + "/{release}/{arch}/"


def version_of(pulp, repository):
    return pulp.get(repository["pulp_href"])["latest_version_href"]


def reports(task, code):
    return [r for r in task["progress_reports"] if r["code"] == code]


def test_one_sync_brings_the_matrix(
    matrix, pulp, remote_factory, repository_factory, sync, synced_files, fixture_server
):
    trees, template = matrix
    remote = remote_factory(template, releases=["41", "42"], arches=["x86_64", "aarch64"])
    repository = repository_factory()
    task = sync(repository, remote, mirror=True)

    version = version_of(pulp, repository)
    expected = {}
    for tree in trees.values():
        expected.update(expected_paths(tree))
    assert {p: f["sha256"] for p, f in synced_files(version).items()} == expected
    listed = pulp.list(TREES, repository_version=version)
    boot_trees = {(t["release"], t["arch"]): t for t in listed}
    assert set(boot_trees) == set(CELLS)
    for (release, arch), tree in trees.items():
        cell_url = template.format(release=release, arch=arch)
        assert boot_trees[release, arch]["source_url"] == cell_url
        assert pulp.get(boot_trees[release, arch]["treeinfo"])["sha256"] == tree.treeinfo_sha256
    # One report per tree, and the OCI side follows: a tag per tree and an index per release.
    assert sorted(r["message"].split()[2] for r in reports(task, "sync.matrix.tree")) == sorted(
        f"{release}/{arch}" for release, arch in CELLS
    )
    summary = pulp.get(version)["content_summary"]["present"]
    assert summary["container.tag"]["count"] == len(CELLS) + 2

    # Unchanged upstream: nothing downloaded, no new version.
    fixture_server.requests.clear()
    task = sync(repository, remote, mirror=True)
    assert task["created_resources"] == []
    assert version_of(pulp, repository) == version
    assert [p for p in fixture_server.requests if p.endswith(".rpm") or "/images/" in p] == []
    assert [p for p in fixture_server.requests if "primary" in p] == []

    # A mirror sync of a smaller matrix: the repository holds exactly that matrix.
    _patch(pulp, remote, releases=["42"])
    sync(repository, remote, mirror=True)
    version = version_of(pulp, repository)
    trees_left = {(t["release"], t["arch"]) for t in pulp.list(TREES, repository_version=version)}
    assert trees_left == {("42", "x86_64"), ("42", "aarch64")}
    assert {p.split("/")[0] for p in synced_files(version)} == {"42"}


def _patch(pulp, remote, **fields):
    response = pulp.request("PATCH", remote["pulp_href"], expect=202, json=fields)
    pulp.wait(response.json()["task"])


def test_a_missing_tree_fails_the_sync_unless_skipped(
    matrix, pulp, remote_factory, repository_factory, sync
):
    trees, template = matrix
    repository = repository_factory()
    remote = remote_factory(template, releases=["41"], arches=["x86_64"])
    sync(repository, remote)
    before = version_of(pulp, repository)

    # 43 was never released: its .treeinfo answers 404.
    _patch(pulp, remote, releases=["41", "43"])
    missing = template.format(release="43", arch="x86_64") + ".treeinfo"
    with pytest.raises(TaskFailed) as failed:
        sync(repository, remote, mirror=True)
    message = failed.value.task["error"]["description"]
    assert f"could not download .treeinfo from {missing}: HTTP 404 Not Found" in message
    assert "skip_missing" in message
    assert version_of(pulp, repository) == before

    _patch(pulp, remote, skip_missing=True)
    task = sync(repository, remote, mirror=True)
    (skipped,) = reports(task, "sync.matrix.skipped")
    assert missing in skipped["message"] and skipped["state"] == "skipped"
    assert task["created_resources"] == []  # 41/x86_64 is unchanged, 43 skipped
    assert version_of(pulp, repository) == before


def test_a_tree_served_as_another_cell_fails_the_sync(
    matrix, pulp, fixture_server, remote_factory, repository_factory, sync
):
    """A mirror that serves 41's tree under 42 breaks the matrix's promise: refused."""
    trees, template = matrix
    name = uuid.uuid4().hex[:12]
    shutil.copytree(trees["41", "x86_64"].root, fixture_server.root / name / "42" / "x86_64")
    remote = remote_factory(
        fixture_server.url(name) + "/{release}/x86_64/", releases=["42"], skip_missing=True
    )
    repository = repository_factory()
    with pytest.raises(TaskFailed) as failed:
        sync(repository, remote)
    url = fixture_server.url(name) + "/42/x86_64/.treeinfo"
    assert (
        f"{url} describes the tree 41/x86_64, not 42/x86_64"
        in (failed.value.task["error"]["description"])
    )
    assert version_of(pulp, repository).endswith("/versions/0/")
