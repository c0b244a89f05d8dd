"""The proof that what Pulp serves boots: a QEMU VM network-boots a synced tree made of
Debian's real kernel, shim, GRUB and pxelinux, and its busybox initrd prints a marker.

Each boot is software-emulated (15-60 s here) and runs alone; QEMU's process group is killed
when the wait ends, and the serial console log stays in the test's tmp dir.
"""

import shutil
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from oras.client import OrasClient

from pulp_bootfiles.tests.fixtures.bootable import (
    CMDLINE_MARKER,
    MARKER,
    bootable_images,
    bootable_packages,
    bootable_parts,
)
from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.pulp_api import API, CONTENT
from pulp_bootfiles.tests.functional.qemu import (
    HOST_FROM_GUEST,
    OVMF_CODE,
    OVMF_VARS_MS,
    run_vm,
    user_net,
)
from pulp_bootfiles.tests.functional.serving import distributed_trees

pytestmark = pytest.mark.vm

REGISTRY = API.split("://", 1)[1]
# A kickstart URL with a query: the "&" must survive iPXE, PXELINUX and GRUB quoting.
KERNEL_ARGS = "console=ttyS0 panic=-1 inst.ks=http://ks.example.invalid/ks.cfg?vm=1&x=2"
SHIM_REFUSED = "Security Violation"  # shim's words when an image fails verification
# OVMF starts in ~25 s and GRUB's TFTP reads ~12 MB at ~0.2 MB/s under TCG on a busy machine.
UEFI_TIMEOUT = 180


@pytest.fixture(scope="module")
def bootable(pulp, fixture_server):
    """The bootable tree synced into a repository and distributed; the distribution's boot
    origin is the content app as the guest reaches it."""
    parts = bootable_parts()
    name = f"bootable-{uuid.uuid4().hex[:8]}"
    tree = build_tree(
        fixture_server.root / name,
        packages=bootable_packages(parts),
        image_files=bootable_images(parts),
        salt=name,
        payload_compression="gzip",  # megabytes of EFI binaries: zstd -19 takes much longer
    )
    guest_origin = f"http://{HOST_FROM_GUEST}:{urlsplit(CONTENT).port}"
    urls = [fixture_server.url(name) + "/"]
    fields = {"kernel_args": KERNEL_ARGS, "boot_origin": guest_origin}
    with distributed_trees(pulp, urls, **fields) as distribution:
        base_path = distribution["base_path"]
        yield SimpleNamespace(
            parts=parts,
            tree=tree,
            base=f"{CONTENT}/pulp/content/{base_path}/40/x86_64",
            guest_tree=f"{guest_origin}/pulp/content/{base_path}/40/x86_64",
            reference=f"{REGISTRY}/{base_path}:40-amd64",
        )


def pulled_tftp_root(bootable, directory: Path) -> Path:
    """The tree's netboot artifact pulled from Pulp's registry: the TFTP root."""
    pulled = OrasClient(hostname=REGISTRY, insecure=True).pull(
        target=bootable.reference, outdir=str(directory)
    )
    assert {Path(p).name: file_sha256(p) for p in pulled} == bootable.tree.expected_files()
    for name in ("vmlinuz", "shimx64.efi", "grubx64.efi", "pxelinux.0", "ldlinux.c32"):
        assert file_sha256(directory / name) == file_sha256(bootable.parts.path(name)), name
    return directory


def generated(bootable, name: str, target: Path) -> None:
    """Save a config Pulp generates for the tree."""
    response = requests.get(f"{bootable.base}/{name}", timeout=30)
    assert response.status_code == 200, (name, response.status_code)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(response.content)


def assert_booted(console, bootable):
    assert console.seen == MARKER, f"the VM did not boot to the marker; {console.describe()}"
    cmdline = next(line for line in console.text.splitlines() if CMDLINE_MARKER in line)
    assert f"inst.stage2={bootable.guest_tree}" in cmdline, console.describe()
    assert KERNEL_ARGS in cmdline, console.describe()


def test_bios_ipxe_boots_over_http_from_pulp(bootable, tmp_path):
    bootfile = f"{bootable.guest_tree}/boot.ipxe"
    args = ["-machine", "pc", "-netdev", user_net(bootfile=bootfile)]
    args += ["-device", "e1000,netdev=n0", "-boot", "n"]
    assert_booted(run_vm(args, tmp_path / "bios-ipxe-console.log", until=[MARKER]), bootable)


def test_bios_pxelinux_boots_over_tftp_from_the_pulled_artifact(bootable, tmp_path):
    tftp = pulled_tftp_root(bootable, tmp_path / "tftp")
    generated(bootable, "pxelinux.cfg/default", tftp / "pxelinux.cfg" / "default")
    args = ["-machine", "pc", "-netdev", user_net(tftp=str(tftp), bootfile="pxelinux.0")]
    args += ["-device", "e1000,netdev=n0", "-boot", "n"]
    assert_booted(run_vm(args, tmp_path / "bios-pxelinux-console.log", until=[MARKER]), bootable)


def secure_boot_vm(tftp: Path, tmp_path: Path) -> list[str]:
    """q35 with SMM, OVMF's Secure Boot firmware and a fresh copy of the MS-key variables;
    virtio-net without an option ROM, so OVMF's own network stack boots shim."""
    variables = tmp_path / "OVMF_VARS.fd"
    shutil.copyfile(OVMF_VARS_MS, variables)
    return [
        "-machine", "q35,smm=on",
        "-global", "driver=cfi.pflash01,property=secure,value=on",
        "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
        "-drive", f"if=pflash,format=raw,unit=1,file={variables}",
        "-netdev", user_net(tftp=str(tftp), bootfile="shimx64.efi"),
        "-device", "virtio-net-pci,netdev=n0,romfile=",
    ]  # fmt: skip


def uefi_tftp_root(bootable, directory: Path) -> Path:
    tftp = pulled_tftp_root(bootable, directory)
    generated(bootable, "grub.cfg", tftp / "grub" / "grub.cfg")  # where Debian's GRUB looks
    return tftp


def test_uefi_secure_boot_shim_grub_kernel_from_the_pulled_artifact(bootable, tmp_path):
    tftp = uefi_tftp_root(bootable, tmp_path / "tftp")
    console = run_vm(
        secure_boot_vm(tftp, tmp_path),
        tmp_path / "uefi-sb-console.log",
        until=[MARKER],
        timeout=UEFI_TIMEOUT,
    )
    assert_booted(console, bootable)
    assert "Secure boot enabled" in console.text, console.describe()


def test_uefi_secure_boot_refuses_a_grub_with_one_byte_flipped(bootable, tmp_path):
    tftp = uefi_tftp_root(bootable, tmp_path / "tftp")
    grub = tftp / "grubx64.efi"
    data = bytearray(grub.read_bytes())
    data[len(data) // 2] ^= 0x01  # inside the signed code, past the PE headers
    grub.write_bytes(bytes(data))
    console = run_vm(
        secure_boot_vm(tftp, tmp_path),
        tmp_path / "uefi-sb-flipped-console.log",
        until=[MARKER, SHIM_REFUSED],
        timeout=UEFI_TIMEOUT,
    )
    assert console.seen == SHIM_REFUSED, f"shim did not refuse grub; {console.describe()}"
    assert MARKER not in console.text
