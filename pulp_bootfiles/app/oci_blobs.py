"""
pulp_container Blobs for the netboot OCI side, made from Artifacts Pulp already has.

A file's Blob reuses the BootFile's own Artifact (layers are uncompressed, so the layer digest is
the file's sha256): no bytes are copied. Only the two-byte empty config gets an Artifact of its
own, once per domain.
"""

import os
import tempfile

from django.conf import settings
from django.db import IntegrityError, transaction
from pulp_container.app.models import Blob
from pulpcore.plugin.models import Artifact, ContentArtifact

from pulp_bootfiles.app.formats.netboot_oci import EMPTY_CONFIG, EMPTY_CONFIG_DESCRIPTOR


def artifacts_by_content(contents):
    """
    The Artifact of each content unit, None for one without (on_demand, not downloaded yet).

    Returns:
        dict: {content pk: Artifact or None}, with a key for every unit given.
    """
    contents = list(contents)
    found = dict.fromkeys((content.pk for content in contents), None)
    content_artifacts = ContentArtifact.objects.filter(
        content__in=[content.pk for content in contents], artifact__isnull=False
    ).select_related("artifact")
    for content_artifact in content_artifacts:
        found[content_artifact.content_id] = content_artifact.artifact
    return found


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


def empty_config_artifact(domain):
    """The Artifact of the empty config `{}` in `domain`, created the first time it is needed."""
    sha256 = EMPTY_CONFIG_DESCRIPTOR["digest"].removeprefix("sha256:")
    existing = Artifact.objects.filter(sha256=sha256, pulp_domain=domain).first()
    if existing:
        return existing
    with tempfile.TemporaryDirectory(dir=settings.WORKING_DIRECTORY) as directory:
        path = os.path.join(directory, "empty-config.json")
        with open(path, "wb") as file:
            file.write(EMPTY_CONFIG)
        artifact = Artifact.init_and_validate(
            path, expected_digests={"sha256": sha256}, expected_size=len(EMPTY_CONFIG)
        )
        artifact.pulp_domain = domain
        try:
            with transaction.atomic():
                artifact.save()
        except IntegrityError:
            # Another task made it meanwhile.
            return Artifact.objects.get(sha256=sha256, pulp_domain=domain)
    return artifact


def empty_config_blob(domain):
    """The Blob of the empty config in `domain`, with its Artifact."""
    return blob_for_artifact(
        EMPTY_CONFIG_DESCRIPTOR["digest"], empty_config_artifact(domain), domain
    )
