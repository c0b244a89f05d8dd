"""
pulp_container Blobs for the netboot OCI side, made from Artifacts Pulp already has.

A file's Blob reuses the BootFile's own Artifact (layers are uncompressed, so the layer digest is
the file's sha256): no bytes are copied. Only small blobs get Artifacts of their own, once per
domain: the two-byte empty config, and the payloads of signatures carried from another server.

A file not downloaded yet (an on_demand tree) gets a Blob without an Artifact and a copy of the
file's RemoteArtifact: pulp_container's registry then streams the layer from the upstream through
pulpcore's content app, which checks its digest and size and keeps it, as for its own on_demand
blobs.
"""

import hashlib
import os
import tempfile

from django.conf import settings
from django.db import IntegrityError, transaction
from pulp_container.app.models import Blob
from pulp_glue.bootfiles.netboot.oci import EMPTY_CONFIG
from pulpcore.plugin.models import Artifact, ContentArtifact, RemoteArtifact


def layer_sources(contents):
    """
    Where each content unit's bytes are: its Artifact, or else a RemoteArtifact whose size is
    known (on_demand, not downloaded yet), or else nothing.

    Returns:
        dict: {content pk: Artifact, RemoteArtifact or None}, with a key for every unit given.
    """
    contents = list(contents)
    found = dict.fromkeys((content.pk for content in contents), None)
    content_artifacts = ContentArtifact.objects.filter(
        content__in=[content.pk for content in contents]
    ).select_related("artifact")
    missing = {}
    for content_artifact in content_artifacts:
        if content_artifact.artifact is not None:
            found[content_artifact.content_id] = content_artifact.artifact
        else:
            missing[content_artifact.pk] = content_artifact.content_id
    remote_artifacts = RemoteArtifact.objects.filter(
        content_artifact__in=list(missing), size__isnull=False, sha256__isnull=False
    ).select_related("remote")
    for remote_artifact in remote_artifacts:
        found[missing[remote_artifact.content_artifact_id]] = remote_artifact
    return found


def blob_for_source(digest, source, domain):
    """The Blob of `digest` on `source`, an Artifact or a RemoteArtifact (see layer_sources)."""
    if isinstance(source, RemoteArtifact):
        return blob_for_remote(digest, source, domain)
    return blob_for_artifact(digest, source, domain)


def blob_for_remote(digest, remote_artifact, domain):
    """
    The Blob of `digest` in `domain` for a file not downloaded yet: a ContentArtifact without an
    Artifact (unless the blob has one already) and a RemoteArtifact with the file's URL, remote,
    digest and size, for pulp_container's registry to stream from.
    """
    blob, _ = Blob.objects.get_or_create(digest=digest, _pulp_domain=domain)
    content_artifact, _ = ContentArtifact.objects.get_or_create(
        content=blob, relative_path=digest, defaults={"artifact": None}
    )
    if content_artifact.artifact_id is None:
        RemoteArtifact.objects.get_or_create(
            content_artifact=content_artifact,
            remote=remote_artifact.remote,
            defaults={
                "url": remote_artifact.url,
                "size": remote_artifact.size,
                "sha256": remote_artifact.sha256,
                "pulp_domain": domain,
            },
        )
    return blob


def blob_for_artifact(digest, artifact, domain):
    """
    The Blob of `digest` in `domain`, its ContentArtifact (relative_path=digest) on `artifact`.

    An existing Blob is reused; if its ContentArtifact has no Artifact yet (a blob synced
    on_demand by a container repository), it gets this one, as pulp_container does for a re-upload.
    """
    blob, _ = Blob.objects.get_or_create(digest=digest, _pulp_domain=domain)
    content_artifact, created = ContentArtifact.objects.get_or_create(
        content=blob, relative_path=digest, defaults={"artifact": artifact}
    )
    if not created and content_artifact.artifact_id is None:
        content_artifact.artifact = artifact
        content_artifact.save(update_fields=["artifact"])
    return blob


def artifact_of_bytes(data, domain):
    """The Artifact of the small `data` in `domain`, created the first time it is needed."""
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Artifact.objects.filter(sha256=sha256, pulp_domain=domain).first()
    if existing:
        return existing
    with tempfile.TemporaryDirectory(dir=settings.WORKING_DIRECTORY) as directory:
        path = os.path.join(directory, "blob")
        with open(path, "wb") as file:
            file.write(data)
        artifact = Artifact.init_and_validate(
            path, expected_digests={"sha256": sha256}, expected_size=len(data)
        )
        artifact.pulp_domain = domain
        try:
            with transaction.atomic():
                artifact.save()
        except IntegrityError:
            # Another task made it meanwhile.
            return Artifact.objects.get(sha256=sha256, pulp_domain=domain)
    return artifact


def blob_of_bytes(data, domain):
    """The Blob of the small `data` (a config, a signature payload) in `domain`."""
    artifact = artifact_of_bytes(data, domain)
    return blob_for_artifact(f"sha256:{artifact.sha256}", artifact, domain)


def empty_config_blob(domain):
    """The Blob of the empty config `{}` in `domain`, with its Artifact."""
    return blob_of_bytes(EMPTY_CONFIG, domain)
