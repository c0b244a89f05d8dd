"""
The OCI side a distribution's index (`.bootfiles.json`) lists, kept by a capsule syncing from it.

The index carries the bytes of the manifests kept trees are served as, their release indexes
and the signatures of both (`formats.netboot_index`, `oci`). A capsule sync
(`sync.from_index`, which the sync task hands this class) saves its trees, then keeps those
bytes here: the same manifests (`kept`), indexes and signatures (`carried_signatures`) as the
upstream, each checked before it is saved.
"""

import base64

from pulp_glue.bootfiles.netboot.oci_read import NetbootRuleError, read_index
from pulpcore.plugin.exceptions import SyncError

from pulp_bootfiles.app.oci.carried_signatures import (
    CarriedSignatureError,
    keep_attachment,
    keep_simple_signature,
)
from pulp_bootfiles.app.oci.kept import KeptManifestError, kept_index, kept_manifest


class IndexedOCI:
    """Keeps what the index at `index_url` lists of the OCI side (`oci`, an IndexOCI)."""

    def __init__(self, oci, index_url):
        self.oci = oci
        self.index_url = index_url

    def manifest(self, where, text, files, arch):
        """The kept Manifest of a tree (its listed JSON `text`, its saved BootFiles)."""
        try:
            return kept_manifest(text.encode(), files, arch)
        except KeptManifestError as exc:
            raise SyncError(f"{where}: {exc}") from exc

    def units(self, kept):
        """The release indexes and signatures listed for the kept manifests (`kept`: {digest:
        Manifest}), saved: the units the version adds besides the trees."""
        units = []
        signable = dict(kept)
        for release, text in sorted(self.oci.indexes.items()):
            try:
                listings = read_index(text.encode(), release)
            except NetbootRuleError as exc:
                raise SyncError(f"{self.index_url}: oci.indexes[{release}]: {exc}") from exc
            index = kept_index(text.encode(), listings, kept)
            if index is not None:
                units.append(index)
                signable[index.digest] = index
        try:
            for signature in self.oci.signatures:
                signed = signable.get(signature.manifest)
                if signed is not None:
                    raw = base64.b64decode(signature.data)
                    units.append(keep_simple_signature(signed, raw, signature.name))
            for attachment in self.oci.attachments:
                blobs = {
                    digest: base64.b64decode(encoded)
                    for digest, encoded in attachment.blobs.items()
                }
                units.append(
                    keep_attachment(
                        attachment.tag, attachment.manifest.encode(), blobs, set(signable)
                    )
                )
        except CarriedSignatureError as exc:
            raise SyncError(f"{self.index_url}: {exc}") from exc
        return units
