Bootfiles distributions serve generated boot configs beside each tree: `boot.ipxe`, `grub.cfg`
and (with pxelinux) `pxelinux.cfg/default`, booting that tree's kernel and initrd with
`inst.stage2=<tree URL>` and the distribution's new `kernel_args`; `boot_origin` sets the origin
the configs' URLs use. New docs page on DHCP, TFTP and UEFI HTTP boot. The test suite boots QEMU
VMs from Pulp: BIOS iPXE over HTTP, PXELINUX over TFTP, UEFI Secure Boot shim -> GRUB -> kernel.
