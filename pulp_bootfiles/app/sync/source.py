"""
What a tree remote's URL points at: a matrix of tree roots (`{release}`, `{arch}`), a tree root
(`.treeinfo`) or a Pulp distribution root.

`.treeinfo` is asked for first, so an ordinary tree sync makes the same requests as before.
Only when it answers 404 is `.bootfiles.json` asked for; a distribution's root never holds a
`.treeinfo` (its trees are under `<release>/<arch>/`), so a capsule sync costs one 404 more.
"""

from pathlib import Path

from pulpcore.plugin.exceptions import SyncError
from pulpcore.plugin.stages import Stage

from pulp_bootfiles.app.constants import TREEINFO_NAME
from pulp_bootfiles.app.formats.netboot_index import INDEX_NAME, MAX_INDEX_SIZE
from pulp_bootfiles.app.formats.tree_matrix import MatrixError, cells
from pulp_bootfiles.app.formats.treeinfo import MAX_TREEINFO_SIZE
from pulp_bootfiles.app.sync.fetch import fetch_unless_missing, tree_url
from pulp_bootfiles.app.sync.first_stage import BootTreeFirstStage
from pulp_bootfiles.app.sync.from_index import IndexFirstStage
from pulp_bootfiles.app.sync.matrix import MatrixFirstStage


class RemoteFirstStage(Stage):
    """Find out what the remote's URL serves, then run the first stage that reads it."""

    def __init__(self, remote, repository, oci_keeper):
        super().__init__()
        self.remote = remote
        self.repository = repository
        # What keeps the OCI side a distribution root's index lists (`IndexFirstStage`).
        self.oci_keeper = oci_keeper

    async def run(self):
        stage = await self._stage()
        stage.put = self.put  # it emits into this stage's place in the pipeline
        await stage.run()

    async def _stage(self):
        remote = self.remote
        try:  # checked again: the remote was valid when saved, but the rules may have grown
            matrix = cells(remote.url, remote.releases, remote.arches)
        except MatrixError as exc:
            raise SyncError(f"{remote.url}: {exc}") from exc
        if matrix:
            return MatrixFirstStage(remote, self.repository, matrix)
        treeinfo_url = tree_url(remote.url, TREEINFO_NAME)
        treeinfo = await fetch_unless_missing(
            remote, treeinfo_url, TREEINFO_NAME, max_size=MAX_TREEINFO_SIZE
        )
        if treeinfo is not None:
            return BootTreeFirstStage(remote, self.repository, treeinfo)
        index_url = tree_url(remote.url, INDEX_NAME)
        index = await fetch_unless_missing(remote, index_url, INDEX_NAME, max_size=MAX_INDEX_SIZE)
        if index is None:
            raise SyncError(
                f"{remote.url} is neither a tree root nor a Pulp distribution root: "
                f"{treeinfo_url} and {index_url} both answer 404 Not Found"
            )
        return IndexFirstStage(remote, Path(index.path).read_bytes(), index_url, self.oci_keeper)
