"""Foreman's contract: a distribution is an installation medium and the source of the
bootloader universe. With P = <content>/pulp/content/<base_path>/<release>/<arch>, Foreman
HEADs `P/images/boot.iso`, downloads it and extracts shim, GRUB, kernel and initrd by member
path; its older path fetches `P/images/pxeboot/vmlinuz` and `initrd.img` directly."""

import hashlib

import pytest
import requests

from pulp_bootfiles.tests.fixtures.isoimage import extract_member, grub_member, shim_member
from pulp_bootfiles.tests.functional.conftest import TREES
from pulp_bootfiles.tests.functional.pulp_api import CONTENT

BOOT_ISO = "images/boot.iso"
KERNEL, INITRD = "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img"
WARNING = "sync.warning.boot_iso_bootloaders"


@pytest.fixture
def medium(tree_factory, remote_factory, repository_factory, sync, distribution_factory, pulp):
    """`medium(**tree options)`: a tree synced and distributed; returns (Tree, P, sync task,
    the BootTree)."""

    def make(**options):
        tree, url = tree_factory(**options)
        repository = repository_factory()
        task = sync(repository, remote_factory(url))
        distribution = distribution_factory(repository=repository["pulp_href"])
        medium_url = f"{CONTENT}/pulp/content/{distribution['base_path']}/"
        version = pulp.get(repository["pulp_href"])["latest_version_href"]
        (boot_tree,) = pulp.list(TREES, repository_version=version)
        return tree, f"{medium_url}{tree.release}/{tree.arch}", task, boot_tree

    return make


def by_name(tree):
    return {bootfile.name: bootfile.sha256 for bootfile in tree.bootfiles.values()}


def warnings(task):
    return [report for report in task["progress_reports"] if report["code"] == WARNING]


def assert_served_as_mirror(url, sha256):
    """HEAD and GET answer 200 with the length and the sha256 ETag, as a mirror would."""
    head = requests.head(url, timeout=30)
    assert head.status_code == 200, url
    assert head.headers["ETag"] == f'"{sha256}"'
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, url
    assert response.headers["ETag"] == f'"{sha256}"'
    assert int(head.headers["Content-Length"]) == len(response.content)
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert hashlib.sha256(response.content).hexdigest() == sha256
    return response.content


def test_boot_iso_universe(medium, tmp_path):
    tree, base, task, boot_tree = medium(boot_iso=True, salt="foreman")
    for path in (BOOT_ISO, KERNEL, INITRD):
        assert_served_as_mirror(f"{base}/{path}", tree.images[path])

    # What Foreman's proxy does: download boot.iso, extract the four members by path.
    iso = tmp_path / "boot.iso"
    iso.write_bytes(requests.get(f"{base}/{BOOT_ISO}", timeout=60).content)
    names = by_name(tree)
    expected = {
        shim_member("x86_64"): names["shimx64.efi"],
        grub_member("x86_64"): names["grubx64.efi"],
        KERNEL: tree.images[KERNEL],
        INITRD: tree.images[INITRD],
    }
    for number, (member, sha256) in enumerate(expected.items()):
        data = extract_member(iso, member, tmp_path / f"member-{number}")
        assert hashlib.sha256(data).hexdigest() == sha256, member

    assert warnings(task) == []
    assert boot_tree["boot_iso_bootloaders"] == {
        "EFI/BOOT/BOOTX64.EFI": {"sha256": names["shimx64.efi"], "matches": "shimx64.efi"},
        "EFI/BOOT/grubx64.efi": {"sha256": names["grubx64.efi"], "matches": "grubx64.efi"},
    }


def test_boot_iso_with_other_grub_and_no_shim_is_reported(medium):
    other_grub = b"a GRUB the packages do not have\n" * 64
    tree, _base, task, boot_tree = medium(
        salt="foreman-other-grub",
        boot_iso_members={grub_member("aarch64"): other_grub, shim_member("aarch64"): None},
        arch="aarch64",
    )
    names, other = by_name(tree), hashlib.sha256(other_grub).hexdigest()
    assert boot_tree["boot_iso_bootloaders"] == {
        "EFI/BOOT/BOOTAA64.EFI": {"sha256": None, "matches": None},
        "EFI/BOOT/grubaa64.efi": {"sha256": other, "matches": None},
    }
    messages = sorted(report["message"] for report in warnings(task))
    assert len(messages) == 2
    assert (
        "tree Fedora 40 aarch64: images/boot.iso holds nothing at 'EFI/BOOT/BOOTAA64.EFI'"
        in (messages[0])
    )
    assert f"sha256 {other} at 'EFI/BOOT/grubaa64.efi'" in messages[1]
    assert (
        f"grubaa64.efi of package grub2-efi-aa64-1:2.06-5.aarch64 is sha256 {names['grubaa64.efi']}"
        in (messages[1])
    )


def test_unreadable_boot_iso_is_reported(medium):
    """The default fixture's boot.iso is random bytes: Foreman could extract nothing from it."""
    _tree, _base, task, boot_tree = medium(salt="foreman-random-iso")
    assert boot_tree["boot_iso_bootloaders"] == {
        "EFI/BOOT/BOOTX64.EFI": {"sha256": None, "matches": None},
        "EFI/BOOT/grubx64.efi": {"sha256": None, "matches": None},
    }
    (report,) = warnings(task)
    assert report["message"].startswith(
        "tree Fedora 40 x86_64: images/boot.iso: not a readable ISO 9660 image"
    )


def test_on_demand_tree_is_not_checked(
    tree_factory, remote_factory, repository_factory, sync, pulp
):
    tree, url = tree_factory(
        salt="foreman-on-demand", boot_iso_members={grub_member("x86_64"): b"other GRUB"}
    )
    repository = repository_factory()
    task = sync(repository, remote_factory(url, policy="on_demand"))
    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    (boot_tree,) = pulp.list(TREES, repository_version=version)
    assert boot_tree["boot_iso_bootloaders"] is None and warnings(task) == []


@pytest.mark.parametrize(
    "arch, paths",
    [
        ("ppc64le", ["ppc/ppc64/vmlinuz", "ppc/ppc64/initrd.img", BOOT_ISO]),
        ("s390x", ["images/kernel.img", "images/initrd.img", "images/generic.prm", BOOT_ISO]),
    ],
)
def test_other_arches_paths(medium, arch, paths):
    tree, base, task, boot_tree = medium(arch=arch, boot_iso=True, salt=f"foreman-{arch}")
    for path in paths:
        assert_served_as_mirror(f"{base}/{path}", tree.images[path])
    # No packaged shim or GRUB on these arches: nothing to compare.
    assert boot_tree["boot_iso_bootloaders"] is None and warnings(task) == []
