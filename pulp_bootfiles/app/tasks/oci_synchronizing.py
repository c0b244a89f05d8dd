"""The OCI sync task: netboot artifacts of a registry into a new repository version."""

import logging

from pulpcore.plugin.stages import DeclarativeVersion

from pulp_bootfiles.app.models import BootfilesOCIRemote, BootfilesRepository
from pulp_bootfiles.app.oci.sync_in.first_stage import NetbootOCIFirstStage

log = logging.getLogger(__name__)


def synchronize_oci(remote_pk, repository_pk, mirror=False):
    """
    Sync the netboot artifacts the OCI remote selects into the repository.

    Their trees become BootTrees and BootFiles like those of a tree sync; the version's OCI
    side is then rebuilt from them by the repository, as for any version.
    """
    remote = BootfilesOCIRemote.objects.get(pk=remote_pk)
    repository = BootfilesRepository.objects.get(pk=repository_pk)
    log.info(
        "Syncing netboot artifacts of %s at %s into repository %s",
        remote.upstream_name,
        remote.url,
        repository.name,
    )
    DeclarativeVersion(NetbootOCIFirstStage(remote), repository, mirror=mirror).create()
