"""The netboot artifact rules' constants, written once for the server and the boot-server
consumer: arches, media types, annotations, the spec version and formats."""

import re
from types import MappingProxyType, SimpleNamespace

# An OCI digest as the artifacts use them (sha256 only).
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

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

# Which files are pulled out of which packages, per tree arch: {arch: {package: [path, ...]}}.
# The flat file name (the OCI layer title) is the basename of the path; a layer without a
# source path is put where its package keeps it (oci_read.default_path).
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
