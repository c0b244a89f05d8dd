"""The first stage of a tree sync: `.treeinfo`, its images, the bootloaders, then the tree."""

import asyncio
import contextlib
import logging
from pathlib import Path

from asgiref.sync import sync_to_async
from pulp_glue.bootfiles.netboot.sbat import SBAT_POLICY_LEVEL, revoked_components
from pulpcore.plugin.exceptions import SyncError
from pulpcore.plugin.models import Artifact, ProgressReport, Remote
from pulpcore.plugin.stages import DeclarativeArtifact, DeclarativeContent, Stage

from pulp_bootfiles.app.constants import TREE_ORIGIN, TREEINFO_NAME, default_bootloaders
from pulp_bootfiles.app.formats.kernel import read_kernel_version
from pulp_bootfiles.app.formats.openpgp import Keyring
from pulp_bootfiles.app.formats.tree_matrix import check_cell
from pulp_bootfiles.app.formats.treeinfo import MAX_TREEINFO_SIZE, parse_treeinfo
from pulp_bootfiles.app.models import BootFile, BootTree
from pulp_bootfiles.app.sync import boot_iso_check
from pulp_bootfiles.app.sync.bootloaders import BootloaderSource
from pulp_bootfiles.app.sync.errors import parse_or_fail
from pulp_bootfiles.app.sync.fetch import announced_size, fetch, tree_url
from pulp_bootfiles.app.tree_identity import tree_digest

log = logging.getLogger(__name__)


class BootTreeFirstStage(Stage):
    """Emit the BootFiles of the remote's tree, wait until they are saved, then its BootTree."""

    def __init__(self, remote, repository, treeinfo_download=None, cell=None, metadata_slot=None):
        """
        `treeinfo_download`: the `.treeinfo`, when `sync.source` or `sync.matrix` fetched it.
        `cell`: the `formats.tree_matrix.Cell` this tree is (its URL, the release and arch its
        `.treeinfo` must name), when the remote's URL is a matrix; else the tree is the URL's.
        `metadata_slot`: an async context manager held while the tree's metadata and packages
        are read (a matrix bounds how many trees do that at once).
        """
        super().__init__()
        self.remote = remote
        self.repository = repository
        self.deferred = remote.policy != Remote.IMMEDIATE
        self.treeinfo_download = treeinfo_download
        self.cell = cell
        self.base_url = cell.url if cell else remote.url
        self.metadata_slot = metadata_slot or contextlib.nullcontext()

    async def run(self):
        async with self.metadata_slot:
            treeinfo, download, treeinfo_url = await self._treeinfo()
            file_dcs, bootloader_dcs, bootloaders = await self._files(treeinfo)
        files = [await dc.resolution() for dc in file_dcs + bootloader_dcs]
        await self._emit_tree(treeinfo, download, treeinfo_url, files, bootloaders)

    async def _treeinfo(self):
        treeinfo_url = tree_url(self.base_url, TREEINFO_NAME)
        async with ProgressReport(
            message="Downloading .treeinfo", code="sync.downloading.treeinfo", total=1
        ) as progress:
            download = self.treeinfo_download or await fetch(
                self.remote, treeinfo_url, TREEINFO_NAME, max_size=MAX_TREEINFO_SIZE
            )
            treeinfo = parse_or_fail(
                parse_treeinfo, Path(download.path).read_bytes(), TREEINFO_NAME
            )
            if self.cell is not None:
                parse_or_fail(check_cell, self.cell, treeinfo.release, treeinfo.arch, treeinfo_url)
            await progress.aincrement()
        return treeinfo, download, treeinfo_url

    async def _files(self, treeinfo):
        """Put the images, then the bootloaders, into the pipeline; return their DCs."""
        # Images go first so that their downloads run while the primary is scanned and the
        # bootloaders are extracted (ImageContent: no stage holds them back for a batch).
        sizes = await self._announced_sizes(treeinfo) if self.deferred else {}
        file_dcs = [
            self._image(treeinfo, image, sizes.get(image.path)) for image in treeinfo.images
        ]
        for dc in file_dcs:
            await self.put(dc)
        bootloaders = BootloaderSource(
            self.remote,
            treeinfo,
            self._selection(treeinfo),
            self.base_url,
            previous_tree=await sync_to_async(self._current_tree)(treeinfo),
            keyring=parse_or_fail(_keyring, self.remote.openpgp_keys),
        )
        bootloader_dcs = await bootloaders.declarative_contents()
        _check_unique_names(file_dcs + bootloader_dcs)
        await _warn_revoked(dc.content for dc in bootloader_dcs)
        for dc in bootloader_dcs:
            await self.put(dc)
        return file_dcs, bootloader_dcs, bootloaders

    async def _emit_tree(self, treeinfo, download, treeinfo_url, files, bootloaders):
        """The BootTree, once its files are saved, linked to them."""
        tree_dc = self._tree(treeinfo, download, treeinfo_url, files, bootloaders.repodata_checksum)
        tree_dc.content.kernel_version = await sync_to_async(_kernel_version)(treeinfo, files)
        record, warnings = await sync_to_async(boot_iso_check.check_boot_iso)(treeinfo, files)
        tree_dc.content.boot_iso_bootloaders = record
        await boot_iso_check.warn(warnings)
        await self.put(tree_dc)
        tree = await tree_dc.resolution()
        await sync_to_async(tree.files.set)(files)

    def _current_tree(self, treeinfo):
        """The repository's tree of this (release, arch) in its latest version, if any."""
        version = self.repository.latest_version()
        if version is None:
            return None
        return (
            BootTree.objects.filter(
                pk__in=version.content,
                release=treeinfo.release,
                arch=treeinfo.arch,
            )
            .prefetch_related("files")
            .first()
        )

    def _selection(self, treeinfo):
        """The packages and paths to extract: the remote's choice or the distribution's defaults."""
        if self.remote.bootloaders is None:
            return default_bootloaders(treeinfo.arch, treeinfo.short)
        return dict(self.remote.bootloaders.get(treeinfo.arch, {}))

    async def _announced_sizes(self, treeinfo):
        """
        {path: size} of the images a deferred sync does not download, as the upstream announces
        them (HEAD): the tree's OCI manifest needs every layer's size before any byte is fetched.
        pulpcore checks the size when the file is downloaded, so a wrong one fails then.
        """
        paths = [image.path for image in treeinfo.images]
        sizes = await asyncio.gather(
            *(announced_size(self.remote, tree_url(self.base_url, path)) for path in paths)
        )
        unknown = [path for path, size in zip(paths, sizes, strict=True) if size is None]
        if unknown:
            log.info(
                "No size announced for %s: the tree has no OCI artifact until downloaded.", unknown
            )
        return dict(zip(paths, sizes, strict=True))

    def _image(self, treeinfo, image, size=None):
        bootfile = BootFile(
            name=image.name,
            relative_path=image.path,
            release=treeinfo.release,
            arch=treeinfo.arch,
            sha256=image.sha256,
        )
        artifact = DeclarativeArtifact(
            artifact=Artifact(sha256=image.sha256, size=size),
            url=tree_url(self.base_url, image.path),
            relative_path=bootfile.content_path,
            remote=self.remote,
            deferred_download=self.deferred,
        )
        return ImageContent(content=bootfile, d_artifacts=[artifact])

    def _tree(self, treeinfo, download, url, files, repodata_checksum):
        artifact = Artifact.init_and_validate(download.path)
        tree = BootTree(
            family=treeinfo.family,
            short=treeinfo.short,
            release=treeinfo.release,
            variant=treeinfo.variant,
            arch=treeinfo.arch,
            build_timestamp=treeinfo.build_timestamp,
            digest=tree_digest(artifact.sha256, files),
            repodata_checksum=repodata_checksum,
            source_url=self.base_url,
            origin=TREE_ORIGIN.TREE,
        )
        d_artifact = DeclarativeArtifact(
            artifact=artifact,
            url=url,
            relative_path=f"{treeinfo.release}/{treeinfo.arch}/{TREEINFO_NAME}",
            remote=self.remote,
        )
        return DeclarativeContent(content=tree, d_artifacts=[d_artifact])


class ImageContent(DeclarativeContent):
    """
    An image's DeclarativeContent, which pulpcore's stages pass on at once.

    pulpcore's stages gather DeclarativeContent into batches and hold a batch until it has 500
    units, the first stage ends, or a unit in it is awaited (`resolution()`). This stage awaits
    its files only after the bootloaders are known, so a few images would wait in the first
    batch, their downloads not started, for the whole repodata scan and package extraction
    (about 0.6 s on a Fedora-size primary, the two cores mostly idle). A tree has a handful of
    images, so batching them gains nothing.
    """

    __slots__ = ()

    @property
    def does_batch(self):
        return False


def _check_unique_names(dcs):
    """Flat names become OCI layer titles, so two files may not share one: not an image and a
    bootloader, not even at one path in the tree, nor two bootloaders."""
    seen = {}
    for dc in dcs:
        bootfile = dc.content
        first = seen.setdefault(bootfile.name, bootfile)
        if _origin(first) != _origin(bootfile):
            raise SyncError(
                f"two files would be named '{bootfile.name}': {_origin(first)} and "
                f"{_origin(bootfile)}; choose other bootloader paths on the remote"
            )


def _origin(bootfile):
    """Where a file of the tree comes from, for messages: its path and .treeinfo or package."""
    if bootfile.source_package:
        return f"'/{bootfile.relative_path}' of package {bootfile.source_package}"
    return f"image '{bootfile.relative_path}' of {TREEINFO_NAME}"


def _keyring(armored):
    """The remote's OpenPGP keys, or None when it has none (no verification)."""
    if not armored:
        return None
    try:
        return Keyring.from_armored(armored)
    except ValueError as exc:
        raise ValueError(f"the remote's openpgp_keys: {exc}") from exc


async def _warn_revoked(bootfiles):
    """A finished progress report per bootloader whose SBAT the current SbatLevel revokes, so
    the task tells the user before a machine refuses to boot it."""
    for bootfile in bootfiles:
        revoked = revoked_components(bootfile.sbat or [])
        if not revoked:
            continue
        message = (
            f"{bootfile.name} ({bootfile.source_package}): SBAT {', '.join(revoked)}; revoked "
            f"by SbatLevel {SBAT_POLICY_LEVEL}, Secure Boot machines that applied it refuse it"
        )
        log.warning(message)
        async with ProgressReport(
            message=message, code="sync.warning.sbat_revoked", total=1
        ) as report:
            await report.aincrement()


def _kernel_version(treeinfo, files):
    """The kernel release of the tree's kernel image, when it is stored and readable."""
    kernel_paths = {image.path for image in treeinfo.images if image.role == "kernel"}
    for bootfile in files:
        if bootfile.relative_path not in kernel_paths:
            continue
        content_artifact = bootfile.contentartifact_set.select_related("artifact").first()
        if content_artifact is None or content_artifact.artifact is None:
            return ""  # on_demand: not downloaded at sync
        with content_artifact.artifact.file.open("rb") as stream:
            return read_kernel_version(stream) or ""
    return ""
