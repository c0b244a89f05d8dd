"""Repository version rules on the real database: one tree per pair, exactly its files."""

import pytest
from pulp_container.app.models import Manifest, ManifestSignature
from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE

from pulp_bootfiles.app.models import BootFile, BootfilesRepository, BootTree

pytestmark = pytest.mark.django_db


def bootfile(path, sha="a", release="40", arch="x86_64"):
    return BootFile.objects.create(
        name=path.rsplit("/", 1)[-1],
        relative_path=path,
        release=release,
        arch=arch,
        sha256=sha * 64,
    )


def boottree(files, digest, release="40", arch="x86_64"):
    tree = BootTree.objects.create(family="Fedora", release=release, arch=arch, digest=digest * 64)
    tree.files.set(files)
    return tree


def add(repository, *units):
    with repository.new_version() as version:
        for unit in units:
            version.add_content(type(unit).objects.filter(pk=unit.pk))
    return repository.latest_version()


def content_of(version):
    return {unit.cast() for unit in version.content}


@pytest.fixture
def repository():
    return BootfilesRepository.objects.create(name="rules")


def test_new_tree_of_a_pair_replaces_the_old_tree_and_its_files(repository):
    kernel, efiboot = bootfile("images/pxeboot/vmlinuz"), bootfile("images/efiboot.img")
    old = boottree([kernel, efiboot], "1")
    add(repository, kernel, efiboot, old)

    new_kernel = bootfile("images/pxeboot/vmlinuz", sha="b")
    new = boottree([new_kernel], "2")
    version = add(repository, new_kernel, new)
    # efiboot.img is not in the new tree: it goes, although no new file has its path.
    assert content_of(version) == {new_kernel, new}


def test_trees_of_other_pairs_are_kept(repository):
    x86_kernel = bootfile("images/pxeboot/vmlinuz")
    x86 = boottree([x86_kernel], "1")
    arm_kernel = bootfile("images/pxeboot/vmlinuz", sha="c", arch="aarch64")
    arm = boottree([arm_kernel], "2", arch="aarch64")
    add(repository, x86_kernel, x86)
    version = add(repository, arm_kernel, arm)
    assert content_of(version) == {x86_kernel, x86, arm_kernel, arm}


def test_a_file_no_tree_lists_is_dropped(repository):
    kernel = bootfile("images/pxeboot/vmlinuz")
    tree = boottree([kernel], "1")
    stray = bootfile("images/stray.img", sha="d")
    version = add(repository, kernel, tree, stray)
    assert content_of(version) == {kernel, tree}


def test_a_signature_of_a_manifest_outside_the_version_is_dropped(repository):
    kernel = bootfile("images/pxeboot/vmlinuz")
    tree = boottree([kernel], "1")
    gone = Manifest.objects.create(
        digest="sha256:" + "e" * 64, schema_version=2, media_type=MEDIA_TYPE.MANIFEST_OCI, data="{}"
    )
    signature = ManifestSignature.objects.create(
        name=f"{gone.digest}@{'f' * 32}",
        digest="sha256:" + "f" * 64,
        type="atomic",
        key_id="32fc8128bac21096",
        timestamp=1700000000,
        data="c2lnbmF0dXJl",
        signed_manifest=gone,
    )
    version = add(repository, kernel, tree, signature)
    assert content_of(version) == {kernel, tree}
