"""
The BootFiles and BootTree a checked netboot artifact gives, whether synced or pushed.

An OCI sync (`sync_in.first_stage`) and a push through the registry (`push_in`) read
manifests with the same readers and turn each per-arch artifact into the same kind of tree.
"""

from pulp_glue.bootfiles.netboot.sbat import parse_sbat

from pulp_bootfiles.app.models import BootFile, BootTree
from pulp_bootfiles.app.tree_identity import tree_digest


class NetbootTreeSpec:
    """A checked per-arch artifact and what its index says about it: one BootTree to make."""

    def __init__(self, tag, listing, artifact, format, family=None):
        self.tag = tag
        self.listing = listing
        self.artifact = artifact
        self.format = format
        # The OS name as the repository's trees spell it, for a manifest pushed without an
        # index; else the OS of the index's os.version ("fedora").
        self.family = family or listing.family

    def bootfiles(self):
        return [
            BootFile(
                name=item.file.title,
                relative_path=item.relative_path,
                release=self.artifact.release,
                arch=self.listing.arch,
                sha256=item.file.sha256,
                source_package=item.file.src_rpm,
                # What the upstream recorded: the key it verified the package with, the SBAT
                # it read. Kept so the rebuilt manifest matches the upstream's byte for byte.
                signing_key_id=item.file.src_rpm_key,
                sbat=_sbat_entries(item.file),
            )
            for item in self.artifact.files
        ]

    def boottree(self, files, pushed=False):
        """
        The unsaved BootTree of `files` (the saved BootFiles of `bootfiles()`).

        A pushed tree is served with the manifest it was pushed as (`manifest_digest`), so it
        is another unit than the tree an OCI sync of the same manifest makes (served rebuilt).
        """
        # The identity is the upstream manifest and platform: there is no .treeinfo to hash.
        origin = "push" if pushed else "oci"
        identity = f"{origin}:{self.artifact.digest}:{self.listing.os_version}"
        return BootTree(
            family=self.family,
            release=self.artifact.release,
            arch=self.listing.arch,
            build_timestamp=self.artifact.created,
            source_url=self.artifact.source,
            kernel_version=self.artifact.kernel_version,
            digest=tree_digest(identity, files),
            manifest_digest=self.artifact.digest if pushed else "",
        )


def _sbat_entries(file):
    if not file.sbat:
        return None
    return [entry.as_dict() for entry in parse_sbat(file.sbat.encode(), file.title)]
