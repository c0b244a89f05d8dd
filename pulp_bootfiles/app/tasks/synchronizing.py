"""The sync task: one tree from a remote into a new repository version."""

import logging

from pulpcore.plugin.stages import DeclarativeVersion

from pulp_bootfiles.app.models import BootfilesRemote, BootfilesRepository
from pulp_bootfiles.app.sync.first_stage import BootTreeFirstStage

log = logging.getLogger(__name__)


def synchronize(remote_pk, repository_pk, mirror=False):
    """
    Sync the tree at the remote's URL into the repository.

    A new repository version is made only when something changed upstream; pulpcore lists
    it in the task's `created_resources`.
    """
    remote = BootfilesRemote.objects.get(pk=remote_pk)
    repository = BootfilesRepository.objects.get(pk=repository_pk)
    log.info("Syncing the tree at %s into repository %s", remote.url, repository.name)
    first_stage = BootTreeFirstStage(remote, repository)
    DeclarativeVersion(first_stage, repository, mirror=mirror).create()
