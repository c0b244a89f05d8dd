"""
pulpcore's replication (`upstream-pulps/<id>/replicate/`) of bootfiles distributions.

Each upstream bootfiles distribution becomes an OCI remote on the upstream's registry (the
distribution's base path is the registry name), a repository synced from it, and a
distribution with the same base path here: a Katello capsule's view of its main server.
"""

import logging

from pulpcore.plugin.replica import Replicator

from pulp_bootfiles.app.models import (
    BootfilesDistribution,
    BootfilesOCIRemote,
    BootfilesRepository,
)
from pulp_bootfiles.app.tasks import synchronize_oci

try:
    # The pulp-glue contexts ship with the CLI package (pulp-cli-bootfiles, in cli/), as
    # pulp-cli plugins do; pulpcore imports this module at startup, so without them the server
    # must still start, only without bootfiles replication.
    from pulp_glue.bootfiles.context import (
        PulpBootfilesDistributionContext,
        PulpBootfilesRepositoryContext,
    )
except ImportError:  # pragma: no cover - depends on what is installed
    PulpBootfilesDistributionContext = PulpBootfilesRepositoryContext = None
    logging.getLogger(__name__).warning(
        "pulp-cli-bootfiles is not installed: bootfiles distributions are not replicated"
    )


class BootfilesReplicator(Replicator):
    repository_ctx_cls = PulpBootfilesRepositoryContext
    distribution_ctx_cls = PulpBootfilesDistributionContext
    app_label = "bootfiles"
    remote_model_cls = BootfilesOCIRemote
    repository_model_cls = BootfilesRepository
    distribution_model_cls = BootfilesDistribution
    distribution_serializer_name = "BootfilesDistributionSerializer"
    repository_serializer_name = "BootfilesRepositorySerializer"
    remote_serializer_name = "BootfilesOCIRemoteSerializer"
    sync_task = synchronize_oci

    def url(self, upstream_distribution):
        """The upstream's registry, which pulp_container serves beside its REST API."""
        return self.server.base_url

    def remote_extra_fields(self, upstream_distribution, **kwargs):
        # Layers are checked at sync, so the OCI remote only downloads immediately.
        return {"upstream_name": upstream_distribution["base_path"], "policy": "immediate"}

    def sync_params(self, repository, remote):
        return {"remote_pk": str(remote.pk), "repository_pk": str(repository.pk), "mirror": True}


REPLICATION_ORDER = [BootfilesReplicator] if PulpBootfilesRepositoryContext else []
