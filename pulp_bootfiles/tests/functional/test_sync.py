"""Sync of generated Fedora-style trees into a repository, checked through the API."""

import uuid

import pytest

from pulp_bootfiles.tests.fixtures.packages import with_new_bootloaders
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.conftest import TREES


def expected_paths(tree):
    """{content path: sha256} a correct sync of `tree` gives."""
    prefix = f"{tree.release}/{tree.arch}/"
    paths = {prefix + path: sha for path, sha in tree.images.items()}
    for path, (_name, sha, _nevra) in tree.bootfiles.items():
        paths[prefix + path.lstrip("/")] = sha
    return paths


def artifact_sha256(pulp, bootfile):
    return pulp.get(bootfile["artifact"])["sha256"]


@pytest.mark.parametrize("arch", ["x86_64", "aarch64", "ppc64le", "s390x"])
def test_sync_tree_of_each_arch(
    arch, pulp, tree_factory, remote_factory, repository_factory, sync, synced_files
):
    tree, url = tree_factory(release="40", arch=arch)
    repository = repository_factory()
    sync(repository, remote_factory(url))

    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    files = synced_files(version)
    assert {path: f["sha256"] for path, f in files.items()} == expected_paths(tree)
    # What Pulp stored is what the source served, byte for byte.
    for f in files.values():
        assert artifact_sha256(pulp, f) == f["sha256"], f["content_path"]
    for path, (name, _sha, nevra) in tree.bootfiles.items():
        bootfile = files[f"40/{arch}/{path.lstrip('/')}"]
        assert (bootfile["name"], bootfile["source_package"]) == (name, nevra)

    (boot_tree,) = pulp.list(TREES, repository_version=version)
    assert (boot_tree["release"], boot_tree["arch"], boot_tree["family"]) == ("40", arch, "Fedora")
    assert boot_tree["variant"] == "Everything"
    assert sorted(boot_tree["files"]) == sorted(f["pulp_href"] for f in files.values())
    assert pulp.get(boot_tree["treeinfo"])["sha256"] == tree.treeinfo_sha256


def test_newest_bootloaders_win(
    tree_factory, remote_factory, repository_factory, sync, pulp, synced_files
):
    """15.10 beats 15.8, epoch 1 beats a higher version, foreign arches are ignored."""
    tree, url = tree_factory(arch="x86_64")
    repository = repository_factory()
    sync(repository, remote_factory(url))
    files = synced_files(pulp.get(repository["pulp_href"])["latest_version_href"])
    by_name = {f["name"]: f["source_package"] for f in files.values() if f["source_package"]}
    assert by_name["shimx64.efi"].startswith("shim-x64-15.10-")
    assert by_name["grubx64.efi"].startswith("grub2-efi-x64-1:2.06-")
    assert by_name["pxelinux.0"].endswith(".noarch")


def test_resync_unchanged_tree_is_a_no_op(
    tree_factory, remote_factory, repository_factory, sync, pulp, fixture_server
):
    tree, url = tree_factory()
    repository = repository_factory()
    remote = remote_factory(url)
    sync(repository, remote)
    first = pulp.get(repository["pulp_href"])["latest_version_href"]

    fixture_server.requests.clear()
    task = sync(repository, remote)
    assert task["created_resources"] == []
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == first
    downloaded = [p for p in fixture_server.requests if p.endswith(".rpm") or "/images/" in p]
    assert downloaded == []
    # repomd.xml lists the same primary as before: it is not fetched (nor scanned) again.
    assert [p for p in fixture_server.requests if "primary" in p] == []
    assert any(p.endswith("repomd.xml") for p in fixture_server.requests)


def test_trees_of_two_arches_live_side_by_side(
    tree_factory, remote_factory, repository_factory, sync, pulp, synced_files
):
    x86, x86_url = tree_factory(arch="x86_64")
    arm, arm_url = tree_factory(arch="aarch64")
    repository = repository_factory()
    sync(repository, remote_factory(x86_url))
    sync(repository, remote_factory(arm_url))
    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    assert {p: f["sha256"] for p, f in synced_files(version).items()} == {
        **expected_paths(x86),
        **expected_paths(arm),
    }
    assert {t["arch"] for t in pulp.list(TREES, repository_version=version)} == {
        "x86_64",
        "aarch64",
    }

    # Mirror mode keeps only the tree just synced.
    sync(repository, remote_factory(x86_url), mirror=True)
    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    assert {p: f["sha256"] for p, f in synced_files(version).items()} == expected_paths(x86)


def test_changed_tree_replaces_the_old_files(
    tree_factory, remote_factory, repository_factory, sync, pulp, synced_files
):
    old, url = tree_factory()
    repository = repository_factory()
    remote = remote_factory(url)
    sync(repository, remote)

    # Rebuild the same tree in place: a respin (new kernel and installer) and newer bootloaders.
    tag = uuid.uuid4().hex[:12]
    packages = with_new_bootloaders(old.arch, old.release, tag)
    new = build_tree(old.root, release=old.release, arch=old.arch, salt=tag, packages=packages)
    assert new.images != old.images and new.bootfiles != old.bootfiles
    sync(repository, remote)
    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    assert pulp.get(version)["number"] == 2
    files = synced_files(version)
    assert {p: f["sha256"] for p, f in files.items()} == expected_paths(new)
    shim = files["40/x86_64/boot/efi/EFI/fedora/shimx64.efi"]
    assert shim["source_package"] == f"shim-x64-2:1.0-{tag}.x86_64"
    assert len(pulp.list(TREES, repository_version=version)) == 1


def test_on_demand_defers_images_but_extracts_bootloaders(
    tree_factory, remote_factory, repository_factory, sync, pulp, synced_files, fixture_server
):
    tree, url = tree_factory()
    repository = repository_factory()
    fixture_server.requests.clear()
    sync(repository, remote_factory(url, policy="on_demand"))
    files = synced_files(pulp.get(repository["pulp_href"])["latest_version_href"])
    assert {p: f["sha256"] for p, f in files.items()} == expected_paths(tree)
    for f in files.values():
        if f["source_package"]:
            assert artifact_sha256(pulp, f) == f["sha256"]
        else:
            assert f["artifact"] is None, f["content_path"]
    assert not [p for p in fixture_server.requests if "/images/" in p]
