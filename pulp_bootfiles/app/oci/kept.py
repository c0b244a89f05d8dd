"""
Manifests and indexes kept as their upstream wrote them, for trees that came as v1 artifacts.

A netboot artifact's signatures name its manifest and index digests, so a tree that came as a
v1 artifact (pushed, synced from a registry or from another Pulp's distribution root) is served
as those bytes, here and on every copy made from here. Its layers are its files, so the kept
manifest links the Blobs of the tree's own Artifacts (or of their RemoteArtifacts, on_demand),
as a rebuilt one does (`content`).
"""

from pulp_glue.bootfiles.netboot.constants import GOARCH
from pulp_glue.bootfiles.netboot.oci import IndexEntry
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.oci.blobs import blob_for_source, empty_config_blob, layer_sources
from pulp_bootfiles.app.oci.content import arch_manifest, index_manifest


class KeptManifestError(ValueError):
    """Kept bytes that do not describe the files they come with (the message says how)."""


def kept_manifest(data, files, arch):
    """
    The Manifest of the upstream bytes `data`, a checked netboot manifest whose layers are
    the saved BootFiles `files` of an `arch` tree.

    Raises:
        KeptManifestError: A file's bytes are neither stored nor known by size (cannot be).
    """
    domain = get_domain()
    sources = layer_sources(files)
    missing = [bootfile.name for bootfile in files if sources[bootfile.pk] is None]
    if missing:
        raise KeptManifestError(f"no bytes and no known size for {', '.join(missing)}")
    layers = [
        blob_for_source(f"sha256:{bootfile.sha256}", sources[bootfile.pk], domain)
        for bootfile in files
    ]
    return arch_manifest(data, empty_config_blob(domain), layers, GOARCH[arch], domain)


def kept_index(data, listings, kept):
    """
    The index Manifest of the upstream bytes `data` (whose entries are `listings`), when every
    manifest it lists is kept (`kept`: {digest: Manifest}); None when one is not (a filtered
    arch, a prototype), as the release is then served a rebuilt index.
    """
    if not listings or any(listing.digest not in kept for listing in listings):
        return None
    entries = [
        (
            IndexEntry(listing.digest, listing.size, GOARCH[listing.arch], listing.os_version),
            kept[listing.digest],
        )
        for listing in listings
    ]
    return index_manifest(data, entries, get_domain())
