"""What a pull reads of a tag: its index or per-arch manifest, by the server's own rules (the
netboot package's reader), and the rules that matter only where the pull writes files.

A release tag (`40`) names an index, a per-arch tag (`40-amd64`) a manifest, as the server
reads them. A digest or a tag that names no arch leaves the release to the artifact: an index's
`os.version` (read as the Foreman pipeline tags it), a manifest's version annotation.
"""

from dataclasses import dataclass

from pulp_glue.bootfiles.netboot.constants import ANNOTATION, GOARCH, MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci_read import (
    ArchArtifact,
    NetbootRuleError,
    load_json,
    read_index,
    read_manifest,
    split_tag,
)

ACCEPT = (MEDIA_TYPE.MANIFEST_OCI, MEDIA_TYPE.INDEX_OCI)
ARCH_OF_GOARCH = {goarch: arch for arch, goarch in GOARCH.items()}
# The arch of a manifest no tag or index names; the flat and tftp layouts need none.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pulled:
    """One per-arch manifest with what its index (or tag) says about it."""

    arch: str
    os_name: str
    release: str
    manifest: ArchArtifact

    def titles(self) -> dict:
        """{title: NetbootFile} of its layers."""
        return {item.file.title: item.file for item in self.manifest.files}


def tag_parts(tag: str) -> tuple:
    """(release, arch or None) of a tag, as the server reads it; refuses what is not one."""
    parts = split_tag(tag)
    if parts is None:
        raise NetbootRuleError(tag, "is not a netboot tag ('40', '40-amd64')")
    return parts


def index_platforms(data: bytes, ref, by_digest: bool) -> list:
    """The IndexListings of the index `ref` names."""
    tag = _os_version(data, ref) if by_digest else ref.tag
    if not by_digest and tag_parts(tag)[1] is not None:
        raise NetbootRuleError(tag, "a per-arch tag names an image index, not a manifest")
    return read_index(data, tag)


def listed_manifest(data: bytes, listing) -> Pulled:
    """The manifest an index entry lists, read as the server reads it (`<release>-<goarch>`)."""
    tag = f"{listing.release}-{GOARCH[listing.arch]}"
    manifest = read_manifest(data, tag, listing.release, listing.arch, listing.version_on_entry)
    return Pulled(listing.arch, listing.family, listing.release, _files_checked(tag, manifest))


def lone_manifest(data: bytes, ref, by_digest: bool) -> Pulled:
    """The manifest `ref` names itself: a per-arch tag gives its release and arch."""
    release, arch = (None, None) if by_digest else tag_parts(ref.tag)
    tag = str(ref.tag)
    if arch is None:
        release = _annotation(data, tag, ANNOTATION.VERSION) or release or UNKNOWN
    manifest = read_manifest(data, tag, release, arch or UNKNOWN)
    return Pulled(arch or UNKNOWN, UNKNOWN, release, _files_checked(tag, manifest))


def _files_checked(tag: str, manifest: ArchArtifact) -> ArchArtifact:
    # The pull writes each layer into DEST by its title, beside its own `.pulp-bootfiles`.
    for item in manifest.files:
        if item.file.title.startswith("."):
            raise NetbootRuleError(tag, f"layer {item.file.title!r} title is a hidden file name")
    return manifest


def _os_version(data: bytes, ref) -> str:
    """The `os.version` the first entry of the index names, as the tag to read it by."""
    entries = load_json(data, str(ref), "the index").get("manifests")
    first = entries[0] if isinstance(entries, list) and entries else {}
    platform = first.get("platform") if isinstance(first, dict) else None
    found = platform.get("os.version") if isinstance(platform, dict) else None
    return found if isinstance(found, str) and found else str(ref)


def _annotation(data: bytes, tag: str, name: str) -> str:
    annotations = load_json(data, tag, "the manifest").get("annotations")
    found = annotations.get(name) if isinstance(annotations, dict) else None
    return found if isinstance(found, str) else ""
