"""
Build the netboot OCI artifact: one image manifest per (release, arch), an image index per release.

Pure functions over plain data, following the netboot OCI artifacts specification
(pulp/netboot-oci-specs, `netboot-oci-artifacts.md`). The output is the exact bytes to store and
serve; they are serialized deterministically, so the same files always give the same digest.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from pulp_glue.bootfiles.netboot.bootconfigs import CONFIG_NAMES
from pulp_glue.bootfiles.netboot.constants import (
    ANNOTATION,
    DIGEST,
    GOARCH,
    MEDIA_TYPE,
    NETBOOT_ARTIFACT_TYPE,
    NETBOOT_SPEC_VERSION,
)

# The OCI empty descriptor: the two bytes `{}`, which the spec requires as the config.
EMPTY_CONFIG = b"{}"
EMPTY_CONFIG_DESCRIPTOR = {
    "mediaType": MEDIA_TYPE.EMPTY_CONFIG,
    "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    "size": 2,
    "data": "e30=",
}

# Every netboot artifact is for Linux installers (the spec's platform `os`).
PLATFORM_OS = "linux"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# The OCI distribution-spec tag grammar.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The spec forbids boot configuration files (grub.cfg, pxelinux.cfg, ...) in the artifact; a
# file named like a config the server generates (boot.ipxe) would be hidden behind it.
_BOOT_CONFIG_SUFFIX = ".cfg"


@dataclass(frozen=True)
class NetbootFile:
    """
    One file of a netboot artifact, which becomes one layer.

    Fields:
        title (str): Flat file name, the layer's `org.opencontainers.image.title`.
        sha256 (str): Hex SHA-256 of the file (the layer digest, layers are uncompressed).
        size (int): Size of the file in bytes.
        src_path (str): Path of the file in the tree or package.
        src_rpm (str): NEVRA of the RPM the file was extracted from; "" for tree images.
        src_rpm_key (str): Key id whose signature on that RPM was verified; "" when none was.
        sbat (str): The file's SBAT text (CSV lines), "" when it has none.
    """

    title: str
    sha256: str
    size: int
    src_path: str
    src_rpm: str = ""
    src_rpm_key: str = ""
    sbat: str = ""

    def __post_init__(self):
        problem = _title_problem(self.title)
        if problem:
            raise ValueError(f"Netboot file title {self.title!r} {problem}.")
        if not isinstance(self.sha256, str) or not _SHA256_HEX.fullmatch(self.sha256):
            raise ValueError(
                f"Netboot file {self.title!r} has sha256 {self.sha256!r}, "
                "not 64 lowercase hex digits."
            )
        if not _is_count(self.size):
            raise ValueError(
                f"Netboot file {self.title!r} has size {self.size!r}, not an int >= 0."
            )

    @property
    def digest(self):
        """The layer digest, "sha256:<hex>" (layers are the files, uncompressed)."""
        return f"sha256:{self.sha256}"


@dataclass(frozen=True)
class IndexEntry:
    """
    One per-arch manifest listed by an image index.

    Fields:
        digest (str): "sha256:<hex>" of the manifest bytes.
        size (int): Length of the manifest bytes.
        goarch (str): Go/OCI architecture name ("amd64").
        os_version (str): Platform `os.version`, `<os>-<release>` ("fedora-40").
    """

    digest: str
    size: int
    goarch: str
    os_version: str

    def __post_init__(self):
        if not isinstance(self.digest, str) or not DIGEST.fullmatch(self.digest):
            raise ValueError(f"Index entry digest {self.digest!r} is not 'sha256:<64 hex>'.")
        if not _is_count(self.size) or self.size == 0:
            raise ValueError(f"Index entry {self.digest} has size {self.size!r}, not an int > 0.")
        if self.goarch not in GOARCH.values():
            raise ValueError(
                f"Index entry {self.digest} has architecture {self.goarch!r}, "
                f"not one of {sorted(GOARCH.values())}."
            )


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _title_problem(title):
    if not isinstance(title, str) or not title:
        return "is empty"
    if title in (".", ".."):
        return "is not a file name"
    if "/" in title or "\\" in title:
        return "contains a path separator"
    if _CONTROL.search(title):
        return "contains a control character"
    if title.lower().endswith(_BOOT_CONFIG_SUFFIX) or title.lower() in CONFIG_NAMES:
        return "is a boot configuration file, which netboot artifacts must not contain"
    return None


def sha256_digest(data: bytes) -> str:
    """The OCI digest of `data`: "sha256:<hex>"."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _serialize(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def _rfc3339(timestamp):
    if not _is_count(timestamp):
        raise ValueError(f"Created timestamp {timestamp!r} is not an int epoch time >= 0.")
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_release(release):
    if not isinstance(release, str) or not _TAG.fullmatch(release):
        raise ValueError(f"Release {release!r} cannot be used in an OCI tag.")


def release_tag(release: str) -> str:
    """The tag of a release's image index: "40"."""
    _check_release(release)
    return release


# How sigstore attachments (cosign, `skopeo copy --sign-by-sigstore`) tag a manifest's
# signatures: "sha256-<hex>.sig" beside the manifest "sha256:<hex>".
SIGNATURE_TAG = re.compile(r"sha256-(?P<hex>[0-9a-f]{64})\.sig")


def signed_digest(tag: str) -> str | None:
    """The digest a sigstore signature tag names ("sha256-<hex>.sig"), None for other tags."""
    match = SIGNATURE_TAG.fullmatch(tag)
    return f"sha256:{match['hex']}" if match else None


def arch_tag(release: str, arch: str) -> str:
    """The tag of a per-arch manifest, from the tree's arch: ("40", "x86_64") -> "40-amd64"."""
    _check_release(release)
    if arch not in GOARCH:
        raise ValueError(f"Architecture {arch!r} is not one of {sorted(GOARCH)}.")
    tag = f"{release}-{GOARCH[arch]}"
    if not _TAG.fullmatch(tag):
        raise ValueError(f"Tag {tag!r} is longer than an OCI tag may be.")
    return tag


def os_version(family: str, release: str) -> str:
    """The index platform `os.version`: ("Fedora", "40") -> "fedora-40"."""
    if not family or not release:
        raise ValueError(f"os.version needs a family and a release, got {family!r}, {release!r}.")
    return f"{family.lower()}-{release}"


def _layer(file):
    annotations = {ANNOTATION.TITLE: file.title, ANNOTATION.SRC_PATH: file.src_path}
    if file.src_rpm:
        annotations[ANNOTATION.SRC_RPM] = file.src_rpm
    if file.src_rpm_key:
        annotations[ANNOTATION.SRC_RPM_KEY] = file.src_rpm_key
    if file.sbat:
        annotations[ANNOTATION.SBAT] = file.sbat
    return {
        "mediaType": MEDIA_TYPE.NETBOOT_FILE,
        "digest": file.digest,
        "size": file.size,
        "annotations": annotations,
    }


def build_manifest(files, *, release, created=None, kernel_version=None) -> bytes:
    """
    The bytes of the OCI image manifest of one (release, arch) netboot artifact.

    Args:
        files (iterable of NetbootFile): The files, one layer each, in any order.
        release (str): Release version, the `org.opencontainers.image.version` annotation.
        created (int): The tree's build time (seconds since the epoch), for
            `org.opencontainers.image.created` (RFC 3339) and
            `org.pulpproject.netboot.tree.build_timestamp` (as given); left out when None.
            Never the wall clock: the manifest must be deterministic.
        kernel_version (str): For `org.pulpproject.netboot.kernel.version`; left out when None
            or "".

    Raises:
        ValueError: No files, two files with one title, or an unusable release or created time.
    """
    files = sorted(files, key=lambda file: file.title)
    if not files:
        raise ValueError("A netboot manifest needs at least one file.")
    titles = [file.title for file in files]
    duplicates = sorted({title for title in titles if titles.count(title) > 1})
    if duplicates:
        raise ValueError(f"Netboot file titles must be unique; repeated: {', '.join(duplicates)}.")
    if not isinstance(release, str) or not release:
        raise ValueError(f"Release {release!r} is not a non-empty string.")

    # No URL of where the files came from: the manifest is a function of the files alone, so
    # every mirror and every repository that syncs a tree gets the same digest. Provenance is
    # the API field BootTree.source_url instead.
    annotations = {
        ANNOTATION.NETBOOT_VERSION: NETBOOT_SPEC_VERSION,
        ANNOTATION.VERSION: release,
    }
    if created is not None:
        annotations[ANNOTATION.CREATED] = _rfc3339(created)
        annotations[ANNOTATION.TREE_BUILD_TIMESTAMP] = str(created)
    if kernel_version:
        annotations[ANNOTATION.KERNEL_VERSION] = kernel_version
    return _serialize(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE.MANIFEST_OCI,
            "artifactType": NETBOOT_ARTIFACT_TYPE,
            "config": EMPTY_CONFIG_DESCRIPTOR,
            "layers": [_layer(file) for file in files],
            "annotations": annotations,
        }
    )


def build_index(entries, *, release) -> bytes:
    """
    The bytes of the OCI image index of one release, listing its per-arch manifests.

    Args:
        entries (iterable of IndexEntry): The per-arch manifests, in any order.
        release (str): The release; every entry's `os_version` must be `<os>-<release>`.

    Raises:
        ValueError: No entries, two entries for one architecture, or an entry of another release.
    """
    _check_release(release)
    entries = sorted(entries, key=lambda entry: entry.goarch)
    if not entries:
        raise ValueError(f"The index of release {release} needs at least one manifest.")
    arches = [entry.goarch for entry in entries]
    duplicates = sorted({arch for arch in arches if arches.count(arch) > 1})
    if duplicates:
        raise ValueError(
            f"The index of release {release} lists more than one manifest for: "
            f"{', '.join(duplicates)}."
        )
    for entry in entries:
        if not entry.os_version.endswith(f"-{release}") or entry.os_version == f"-{release}":
            raise ValueError(
                f"Index entry {entry.digest} has os.version {entry.os_version!r}, "
                f"not '<os>-{release}'."
            )

    netboot_version = {ANNOTATION.NETBOOT_VERSION: NETBOOT_SPEC_VERSION}
    return _serialize(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE.INDEX_OCI,
            "artifactType": NETBOOT_ARTIFACT_TYPE,
            "manifests": [
                {
                    "mediaType": MEDIA_TYPE.MANIFEST_OCI,
                    "digest": entry.digest,
                    "size": entry.size,
                    "artifactType": NETBOOT_ARTIFACT_TYPE,
                    "platform": {
                        "architecture": entry.goarch,
                        "os": PLATFORM_OS,
                        "os.version": entry.os_version,
                    },
                    "annotations": dict(netboot_version),
                }
                for entry in entries
            ],
            "annotations": netboot_version,
        }
    )
