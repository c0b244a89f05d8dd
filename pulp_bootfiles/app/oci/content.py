"""
The OCI side of bootfiles content: pulp_container Blobs, Manifests and Tags made from BootTrees.

Per tree, one netboot manifest tagged `<release>-<goarch>`; per release, an image index tagged
`<release>` that lists them. Everything is get-or-created by its natural key, and the manifest
bytes are deterministic, so the same files give the same units and a second call creates nothing.
A tree that came as a v1 artifact (pushed, or synced from a registry or another Pulp) keeps the
manifest it came as (`kept`), and its release keeps an index it came with while that index
lists exactly the release's manifests.
"""

import json
import logging
from collections import defaultdict

from django.db import transaction
from pulp_container.app.models import BlobManifest, Manifest, ManifestListManifest, Tag
from pulp_glue.bootfiles.netboot.constants import GOARCH, MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci import (
    PLATFORM_OS,
    IndexEntry,
    NetbootFile,
    arch_tag,
    build_index,
    build_manifest,
    os_version,
    release_tag,
    sha256_digest,
)
from pulp_glue.bootfiles.netboot.sbat import sbat_text
from pulpcore.plugin.models import Content
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.oci.blobs import blob_for_source, empty_config_blob, layer_sources

log = logging.getLogger(__name__)


def oci_content_for(trees, indexes=()):
    """
    Get or create the OCI content of `trees` in the current domain.

    A file not downloaded yet (on_demand) is a layer of the size its upstream announced at
    sync; a tree is left out (and logged) when that size is unknown for one of its files.

    Args:
        trees (iterable of BootTree): Trees, at most one per (release, arch).
        indexes (list of Manifest): Image indexes the version holds, the preferred first: the
            first that lists exactly a release's manifests is that release's index, for a
            release with kept trees.

    Returns:
        list of Content: The Blobs, Manifests and Tags, each once, for a repository version.
    """
    domain = get_domain()
    units = {}
    config_blob = None
    listed = defaultdict(list)
    kept_releases = set()
    for tree in sorted(trees, key=lambda tree: (tree.release, tree.arch)):
        if tree.manifest_digest:
            kept = _kept_manifest(tree, domain)
            if kept is not None:
                entry, manifest, blobs = kept
                listed[tree.release].append((entry, manifest))
                kept_releases.add(tree.release)
                tag = _tag(arch_tag(tree.release, tree.arch), manifest, domain)
                for unit in (*blobs, manifest, tag):
                    units[unit.pk] = unit
                continue
        files = sorted(tree.files.all(), key=lambda bootfile: bootfile.name)
        sources = layer_sources(files)
        if not files or None in sources.values():
            log.info(
                "No OCI artifact for tree %s %s %s: %s.",
                tree.family,
                tree.release,
                tree.arch,
                "the size of a file not downloaded yet is unknown" if files else "it has no files",
            )
            continue
        config_blob = config_blob or empty_config_blob(domain)
        layers = [
            blob_for_source(f"sha256:{bootfile.sha256}", sources[bootfile.pk], domain)
            for bootfile in files
        ]
        data = build_manifest(
            [
                NetbootFile(
                    title=bootfile.name,
                    sha256=bootfile.sha256,
                    size=sources[bootfile.pk].size,
                    src_path=bootfile.relative_path,
                    src_rpm=bootfile.source_package,
                    src_rpm_key=bootfile.signing_key_id,
                    sbat=sbat_text(bootfile.sbat),
                )
                for bootfile in files
            ],
            release=tree.release,
            created=tree.build_timestamp,
            kernel_version=tree.kernel_version,
        )
        manifest = arch_manifest(data, config_blob, layers, GOARCH[tree.arch], domain)
        tag = _tag(arch_tag(tree.release, tree.arch), manifest, domain)
        entry = IndexEntry(
            manifest.digest, len(data), GOARCH[tree.arch], os_version(tree.family, tree.release)
        )
        listed[tree.release].append((entry, manifest))
        for unit in (config_blob, *layers, manifest, tag):
            units[unit.pk] = unit

    for release, entries in sorted(listed.items()):
        index = None
        if release in kept_releases:
            index = next((found for found in indexes if _lists_exactly(found, entries)), None)
        if index is None:
            data = build_index([entry for entry, _ in entries], release=release)
            index = index_manifest(data, entries, domain)
        tag = _tag(release_tag(release), index, domain)
        for unit in (index, tag):
            units[unit.pk] = unit

    # Existing units are about to be added to a version: keep orphan cleanup off them meanwhile.
    Content.objects.filter(pk__in=list(units)).touch()
    return list(units.values())


def _kept_manifest(tree, domain):
    """(IndexEntry, Manifest, its Blobs) of the manifest `tree` came as; None if gone."""
    manifest = Manifest.objects.filter(digest=tree.manifest_digest, _pulp_domain=domain).first()
    if manifest is None:
        log.warning(
            "Tree %s %s %s came as %s, which Pulp no longer holds; serving it rebuilt.",
            tree.family,
            tree.release,
            tree.arch,
            tree.manifest_digest,
        )
        return None
    entry = IndexEntry(
        manifest.digest,
        len(manifest.data.encode()),
        GOARCH[tree.arch],
        os_version(tree.family, tree.release),
    )
    blobs = [*manifest.blobs.all(), *([manifest.config_blob] if manifest.config_blob else [])]
    return entry, manifest, blobs


def _lists_exactly(index, entries):
    """Whether the image index Manifest `index` lists exactly the manifests of `entries`."""
    if index is None or index.media_type != MEDIA_TYPE.INDEX_OCI:
        return False
    listed = set(index.listed_manifests.values_list("digest", flat=True))
    return listed == {manifest.digest for _, manifest in entries}


def arch_manifest(data, config_blob, layers, goarch, domain):
    """The per-arch image Manifest of `data`, linked to its config and layer Blobs."""
    with transaction.atomic():
        manifest, created = image_manifest(
            data, MEDIA_TYPE.MANIFEST_OCI, config_blob, layers, domain
        )
        if created:
            # Annotations and type ("artifact") as pulp_container derives them; the empty
            # config names no platform, so architecture and os come from the tree.
            manifest.init_metadata(manifest_data=json.loads(data))
            manifest.init_compressed_image_size()
            manifest.architecture, manifest.os = goarch, PLATFORM_OS
            manifest.save()
    return manifest


def image_manifest(data, media_type, config_blob, layers, domain):
    """
    (Manifest, created) of the image manifest bytes `data`, linked to its config and layer
    Blobs; the caller fills in what pulp_container derives when it is created.
    """
    manifest, created = Manifest.objects.get_or_create(
        digest=sha256_digest(data),
        _pulp_domain=domain,
        defaults={
            "schema_version": 2,
            "media_type": media_type,
            "data": data.decode(),
            "config_blob": config_blob,
        },
    )
    BlobManifest.objects.bulk_create(
        [BlobManifest(manifest=manifest, manifest_blob=blob) for blob in (*layers, config_blob)],
        ignore_conflicts=True,
    )
    return manifest, created


def index_manifest(data, entries, domain):
    """The image index Manifest of `data`, linked to the listed manifests with their platforms."""
    with transaction.atomic():
        index, created = Manifest.objects.get_or_create(
            digest=sha256_digest(data),
            _pulp_domain=domain,
            defaults={
                "schema_version": 2,
                "media_type": MEDIA_TYPE.INDEX_OCI,
                "data": data.decode(),
            },
        )
        # pulp_container's naming: `image_manifest` is the index, `manifest_list` a listed one.
        ManifestListManifest.objects.bulk_create(
            [
                ManifestListManifest(
                    image_manifest=index,
                    manifest_list=manifest,
                    architecture=entry.goarch,
                    os=PLATFORM_OS,
                    os_version=entry.os_version,
                )
                for entry, manifest in entries
            ],
            ignore_conflicts=True,
        )
        if created:
            index.init_metadata(manifest_data=json.loads(data))
            index.save()
    return index


def _tag(name, manifest, domain):
    tag, _ = Tag.objects.get_or_create(name=name, tagged_manifest=manifest, _pulp_domain=domain)
    return tag
