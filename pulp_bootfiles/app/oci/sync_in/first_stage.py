"""
The first stage of an OCI sync: check every selected netboot artifact, then fetch and emit trees.

All manifests are read and checked before any blob is downloaded, so an upstream that breaks
the spec costs no downloads. Blobs Pulp already stores are not downloaded again.

Three formats are read (the remote's `formats` says which it accepts): the v1 spec, v1 as podman
writes it for the Foreman pipeline (`netboot.oci_read`), and the March 2024 prototype
(`netboot.prototype`), whose zstd layers are decompressed here. Each becomes the same kind of
BootTree. v1 trees, podman's included, keep the upstream's manifest and index bytes
(`oci.kept`), so a copy serves the digests its upstream's signatures name; prototype trees are
served rebuilt as v1.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from pulp_glue.bootfiles.netboot.constants import GOARCH, NETBOOT_FORMAT, NETBOOT_FORMATS
from pulp_glue.bootfiles.netboot.oci import build_manifest, sha256_digest
from pulp_glue.bootfiles.netboot.oci_read import (
    IndexListing,
    NetbootRuleError,
    load_json,
    read_index,
    read_manifest,
    tag_selected,
    wanted_releases,
)
from pulp_glue.bootfiles.netboot.prototype import (
    is_prototype_manifest,
    is_prototype_tag,
    read_prototype,
)
from pulpcore.plugin.exceptions import SyncError
from pulpcore.plugin.models import Artifact, ProgressReport
from pulpcore.plugin.stages import DeclarativeArtifact, DeclarativeContent, Stage
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.constants import TREE_ORIGIN
from pulp_bootfiles.app.oci.kept import KeptManifestError, kept_index, kept_manifest
from pulp_bootfiles.app.oci.sync_in.layers import decompress_layer
from pulp_bootfiles.app.oci.sync_in.registry import Registry
from pulp_bootfiles.app.oci.sync_in.signatures import carried_signatures
from pulp_bootfiles.app.oci.trees import NetbootTreeSpec

log = logging.getLogger(__name__)


class NetbootOCIFirstStage(Stage):
    """Emit the BootFiles and BootTrees of the netboot artifacts the remote selects."""

    def __init__(self, remote):
        super().__init__()
        self.remote = remote
        self.registry = Registry(remote)
        # {release: (index bytes, its listings)}, to keep the index when all it lists is kept.
        self.indexes = {}

    async def run(self):
        async with ProgressReport(
            message="Downloading tag list", code="sync.downloading.tag_list", total=1
        ) as progress:
            # A registry may list a tag twice (across pages); each is read once.
            tags = list(dict.fromkeys(await self.registry.tags()))
            await progress.aincrement()
        include, exclude = self.remote.include_tags, self.remote.exclude_tags
        wanted = wanted_releases(tags, include, exclude)
        # Per-arch tags of the other formats end in a Go arch ("-amd64"), never in a Linux one,
        # so no tag is read both ways; a prototype giving a release and arch another tag gives
        # too fails the sync below, naming both.
        prototypes = [
            tag for tag in tags if is_prototype_tag(tag) and tag_selected(tag, include, exclude)
        ]
        if not wanted and not prototypes:
            raise SyncError(
                f"no netboot tags ('<release>', '<release>-<goarch>', '<os>-<release>', "
                f"'<os>-<release>-<goarch>', or the prototype's '<name>-<version>-<arch>') in "
                f"{self.remote.upstream_name} at {self.remote.url} match the remote's filters"
            )
        specs = []
        async with ProgressReport(
            message="Checking netboot manifests", code="sync.parsing.manifests"
        ) as progress:
            for release, arches in sorted(wanted.items()):
                specs.extend(await self._release(set(tags), release, arches))
                await progress.aincrement()
            for tag in sorted(prototypes):
                spec = await self._prototype(tag)
                if spec:
                    specs.append(spec)
                await progress.aincrement()
        _check_formats(specs, self.remote.formats or NETBOOT_FORMATS)
        _check_one_tree_each(specs)
        downloads = await self._download_missing(specs)
        kept = {}
        for spec in specs:
            manifest = await self._emit(spec, downloads)
            if manifest is not None:
                kept[spec.listing.digest] = manifest
        signable = dict(kept)
        for data, listings in self.indexes.values():
            index = await sync_to_async(kept_index)(data, listings, kept)
            if index is not None:
                # Untagged here: the version's rules tag it when it lists exactly its
                # release's manifests (`version_rules.match_oci_side`).
                await self.put(DeclarativeContent(content=index))
                signable[index.digest] = index
        if signable:
            for unit in await carried_signatures(self.registry, tags, signable):
                await self.put(DeclarativeContent(content=unit))

    async def _release(self, tags, release, arches):
        """Check the index of `release` and its selected per-arch manifests."""
        if release not in tags:
            raise SyncError(
                f"tag {release}-*: the release index tag '{release}' is missing upstream "
                "(it names the OS of each architecture)"
            )
        data = await self.registry.manifest(release, release)
        listings = _parse(read_index, data, release)
        self.indexes[release] = (data, listings)
        specs = []
        for listing in listings:
            if arches is not None and listing.arch not in arches:
                continue
            specs.append(await self._arch(tags, release, listing))
        return specs

    async def _arch(self, tags, release, listing):
        """The per-arch manifest `listing` names; `release` is its index tag."""
        tag = f"{release}-{GOARCH[listing.arch]}"
        data = None
        if tag in tags:
            data = await self.registry.manifest(tag, tag)
            if sha256_digest(data) != listing.digest and not _single_entry_index(
                data, tag, listing.digest
            ):
                raise SyncError(
                    f"tag {tag}: points at {sha256_digest(data)}, but index {release} lists "
                    f"{listing.digest} for {listing.arch}"
                )
        if data is None or sha256_digest(data) != listing.digest:
            data = await self.registry.manifest(
                listing.digest, release, digest=listing.digest, size=listing.size
            )
        if len(data) != listing.size:
            raise SyncError(
                f"tag {tag}: the manifest is {len(data)} bytes, index {release} says {listing.size}"
            )
        artifact = _parse(
            read_manifest, data, tag, listing.release, listing.arch, listing.version_on_entry
        )
        spec_format = (
            NETBOOT_FORMAT.V1
            if artifact.version_annotated and not listing.tag_names_os
            else NETBOOT_FORMAT.PODMAN
        )
        return NetbootTreeSpec(tag, listing, artifact, spec_format, data=data)

    async def _prototype(self, tag):
        """The March 2024 prototype manifest `tag` names; None when it is not one (an image)."""
        data = await self.registry.manifest(tag, tag)
        if not is_prototype_manifest(_parse(load_json, data, tag, "the manifest")):
            log.info("tag %s: not a netboot artifact (no prototype annotations), left alone", tag)
            return None
        family, release, arch, artifact = _parse(read_prototype, data, tag)
        listing = IndexListing(
            artifact.digest, len(data), arch, f"{family}-{release}", release, tag_names_os=True
        )
        _note_reserialization(tag, artifact)
        return NetbootTreeSpec(tag, listing, artifact, NETBOOT_FORMAT.PROTOTYPE)

    async def _download_missing(self, specs):
        """Download each file Pulp does not store yet, once; {sha256: unsaved Artifact}."""
        layers = {}
        for spec in specs:
            for item in spec.artifact.files:
                layers.setdefault(item.file.sha256, (spec.tag, item))
        stored = await sync_to_async(_stored_sha256s)(list(layers))
        missing = [layers[sha256] for sha256 in layers if sha256 not in stored]
        limit = asyncio.Semaphore(self.remote.download_concurrency or 5)
        async with ProgressReport(
            message="Downloading netboot files",
            code="sync.downloading.artifacts",
            total=len(missing),
        ) as progress:

            async def download(tag, item):
                async with limit:
                    return item.file.sha256, await self._download(tag, item, progress)

            results = await asyncio.gather(*(download(tag, item) for tag, item in missing))
        return dict(results)

    async def _download(self, tag, item, progress):
        file, blob = item.file, item.blob
        if blob is None:
            result = await self.registry.blob(file.digest, file.size, tag, file.title)
            await progress.aincrement()
            return Artifact(**result.artifact_attributes, file=result.path)
        result = await self.registry.blob(blob.digest, blob.size, tag, file.title)
        # Decompressing and hashing a large file: off the event loop.
        path = await asyncio.to_thread(decompress_layer, result.path, blob, file, tag)
        artifact = await asyncio.to_thread(
            Artifact.init_and_validate,
            path,
            expected_digests={"sha256": file.sha256},
            expected_size=file.size,
        )
        await progress.aincrement()
        return artifact

    async def _emit(self, spec, downloads):
        """
        Put the spec's BootFiles, wait until saved, then its BootTree linked to them.

        Returns:
            Manifest: The upstream's manifest of a kept tree, with its blobs; None for others.
        """
        bootfiles = spec.bootfiles()
        file_dcs = []
        for bootfile, item in zip(bootfiles, spec.artifact.files, strict=True):
            artifact = downloads.get(bootfile.sha256) or Artifact(
                sha256=bootfile.sha256, size=item.file.size
            )
            blob_digest = item.blob.digest if item.blob else f"sha256:{bootfile.sha256}"
            d_artifact = DeclarativeArtifact(
                artifact=artifact,
                url=self.registry.url(f"blobs/{blob_digest}"),
                relative_path=bootfile.content_path,
                remote=self.remote,
            )
            file_dcs.append(DeclarativeContent(content=bootfile, d_artifacts=[d_artifact]))
        for dc in file_dcs:
            await self.put(dc)
        files = [await dc.resolution() for dc in file_dcs]
        tree_dc = DeclarativeContent(content=spec.boottree(files, TREE_ORIGIN.REGISTRY))
        await self.put(tree_dc)
        tree = await tree_dc.resolution()
        await sync_to_async(tree.files.set)(files)
        if not spec.kept:
            return None
        try:
            return await sync_to_async(kept_manifest)(spec.data, files, spec.listing.arch)
        except KeptManifestError as exc:
            raise SyncError(f"tag {spec.tag}: {exc}") from exc


def _parse(reader, *args):
    try:
        return reader(*args)
    except NetbootRuleError as exc:
        raise SyncError(str(exc)) from exc


def _single_entry_index(data, tag, digest):
    """Whether `data` is an index listing only `digest`: the per-arch tag of podman's manual
    recipe (theforeman/nboci-files README), an index of one manifest."""
    document = _parse(load_json, data, tag, "the index")
    entries = document.get("manifests")
    return (
        isinstance(entries, list)
        and len(entries) == 1
        and isinstance(entries[0], dict)
        and entries[0].get("digest") == digest
    )


def _check_formats(specs, accepted):
    for spec in specs:
        if spec.format not in accepted:
            raise SyncError(
                f"tag {spec.tag}: written in the {spec.format} format, which the remote does "
                f"not accept (its formats: {', '.join(accepted)})"
            )


def _check_one_tree_each(specs):
    """Two tags giving one (release, arch) would make two trees where a version holds one."""
    seen = {}
    for spec in specs:
        key = (spec.artifact.release, spec.listing.arch)
        if key in seen:
            raise SyncError(
                f"tags {seen[key]} and {spec.tag} both give release {key[0]} {key[1]}; "
                "select one with the remote's include_tags or exclude_tags"
            )
        seen[key] = spec.tag


def _stored_sha256s(sha256s):
    return set(
        Artifact.objects.filter(sha256__in=sha256s, pulp_domain=get_domain()).values_list(
            "sha256", flat=True
        )
    )


def _note_reserialization(tag, artifact):
    """Say so when Pulp will serve other bytes than upstream's (a manifest not made by Pulp)."""
    rebuilt = build_manifest(
        [item.file for item in artifact.files],
        release=artifact.release,
        created=artifact.created,
        kernel_version=artifact.kernel_version,
    )
    if sha256_digest(rebuilt) != artifact.digest:
        log.warning(
            "tag %s: Pulp rebuilds the manifest from its files, so it serves %s instead of "
            "upstream's %s (other annotations, key order or whitespace upstream).",
            tag,
            sha256_digest(rebuilt),
            artifact.digest,
        )
