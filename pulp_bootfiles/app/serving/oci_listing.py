"""
What `.bootfiles.json` lists of a version's OCI side, so that a capsule serves the same digests.

Trees that came as v1 artifacts are served as the manifests they came as (`oci.kept`); a copy
made over plain HTTP needs those bytes, the release indexes, and the signatures that name
them: pulp_container's simple-signing signatures and sigstore attachments
(`sha256-<hex>.sig`). All are small JSON or signature blobs, listed whole.
"""

import base64
import logging

from pulp_container.app.models import Manifest, ManifestSignature, Tag
from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci import signed_digest
from pulpcore.plugin.models import ContentArtifact

from pulp_bootfiles.app.formats.netboot_index import (
    MAX_ATTACHMENT_BLOB,
    IndexAttachment,
    IndexOCI,
    IndexSignature,
)

log = logging.getLogger(__name__)


def kept_manifests(version, trees):
    """{digest: JSON text} of the manifests the version's kept trees are served as."""
    digests = [tree.manifest_digest for tree in trees if tree.manifest_digest]
    if not digests:
        return {}
    found = Manifest.objects.filter(pk__in=version.content, digest__in=digests)
    return dict(found.values_list("digest", "data"))


def oci_listing(version, trees, manifests):
    """
    The IndexOCI of `version`: the index tagged with each release of a kept tree, and the
    signatures of the kept manifests and those indexes (`manifests`: kept_manifests()).
    """
    if not manifests:
        return IndexOCI()
    releases = {tree.release for tree in trees if tree.manifest_digest in manifests}
    tags = Tag.objects.filter(pk__in=version.content).select_related("tagged_manifest")
    indexes = {
        tag.name: tag.tagged_manifest
        for tag in tags
        if tag.name in releases and tag.tagged_manifest.media_type == MEDIA_TYPE.INDEX_OCI
    }
    signed = set(manifests) | {index.digest for index in indexes.values()}
    signatures = ManifestSignature.objects.filter(
        pk__in=version.content, signed_manifest__digest__in=signed
    ).select_related("signed_manifest")
    return IndexOCI(
        indexes={release: index.data for release, index in indexes.items()},
        signatures=tuple(_signature(signature) for signature in signatures),
        attachments=tuple(
            attachment
            for tag in tags
            if signed_digest(tag.name) in signed
            for attachment in [_attachment(tag)]
            if attachment is not None
        ),
    )


def _signature(signature):
    return IndexSignature(
        manifest=signature.signed_manifest.digest,
        name=signature.name,
        digest=signature.digest,
        type=signature.type,
        key_id=signature.key_id,
        timestamp=signature.timestamp,
        creator=signature.creator,
        data=signature.data,
    )


def _attachment(tag):
    """The IndexAttachment of a sigstore signature tag; None when a blob cannot be listed."""
    manifest = tag.tagged_manifest
    blobs = [*manifest.blobs.all(), *([manifest.config_blob] if manifest.config_blob else [])]
    content_artifacts = ContentArtifact.objects.filter(content__in=blobs).select_related(
        "artifact", "content"
    )
    listed = {}
    for content_artifact in content_artifacts:
        digest = content_artifact.content.cast().digest
        artifact = content_artifact.artifact
        if artifact is None or artifact.size > MAX_ATTACHMENT_BLOB:
            log.warning(
                "Signature %s is left out of the index: blob %s is %s.",
                tag.name,
                digest,
                "not downloaded" if artifact is None else "too large for a signature",
            )
            return None
        with artifact.file.open("rb") as file:
            listed[digest] = base64.b64encode(file.read()).decode()
    return IndexAttachment(tag=tag.name, manifest=manifest.data, blobs=listed)
