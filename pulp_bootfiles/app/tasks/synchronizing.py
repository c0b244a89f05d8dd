"""The sync task: the tree, or a Pulp distribution's trees, at a remote's URL into a version."""

import logging

from pulpcore.plugin.stages import DeclarativeVersion

from pulp_bootfiles.app.models import BootfilesRemote, BootfilesRepository
from pulp_bootfiles.app.oci.index_in import IndexedOCI
from pulp_bootfiles.app.sync.source import RemoteFirstStage

log = logging.getLogger(__name__)


def synchronize(remote_pk, repository_pk, mirror=False):
    """
    Sync the tree at the remote's URL, or every tree of the Pulp distribution whose root it
    is (`sync.source`), into the repository.

    A new repository version is made only when something changed upstream; pulpcore lists
    it in the task's `created_resources`.
    """
    remote = BootfilesRemote.objects.get(pk=remote_pk)
    repository = BootfilesRepository.objects.get(pk=repository_pk)
    log.info("Syncing from %s into repository %s", remote.url, repository.name)
    first_stage = RemoteFirstStage(remote, repository, IndexedOCI)
    DeclarativeVersion(first_stage, repository, mirror=mirror).create()
