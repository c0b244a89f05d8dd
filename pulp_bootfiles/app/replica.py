"""
pulpcore's replication (`upstream-pulps/<id>/replicate/`) of bootfiles distributions.

Each upstream bootfiles distribution becomes an OCI remote on the upstream's registry (the
distribution's base path is the registry name), a repository synced from it, and a
distribution with the same base path here: a Katello capsule's view of its main server.
"""

from pulp_container.app import replica as container_replica
from pulp_container.app.replica import ContainerReplicator
from pulp_glue.bootfiles.context import (
    PulpBootfilesDistributionContext,
    PulpBootfilesRepositoryContext,
)
from pulpcore.plugin.replica import Replicator

from pulp_bootfiles.app.compat import ReplicatesDistributionsWithoutPublication
from pulp_bootfiles.app.models import (
    BootfilesDistribution,
    BootfilesOCIRemote,
    BootfilesRepository,
)
from pulp_bootfiles.app.tasks import synchronize_oci


class BootfilesReplicator(ReplicatesDistributionsWithoutPublication, Replicator):
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


REPLICATION_ORDER = [BootfilesReplicator]


BOOTFILES_DISTRIBUTION_HREF = "/distributions/bootfiles/bootfiles/"


class ContainerReplicatorBesideBootfiles(ContainerReplicator):
    """
    pulp_container's replicator, leaving bootfiles distributions alone.

    A bootfiles distribution is a ContainerDistribution (that is how pulp_container's registry
    serves it), and pulp_container's replicator does not look at the type: upstream, its
    distribution list shows bootfiles distributions too, so it would replicate each one as a
    container repository under the name our remote needs; here, `ContainerDistribution.objects`
    returns our distributions too, so its clean-up would delete the replicated bootfiles
    distributions as "missing" (and, with the `all` policy, every local one). This subclass
    skips both; BootfilesReplicator replicates bootfiles distributions.
    """

    def upstream_distributions(self, q=None):
        # Listed through the container endpoint, a bootfiles distribution keeps its own href.
        for distribution in super().upstream_distributions(q=q):
            if BOOTFILES_DISTRIBUTION_HREF not in distribution["pulp_href"]:
                yield distribution

    def remove_missing(self, names):
        local_bootfiles = BootfilesDistribution.objects.filter(pulp_domain=self.domain)
        super().remove_missing([*names, *local_bootfiles.values_list("name", flat=True)])


def keep_container_replication_off_bootfiles():
    """
    Put ContainerReplicatorBesideBootfiles in pulp_container's place in `replicate`.

    pulpcore takes each plugin's replicators from its replica module's REPLICATION_ORDER list
    when the app is ready. Replacing the entry in that very list works whichever app is made
    ready first (the plugin order follows entry points, not dependencies).
    """
    order = container_replica.REPLICATION_ORDER
    order[:] = [
        ContainerReplicatorBesideBootfiles if cls is ContainerReplicator else cls for cls in order
    ]
