"""Constants written once: arches, default bootloader packages, media types, annotations."""

from types import MappingProxyType, SimpleNamespace

# Fedora arch names and the Go/OCI names used in tags and index platforms.
GOARCH = MappingProxyType(
    {
        "x86_64": "amd64",
        "aarch64": "arm64",
        "ppc64le": "ppc64le",
        "s390x": "s390x",
    }
)
SUPPORTED_ARCHES = tuple(GOARCH)

# The architecture-independent package arch; its packages are eligible for every tree.
NOARCH = "noarch"

# Which files are pulled out of which packages, per tree arch: {arch: {package: [path, ...]}}.
# The flat file name (the OCI layer title) is the basename of the path.
DEFAULT_BOOTLOADERS = MappingProxyType(
    {
        "x86_64": {
            "shim-x64": ["/boot/efi/EFI/fedora/shimx64.efi"],
            "grub2-efi-x64": ["/boot/efi/EFI/fedora/grubx64.efi"],
            "syslinux-tftpboot": ["/tftpboot/pxelinux.0", "/tftpboot/ldlinux.c32"],
        },
        "aarch64": {
            "shim-aa64": ["/boot/efi/EFI/fedora/shimaa64.efi"],
            "grub2-efi-aa64": ["/boot/efi/EFI/fedora/grubaa64.efi"],
        },
        "ppc64le": {},
        "s390x": {},
    }
)

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

MEDIA_TYPE = SimpleNamespace(
    MANIFEST_OCI="application/vnd.oci.image.manifest.v1+json",
    INDEX_OCI="application/vnd.oci.image.index.v1+json",
    EMPTY_CONFIG="application/vnd.oci.empty.v1+json",
    NETBOOT_FILE="application/x-netboot-file",
)
NETBOOT_ARTIFACT_TYPE = "application/vnd.org.pulpproject.netboot.artifact.v1"

ANNOTATION = SimpleNamespace(
    TITLE="org.opencontainers.image.title",
    SOURCE="org.opencontainers.image.source",
    VERSION="org.opencontainers.image.version",
    CREATED="org.opencontainers.image.created",
    NETBOOT_VERSION="org.pulpproject.netboot.version",
    SRC_PATH="org.pulpproject.netboot.src.path",
    SRC_RPM="org.pulpproject.netboot.src.rpm",
    # Chain of trust and provenance (docs/user/chain-of-trust.md).
    SRC_RPM_KEY="org.pulpproject.netboot.src.rpm.key",
    SBAT="org.pulpproject.netboot.sbat",
    TREE_URL="org.pulpproject.netboot.tree.url",
    TREE_BUILD_TIMESTAMP="org.pulpproject.netboot.tree.build_timestamp",
    KERNEL_VERSION="org.pulpproject.netboot.kernel.version",
)
NETBOOT_SPEC_VERSION = "1"

# The artifact formats an OCI remote reads (its `formats`; docs/user/server-to-server.md).
NETBOOT_FORMAT = SimpleNamespace(
    # The v1 spec (pulp/netboot-oci-specs), as Pulp serves it.
    V1="netboot-v1",
    # v1 as podman 5 writes it, what theforeman/nboci-files pushes: tags `<os>-<release>` and
    # the version annotation on the index entries only.
    PODMAN="foreman-pipeline",
    # The March 2024 prototype that osbuild/nboci pushes: no index, zstd layers.
    PROTOTYPE="nboci-prototype",
)
NETBOOT_FORMATS = (NETBOOT_FORMAT.V1, NETBOOT_FORMAT.PODMAN, NETBOOT_FORMAT.PROTOTYPE)
