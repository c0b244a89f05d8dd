"""Rules every bootfiles repository version keeps, applied when a new version is finalized."""

from pulp_container.app.models import Blob, Manifest, ManifestSignature, Tag
from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci import signed_digest
from pulpcore.plugin.models import Content
from pulpcore.plugin.repo_version_utils import remove_duplicates, validate_repo_version

from pulp_bootfiles.app.models import BootFile, BootTree
from pulp_bootfiles.app.oci.content import oci_content_for
from pulp_bootfiles.app.oci.push_in.importing import import_registry_push


def finalize_new_version(repository, new_version):
    """
    One tree per (release, arch) with exactly its files, its OCI side, no clashes.

    What `BootfilesRepository.finalize_new_version` runs (registered at start-up: `model_hooks`).
    """
    import_registry_push(repository, new_version)
    remove_duplicates(new_version)
    drop_files_outside_their_tree(new_version)
    match_oci_side(new_version)
    drop_stale_signatures(new_version)
    validate_repo_version(new_version)


def drop_files_outside_their_tree(new_version):
    """
    Remove every BootFile that no BootTree of the version lists.

    After `remove_duplicates` a version holds one tree per (release, arch); a re-sync whose tree
    no longer has a file (say `efiboot.img` went away) must not keep the old one around, with or
    without mirror mode, so a tree's directory always shows exactly that tree.
    """
    trees = BootTree.objects.filter(pk__in=new_version.content)
    listed = BootFile.objects.filter(trees__in=trees)
    strays = BootFile.objects.filter(pk__in=new_version.content).exclude(pk__in=listed)
    if strays.exists():
        new_version.remove_content(strays)


def match_oci_side(new_version):
    """
    Make the version's OCI content exactly what its trees give.

    Tags, manifests and blobs are a function of the trees (same files, same digests), so a
    re-sync that changes nothing changes nothing here either, and a changed kernel moves the
    tag to a new manifest. Manifests of earlier trees leave this version (older versions,
    which a distribution may still serve, keep theirs). Trees that came as v1 artifacts keep
    the manifests they came as, and their release an index it came with (`oci_content_for`):
    one this version adds (a push or a sync brought it) before the one already tagged. A
    sigstore signature (`sha256-<hex>.sig`) stays while the manifest it signs does.
    """
    trees = BootTree.objects.filter(pk__in=new_version.content).prefetch_related("files")
    tags = Tag.objects.filter(pk__in=new_version.content).select_related("tagged_manifest")
    wanted_units = oci_content_for(trees, _candidate_indexes(new_version, tags))
    wanted = {unit.pk for unit in wanted_units}
    wanted |= _signatures_of(
        tags, {unit.digest for unit in wanted_units if isinstance(unit, Manifest)}
    )
    present = set(
        new_version.content.filter(
            pulp_type__in=[Blob.get_pulp_type(), Manifest.get_pulp_type(), Tag.get_pulp_type()]
        ).values_list("pk", flat=True)
    )
    if present - wanted:
        new_version.remove_content(new_version.content.filter(pk__in=present - wanted))
    if wanted - present:
        new_version.add_content(Content.objects.filter(pk__in=wanted - present))


def _candidate_indexes(new_version, tags):
    """The version's image indexes: those it adds first, then those its tags name, then the
    rest (a mirror sync untags what it does not emit, and emits the index it keeps)."""
    indexes = Manifest.objects.filter(pk__in=new_version.content, media_type=MEDIA_TYPE.INDEX_OCI)
    added = list(indexes.filter(pk__in=new_version.added()).order_by("digest"))
    tagged = [
        tag.tagged_manifest
        for tag in tags
        if tag.tagged_manifest.media_type == MEDIA_TYPE.INDEX_OCI
    ]
    rest = list(indexes.order_by("digest"))
    return list({index.pk: index for index in (*added, *tagged, *rest)}.values())


def _signatures_of(tags, digests):
    """The pks of the sigstore signature tags among `tags` that sign one of `digests`, with
    their manifests and blobs."""
    kept = set()
    for tag in tags:
        if signed_digest(tag.name) in digests:
            manifest = tag.tagged_manifest
            kept |= {tag.pk, manifest.pk, *manifest.blobs.values_list("pk", flat=True)}
            if manifest.config_blob_id:
                kept.add(manifest.config_blob_id)
    return kept


def drop_stale_signatures(new_version):
    """
    Remove the ManifestSignatures of manifests that left the version.

    A re-sync that changes a tree moves its tag to a new manifest; the old manifest's signature
    vouches for nothing the version serves. The new manifest is unsigned until signed again.
    """
    manifests = Manifest.objects.filter(pk__in=new_version.content)
    stale = ManifestSignature.objects.filter(pk__in=new_version.content).exclude(
        signed_manifest__in=manifests
    )
    if stale.exists():
        new_version.remove_content(stale)
