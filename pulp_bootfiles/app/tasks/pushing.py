"""The push task: a repository version's netboot OCI artifacts into an external registry."""

import fnmatch
import logging

from pulp_container.app.models import Tag
from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulpcore.plugin.exceptions import PulpException
from pulpcore.plugin.models import ProgressReport, RepositoryVersion

from pulp_bootfiles.app.models import BootfilesOCIRemote
from pulp_bootfiles.app.oci.push_out.registry_client import PushRefused, RegistryClient

log = logging.getLogger(__name__)


class PushError(PulpException):
    """A push failed; the message names the blob, manifest or tag and the registry's answer."""

    error_code = "BTF0001"

    def __init__(self, message):
        self.message = message

    def __str__(self):
        return f"[{self.error_code}] Push failed: {self.message}"


def push(repository_version_pk, remote_pk):
    """
    Push the version's tags (those the remote's tag filters select), their manifests and blobs.

    Blobs the registry has are skipped; manifests are sent as the exact bytes Pulp serves, so
    digests stay the same; per-arch manifests go before the indexes that list them.
    """
    version = RepositoryVersion.objects.get(pk=repository_version_pk)
    remote = BootfilesOCIRemote.objects.get(pk=remote_pk)
    tags = _selected_tags(version, remote)
    if not tags:
        raise PushError(f"repository version {version.number} has no tags the remote selects")
    tagged = {tag.tagged_manifest for tag in tags}
    indexes = {manifest for manifest in tagged if manifest.media_type == MEDIA_TYPE.INDEX_OCI}
    images = (tagged - indexes).union(*(index.listed_manifests.all() for index in indexes))
    log.info("Pushing %d tags of %s to %s/%s", len(tags), version, remote.url, remote.upstream_name)
    with RegistryClient(remote) as registry:
        try:
            _push_blobs(registry, images)
            with ProgressReport(
                message="Pushing manifests", code="push.manifests", total=len(images) + len(indexes)
            ) as progress:
                for manifest in sorted(images, key=lambda m: m.digest) + sorted(
                    indexes, key=lambda m: m.digest
                ):
                    registry.put_manifest(
                        manifest.digest, manifest.data.encode(), manifest.media_type
                    )
                    progress.increment()
            with ProgressReport(
                message="Pushing tags", code="push.tags", total=len(tags)
            ) as progress:
                for tag in tags:
                    manifest = tag.tagged_manifest
                    registry.put_manifest(tag.name, manifest.data.encode(), manifest.media_type)
                    progress.increment()
        except PushRefused as exc:
            raise PushError(str(exc)) from exc


def _selected_tags(version, remote):
    tags = Tag.objects.filter(pk__in=version.content).select_related("tagged_manifest")
    include, exclude = remote.include_tags, remote.exclude_tags
    return sorted(
        (
            tag
            for tag in tags
            if (not include or any(fnmatch.fnmatchcase(tag.name, p) for p in include))
            and not (exclude and any(fnmatch.fnmatchcase(tag.name, p) for p in exclude))
        ),
        key=lambda tag: tag.name,
    )


def _push_blobs(registry, images):
    """Upload every layer and config blob of `images` the registry lacks, streamed from storage."""
    blobs = {}
    for manifest in images:
        for blob in manifest.blobs.all():
            blobs[blob.digest] = blob
    with ProgressReport(message="Pushing blobs", code="push.blobs", total=len(blobs)) as progress:
        for digest, blob in sorted(blobs.items()):
            if not registry.has_blob(digest):
                artifact = blob._artifacts.get()
                with artifact.file.open("rb") as fileobj:
                    registry.upload_blob(digest, artifact.size, fileobj)
            progress.increment()
