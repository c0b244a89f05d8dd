"""
The BootFiles and BootTree a checked netboot artifact gives, whether synced or pushed.

An OCI sync (`sync_in.first_stage`) and a push through the registry (`push_in`) read
manifests with the same readers and turn each per-arch artifact into the same kind of tree.
"""

from pulp_glue.bootfiles.netboot.constants import NETBOOT_FORMAT
from pulp_glue.bootfiles.netboot.sbat import parse_sbat

from pulp_bootfiles.app.models import BootFile, BootTree
from pulp_bootfiles.app.tree_identity import tree_digest

# Identity prefixes. "push:" is that of every tree served as the manifest it came as, pushed or
# synced (the name predates syncs keeping theirs; trees pushed before keep their units).
KEPT_IDENTITY, REBUILT_IDENTITY = "push:", "oci:"


class NetbootTreeSpec:
    """A checked per-arch artifact and what its index says about it: one BootTree to make."""

    def __init__(self, tag, listing, artifact, format, family=None, data=None):
        self.tag = tag
        self.listing = listing
        self.artifact = artifact
        self.format = format
        # The manifest's bytes as the upstream (or pusher) wrote them.
        self.data = data
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

    @property
    def kept(self):
        """
        Whether the tree is served as the manifest it came as, byte for byte: a v1 artifact,
        or podman's way of writing one under the spec's tags (what a pipeline pushed into a
        Pulp, which serves it as pushed, so its copies do too).

        Rebuilt as v1: podman's artifacts under the Foreman pipeline's own tags (`fedora-40`,
        a producer's format, converted at sync as the spec asks), and the prototype, whose
        zstd layers Pulp does not keep.
        """
        if self.format == NETBOOT_FORMAT.PODMAN:
            return not self.listing.tag_names_os
        return self.format == NETBOOT_FORMAT.V1

    def boottree(self, files, origin):
        """
        The unsaved BootTree of `files` (the saved BootFiles of `bootfiles()`), which came into
        Pulp as `origin` (a `constants.TREE_ORIGIN`).

        A kept tree is served with the manifest it came as (`manifest_digest`), so it is
        another unit than a rebuilt tree of the same files.
        """
        # The identity is the upstream manifest and platform: there is no .treeinfo to hash.
        prefix = KEPT_IDENTITY if self.kept else REBUILT_IDENTITY
        identity = f"{prefix}{self.artifact.digest}:{self.listing.os_version}"
        return BootTree(
            family=self.family,
            release=self.artifact.release,
            arch=self.listing.arch,
            build_timestamp=self.artifact.created,
            source_url=self.artifact.source,
            kernel_version=self.artifact.kernel_version,
            digest=tree_digest(identity, files),
            manifest_digest=self.artifact.digest if self.kept else "",
            origin=origin,
        )


def _sbat_entries(file):
    if not file.sbat:
        return None
    return [entry.as_dict() for entry in parse_sbat(file.sbat.encode(), file.title)]
