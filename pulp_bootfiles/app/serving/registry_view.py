"""
What one repository version serves through the registry: its tags, manifests (the bytes
pulp_container stored), blobs (their stored Artifacts) and simple signatures.

Like the plain index (`index.py`), it is built once per complete version (four queries) and
kept per content-app process under the version's pk, so it can be unused but never stale.
Only a blob of an on_demand version gets its Artifact later; such blobs are left to
pulp_container's content route, which downloads them.
"""

from collections import defaultdict
from dataclasses import dataclass

from pulp_container.app.models import Blob, Manifest, ManifestSignature, Tag
from pulpcore.plugin.models import ContentArtifact, RepositoryVersion

from pulp_bootfiles.app.serving.recent import Recent

CACHED_VERSIONS = 64  # views kept per process; a few KB each (manifests are small JSON)


@dataclass(frozen=True)
class ServedManifest:
    media_type: str
    data: bytes


@dataclass(frozen=True)
class ServedBlob:
    artifact_name: str | None  # None: on_demand, not downloaded yet
    size: int | None


@dataclass(frozen=True)
class RegistryView:
    tags: dict  # tag name -> manifest digest
    manifests: dict  # digest -> ServedManifest
    blobs: dict  # digest -> ServedBlob
    signatures: dict  # signed manifest digest -> [(type, name, base64 data)]


def build_view(version) -> RegistryView:
    content = version.content
    manifests = {
        digest: ServedManifest(media_type, (data or "").encode())
        for digest, media_type, data in Manifest.objects.filter(pk__in=content).values_list(
            "digest", "media_type", "data"
        )
    }
    tags = dict(Tag.objects.filter(pk__in=content).values_list("name", "tagged_manifest__digest"))
    digest_of = dict(Blob.objects.filter(pk__in=content).values_list("pk", "digest"))
    blobs = {}
    stored = ContentArtifact.objects.filter(content_id__in=list(digest_of)).values_list(
        "content_id", "artifact__file", "artifact__size"
    )
    for content_pk, name, size in stored:
        blobs[digest_of[content_pk]] = ServedBlob(name or None, size)
    signatures = defaultdict(list)
    for signed, kind, name, data in ManifestSignature.objects.filter(pk__in=content).values_list(
        "signed_manifest__digest", "type", "name", "data"
    ):
        signatures[signed].append((kind, name, data))
    return RegistryView(tags, manifests, blobs, dict(signatures))


_views = Recent(CACHED_VERSIONS)  # version pk -> RegistryView


def view_for(version_pk) -> RegistryView:
    """The (cached) registry view of a complete repository version."""
    return _views.get_or_build(
        version_pk, lambda: build_view(RepositoryVersion.objects.get(pk=version_pk))
    )
