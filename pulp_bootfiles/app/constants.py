"""The server's own constants: the noarch package arch, the EFI directories of the
distributions, the names of the files stored beside the images. The netboot artifact's
(arches, media types, annotations) are in pulp_glue.bootfiles.netboot.constants."""

from types import MappingProxyType

from pulp_glue.bootfiles.netboot.constants import DEFAULT_BOOTLOADERS

# The architecture-independent package arch; its packages are eligible for every tree.
NOARCH = "noarch"

# Where a distribution's shim and GRUB packages install them, /boot/efi/EFI/<dir>/, by the
# tree's [release] short name. DEFAULT_BOOTLOADERS is written for Fedora; for these trees its
# "fedora" directory is replaced. Other distributions need the remote's `bootloaders`.
EFI_VENDOR_DIRS = MappingProxyType(
    {
        "Fedora": "fedora",
        "RHEL": "redhat",
        "CentOS": "centos",
        "CentOS-Stream": "centos",
        "AlmaLinux": "almalinux",
        "Rocky": "rocky",
    }
)


def default_bootloaders(arch, short):
    """DEFAULT_BOOTLOADERS of `arch`, with the EFI directory of the distribution `short`."""
    efi = f"/EFI/{EFI_VENDOR_DIRS.get(short, 'fedora')}/"
    return {
        package: [path.replace("/EFI/fedora/", efi) for path in paths]
        for package, paths in DEFAULT_BOOTLOADERS.get(arch, {}).items()
    }


# Names of the files the plugin stores beside the images.
TREEINFO_NAME = ".treeinfo"
REPOMD_PATH = "repodata/repomd.xml"


class TREE_ORIGIN:
    """How a BootTree came into this Pulp (`BootTree.origin`); the first arrival of a unit
    names it, and no digest depends on it."""

    TREE = "tree"  # synced from a tree root: its .treeinfo, images and RPMs
    REGISTRY = "registry"  # synced from an OCI registry (another Pulp's too: replicate)
    PUSH = "push"  # pushed through this Pulp's registry
    DISTRIBUTION = "distribution"  # synced from another Pulp's distribution root (a capsule)
    IMPORT = "import"  # imported from a pulpcore export

    ALL = (TREE, REGISTRY, PUSH, DISTRIBUTION, IMPORT)
