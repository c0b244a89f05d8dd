"""
pulp_container's manifest endpoint, checking pushes into bootfiles distributions first.

pulp_container stores a pushed tag and adds it to the repository in a task; a bootfiles
repository turns it into trees there (`importing`). Checking the rules before that gives the
pipeline the registry's own error, MANIFEST_INVALID with the rule, where a failed task would
give an opaque HTTP 500, and stores nothing that will not be served.
"""

import io

from django.db.models import Q
from pulp_container.app.exceptions import ManifestInvalid, RepositoryNotFound
from pulp_container.app.models import Manifest
from pulp_container.app.registry_api import Blobs, BlobUploads, Manifests, Signatures
from pulp_glue.bootfiles.netboot.oci import sha256_digest
from pulp_glue.bootfiles.netboot.oci_read import MAX_MANIFEST_SIZE, NetbootRuleError
from pulpcore.plugin.util import get_domain
from rest_framework.exceptions import MethodNotAllowed

from pulp_bootfiles.app.compat import PushesIntoBootfilesDistributions
from pulp_bootfiles.app.models import BootfilesDistribution
from pulp_bootfiles.app.oci.push_in.importing import family_in
from pulp_bootfiles.app.oci.push_in.rules import pushed_trees


def _bootfiles_distribution(path):
    return BootfilesDistribution.objects.filter(base_path=path, pulp_domain=get_domain()).first()


def _refuse_delete(request, path):
    """A registry DELETE would be undone by the next version (the trees decide what is
    served) while the client is told it succeeded: refuse it instead."""
    raise MethodNotAllowed(
        request.method,
        detail=f"{path} is a bootfiles distribution: its tags, manifests and blobs are made "
        "from its repository's trees. Remove trees with the REST API's modify endpoint.",
    )


class BootfilesRegistryView(PushesIntoBootfilesDistributions):
    """What the registry views below share: how they find a bootfiles distribution."""

    @staticmethod
    def bootfiles_distribution(path):
        return _bootfiles_distribution(path)


class BootfilesManifests(BootfilesRegistryView, Manifests):
    """The registry's manifests endpoint; a PUT into a bootfiles distribution is checked, a
    DELETE refused."""

    def destroy(self, request, path, pk=None):
        if _bootfiles_distribution(path) is not None:
            _refuse_delete(request, path)
        return super().destroy(request, path, pk=pk)

    def put(self, request, path, pk=None):
        distribution = _bootfiles_distribution(path)
        if distribution is None:
            return super().put(request, path, pk=pk)
        repository = distribution.repository
        if repository is None:
            # pulp_container would make a container repository for it; ours are made by users.
            raise RepositoryNotFound(name=path)
        repository = repository.cast()
        data = request.META["wsgi.input"].read(MAX_MANIFEST_SIZE + 1)
        digest = sha256_digest(data)
        if len(data) > MAX_MANIFEST_SIZE:
            raise ManifestInvalid(
                digest=digest, reason=f"the manifest is larger than {MAX_MANIFEST_SIZE} bytes"
            )
        if not pk.startswith("sha256:"):
            version = repository.latest_version()
            pushed_before = Q(pk__in=version.content) | Q(pk__in=repository.pending_manifests.all())

            def listed_manifest(digest):
                found = Manifest.objects.filter(pushed_before, digest=digest).first()
                return found.data.encode() if found else None

            def family_of(release):
                return family_in(version.content, release)

            try:
                pushed_trees(pk, data, listed_manifest, family_of)
            except NetbootRuleError as exc:
                raise ManifestInvalid(digest=digest, reason=str(exc)) from exc
        # pulp_container reads the manifest from the input stream again.
        request.META["wsgi.input"] = io.BytesIO(data)
        return super().put(request, path, pk=pk)


class BootfilesBlobs(BootfilesRegistryView, Blobs):
    """The registry's blobs endpoint; a DELETE from a bootfiles distribution is refused."""

    def destroy(self, request, path, pk=None):
        if _bootfiles_distribution(path) is not None:
            _refuse_delete(request, path)
        return super().destroy(request, path, pk=pk)


class BootfilesBlobUploads(BootfilesRegistryView, BlobUploads):
    """The registry's blob uploads, into bootfiles distributions too (pulp-container < 2.29)."""


class BootfilesSignatures(BootfilesRegistryView, Signatures):
    """The registry's signature uploads, into bootfiles distributions too (pulp-container <
    2.29)."""
