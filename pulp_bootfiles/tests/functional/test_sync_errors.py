"""
Bad input fails the sync with a message naming the file and the problem, and leaves the
repository's latest version as it was.

The broken tree is always new to Pulp (unique images, and bootloader packages of a unique
release): an image or package that Pulp already stores, with the checksum the tree expects,
is rightly not downloaded again, so breaking it upstream would go unnoticed.
"""

import uuid
from pathlib import Path

import pytest

from pulp_bootfiles.tests.fixtures import mutations
from pulp_bootfiles.tests.fixtures.packages import default_packages, with_new_bootloaders
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.pulp_api import TaskFailed

KERNEL = "images/pxeboot/vmlinuz"


def newest_nevra(tree, name):
    """NEVRA of the package a sync would pick for `name` (its file in tree.bootfiles)."""
    return next(b.nevra for b in tree.bootfiles.values() if b.nevra.startswith(name + "-"))


def replace_in_treeinfo(old, new):
    return lambda tree: mutations.rewrite_treeinfo(tree, lambda text: text.replace(old, new))


def write(path, data):
    def damage(tree):
        Path(tree.root, path).write_bytes(data)

    return damage


def without_package(name):
    def rebuild(tree):
        specs = [s for s in default_packages(tree.arch, tree.release) if s.name != name]
        build_tree(tree.root, release=tree.release, arch=tree.arch, packages=specs, salt="x")

    return rebuild


def missing_rpm_file(tree):
    mutations.remove_package(tree, newest_nevra(tree, "shim-x64"))


def truncated_rpm(tree):
    mutations.truncate_file(tree.root / tree.packages[newest_nevra(tree, "grub2-efi-x64")], 1000)


# (how to break the tree, remote fields, parts the error message must contain)
CASES = {
    "treeinfo-malformed": (write(".treeinfo", b"[header\nno ini here"), {}, [".treeinfo"]),
    "treeinfo-missing": (lambda t: (t.root / ".treeinfo").unlink(), {}, [".treeinfo", "404"]),
    "treeinfo-not-utf8": (write(".treeinfo", b"[header]\nversion = \xff\xfe\n"), {}, [".treeinfo"]),
    "image-checksum-mismatch": (
        lambda t: mutations.corrupt_image(t, KERNEL),
        {},
        [KERNEL, "checksum"],
    ),
    "image-is-an-html-error-page": (
        write("images/install.img", b"<html><body>503 Service Unavailable</body></html>"),
        {},
        ["images/install.img", "checksum"],
    ),
    "image-truncated": (
        lambda t: mutations.truncate_file(t.root / "images/boot.iso", 100),
        {},
        ["images/boot.iso", "checksum"],
    ),
    "image-missing": (lambda t: (t.root / KERNEL).unlink(), {}, [KERNEL, "404"]),
    "path-escapes-tree": (
        replace_in_treeinfo(KERNEL, "../../etc/passwd"),
        {},
        ["../../etc/passwd"],
    ),
    "path-is-absolute": (replace_in_treeinfo(KERNEL, "/etc/passwd"), {}, ["/etc/passwd"]),
    "path-is-another-host": (
        replace_in_treeinfo(KERNEL, "http://elsewhere.invalid/vmlinuz"),
        {},
        ["http://elsewhere.invalid/vmlinuz"],
    ),
    "bootloader-package-not-in-repo": (without_package("shim-x64"), {}, ["shim-x64", "no package"]),
    "bootloader-rpm-missing": (missing_rpm_file, {}, ["shim-x64-2:1.0-", "404"]),
    "bootloader-rpm-truncated": (truncated_rpm, {}, ["grub2-efi-x64-1.0-", "checksum"]),
    "payload-lacks-wanted-file": (
        lambda t: None,
        {"bootloaders": {"x86_64": {"shim-x64": ["/boot/efi/EFI/fedora/nothere.efi"]}}},
        ["shim-x64-1.0-", "/boot/efi/EFI/fedora/nothere.efi"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_cleanly(
    case, pulp, tree_factory, remote_factory, repository_factory, sync
):
    damage, remote_fields, expected = CASES[case]
    _good, good_url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(good_url))
    before = pulp.get(repository["pulp_href"])["latest_version_href"]

    salt = uuid.uuid4().hex[:12]
    tree, url = tree_factory(salt=salt, packages=with_new_bootloaders("x86_64", "40", salt))
    damage(tree)
    with pytest.raises(TaskFailed) as failure:
        sync(repository, remote_factory(url, **remote_fields))

    message = failure.value.task["error"]["description"]
    for part in expected:
        assert part in message, message
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == before
