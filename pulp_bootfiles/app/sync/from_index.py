"""
Sync from another Pulp's distribution root (a capsule): its `.bootfiles.json` lists every tree.

Each tree's `.treeinfo` and files are fetched from `<url>/<release>/<arch>/<path>` through
the declarative pipeline with the sha256 and size the index gives, so pulpcore's downloader
checks every byte and files Pulp already stores are not downloaded again: a re-sync of an
unchanged upstream downloads the index and nothing else. The units carry the index's
metadata (source package and checksum, signing key id, SBAT, provenance, kernel version), so
the tree digests and the OCI manifests come out the same as the upstream's (manifests name no
URL, so `source_url` does not enter them). No RPM or
repodata is read; the upstream's checks (signatures, SBAT) are recorded, not repeated.

Trees the upstream serves as the manifests they came as (pushed, or synced from a registry)
come with those manifests' bytes, their release indexes and their signatures (`oci` in the
index), which the `oci_keeper` the task hands down (`oci.index_in`) keeps as they are: the
capsule serves the upstream's digests, and what the upstream's signatures name.
"""

from asgiref.sync import sync_to_async
from pulp_glue.bootfiles.netboot.oci_read import NetbootRuleError, read_manifest
from pulpcore.plugin.exceptions import SyncError
from pulpcore.plugin.models import Artifact, ProgressReport, Remote
from pulpcore.plugin.stages import DeclarativeArtifact, DeclarativeContent, Stage

from pulp_bootfiles.app.constants import TREE_ORIGIN, TREEINFO_NAME
from pulp_bootfiles.app.formats.netboot_index import read_document
from pulp_bootfiles.app.models import BootFile, BootTree
from pulp_bootfiles.app.sync.errors import parse_or_fail
from pulp_bootfiles.app.sync.fetch import tree_url
from pulp_bootfiles.app.tree_identity import tree_digest

# Identity prefix of trees listed without a .treeinfo (the upstream synced them from an OCI
# registry): their digest cannot be recomputed here, so it is never taken as it is.
INDEX_IDENTITY = "index:"


class IndexedTree:
    """One tree of the index, checked: its BootFiles, its digest and where its files are."""

    def __init__(self, base_url, tree, index_url):
        self.tree = tree
        self.where = f"{index_url}: tree {tree.release}/{tree.arch}"
        self.directory = tree_url(base_url, f"{tree.release}/{tree.arch}/")
        self.bootfiles = [
            BootFile(
                name=entry.name,
                relative_path=entry.path,
                release=tree.release,
                arch=tree.arch,
                sha256=entry.sha256,
                source_package=entry.source_package,
                source_package_checksum=entry.source_package_checksum,
                signing_key_id=entry.signing_key_id,
                sbat=entry.sbat,
            )
            for entry in tree.files
        ]
        self.digest = self._digest()
        self.layer_sizes = self._check_manifest()

    def _digest(self):
        tree = self.tree
        if tree.treeinfo is None:
            if not tree.digest:
                raise SyncError(f"{self.where}: lists neither a .treeinfo nor a digest")
            return tree_digest(INDEX_IDENTITY + tree.digest, self.bootfiles)
        digest = tree_digest(tree.treeinfo.sha256, self.bootfiles)
        if tree.digest and tree.digest != digest:
            raise SyncError(
                f"{self.where}: digest {tree.digest} is not the one its .treeinfo and files "
                f"give ({digest})"
            )
        return digest

    def _check_manifest(self):
        """{sha256: size} of the kept manifest's layers, checked to be exactly the tree's
        files; empty for a tree served rebuilt."""
        tree = self.tree
        if tree.manifest is None:
            if tree.manifest_digest:
                raise SyncError(f"{self.where}: lists manifest {tree.manifest_digest} without it")
            return {}
        try:
            # Lenient on where the version annotation is: podman writes it on the index entry.
            artifact = read_manifest(
                tree.manifest.encode(), tree.manifest_digest, tree.release, tree.arch, True
            )
        except NetbootRuleError as exc:
            raise SyncError(f"{self.where}: {exc}") from exc
        layers = {item.file.title: (item.file.sha256, item.file.size) for item in artifact.files}
        files = {entry.name: entry for entry in tree.files}
        if set(layers) != set(files) or any(
            layers[name][0] != entry.sha256 or entry.size not in (None, layers[name][1])
            for name, entry in files.items()
        ):
            raise SyncError(
                f"{self.where}: manifest {tree.manifest_digest} does not list the tree's files"
            )
        return dict(layers.values())

    def size(self, entry):
        """The size of a listed file: the index's, else its kept manifest's layer size."""
        return entry.size if entry.size is not None else self.layer_sizes.get(entry.sha256)

    def url(self, path):
        return tree_url(self.directory, path)

    def boottree(self):
        tree = self.tree
        return BootTree(
            family=tree.family,
            short=tree.short,
            release=tree.release,
            variant=tree.variant,
            arch=tree.arch,
            build_timestamp=tree.build_timestamp,
            digest=self.digest,
            # The upstream's provenance (where it synced the tree from), not this URL.
            source_url=tree.source_url,
            kernel_version=tree.kernel_version,
            boot_iso_bootloaders=tree.boot_iso_bootloaders,
            manifest_digest=tree.manifest_digest,
            origin=TREE_ORIGIN.DISTRIBUTION,
        )


def indexed_trees(base_url, data, index_url):
    """The checked trees of an index document and its IndexOCI; a SyncError names the URL
    and the problem."""
    document = parse_or_fail(read_document, data, index_url)
    if not document.trees:
        raise SyncError(f"{index_url}: lists no trees")
    return [IndexedTree(base_url, tree, index_url) for tree in document.trees], document.oci


class IndexFirstStage(Stage):
    """Emit the BootFiles of every tree of the index, then each BootTree linked to them."""

    def __init__(self, remote, data, index_url, oci_keeper):
        """`oci_keeper(oci, index_url)` keeps what the index lists of the OCI side (the task
        hands `oci.index_in.IndexedOCI` down: sync/ does not import oci/)."""
        super().__init__()
        self.remote = remote
        self.deferred = remote.policy != Remote.IMMEDIATE
        _refuse_tree_options(remote, index_url)
        # Checked whole before the first download: a bad index costs nothing else.
        self.trees, oci = indexed_trees(remote.url, data, index_url)
        self.oci = oci_keeper(oci, index_url)

    async def run(self):
        async with ProgressReport(
            message="Syncing trees listed in the index",
            code="sync.index.trees",
            total=len(self.trees),
        ) as progress:
            emitted, kept = [], {}
            for tree in self.trees:
                dcs = [
                    self._file(tree, bootfile, tree.size(entry))
                    for bootfile, entry in zip(tree.bootfiles, tree.tree.files, strict=True)
                ]
                for dc in dcs:
                    await self.put(dc)
                emitted.append((tree, dcs))
            for tree, dcs in emitted:
                files = [await dc.resolution() for dc in dcs]
                tree_dc = self._tree(tree)
                await self.put(tree_dc)
                unit = await tree_dc.resolution()
                await sync_to_async(unit.files.set)(files)
                if tree.tree.manifest is not None:
                    kept[tree.tree.manifest_digest] = await sync_to_async(self.oci.manifest)(
                        tree.where, tree.tree.manifest, files, tree.tree.arch
                    )
                await progress.aincrement()
        if kept:
            for unit in await sync_to_async(self.oci.units)(kept):
                await self.put(DeclarativeContent(content=unit))

    def _file(self, tree, bootfile, size):
        artifact = DeclarativeArtifact(
            artifact=Artifact(sha256=bootfile.sha256, size=size),
            url=tree.url(bootfile.relative_path),
            relative_path=bootfile.content_path,
            remote=self.remote,
            deferred_download=self.deferred,
        )
        return DeclarativeContent(content=bootfile, d_artifacts=[artifact])

    def _tree(self, tree):
        treeinfo = tree.tree.treeinfo
        if treeinfo is None:
            return DeclarativeContent(content=tree.boottree())
        # Like a tree sync, the .treeinfo is always stored, whatever the policy.
        artifact = DeclarativeArtifact(
            artifact=Artifact(sha256=treeinfo.sha256, size=treeinfo.size),
            url=tree.url(TREEINFO_NAME),
            relative_path=f"{tree.tree.release}/{tree.tree.arch}/{TREEINFO_NAME}",
            remote=self.remote,
        )
        return DeclarativeContent(content=tree.boottree(), d_artifacts=[artifact])


def _refuse_tree_options(remote, index_url):
    """Options that choose and verify packages have nothing to act on here: say so rather
    than sync as if they had been applied."""
    for option in ("bootloaders", "openpgp_keys"):
        if getattr(remote, option):
            raise SyncError(
                f"{index_url}: the remote's {option} apply to tree roots, and this is a Pulp "
                "distribution root, whose index records the upstream's packages and "
                "signatures (source_package, signing_key_id); unset it to sync from here"
            )
