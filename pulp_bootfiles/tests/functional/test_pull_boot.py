"""A VM boots from what `pulp bootfiles pull --layout tftp` made: the bootable tree (Debian's
kernel and pxelinux, a busybox initrd that prints a marker) pulled from Pulp's registry with
nothing but the registry, served by QEMU's TFTP from DEST through the pull's links, and booted
with the pxelinux.cfg/default the pull wrote (BIOS PXELINUX: the fastest of the boot proofs).
"""

import pytest
from pulp_glue.bootfiles.pull import pull

from pulp_bootfiles.tests.fixtures.bootable import MARKER
from pulp_bootfiles.tests.functional.qemu import run_vm, user_net
from pulp_bootfiles.tests.functional.test_vm_boot import (  # noqa: F401
    KERNEL_ARGS,
    assert_booted,
    bootable,
)

pytestmark = pytest.mark.vm


def test_bios_pxelinux_boots_from_the_tftp_layout(bootable, tmp_path):  # noqa: F811
    dest = tmp_path / "tftp"
    result = pull(
        bootable.reference,
        dest,
        "tftp",
        plain_http=True,
        exclude=["install.img", "boot.iso", "efiboot.img"],
        stage2=bootable.guest_tree,
        kernel_args=KERNEL_ARGS,
    )
    assert result.changed and (dest / "pxelinux.0").is_symlink()
    assert "initrd=initrd.img" in (dest / "pxelinux.cfg" / "default").read_text()
    args = ["-machine", "pc", "-netdev", user_net(tftp=str(dest), bootfile="pxelinux.0")]
    args += ["-device", "e1000,netdev=n0", "-boot", "n"]
    console = run_vm(args, tmp_path / "pull-pxelinux-console.log", until=[MARKER])
    assert_booted(console, bootable)
