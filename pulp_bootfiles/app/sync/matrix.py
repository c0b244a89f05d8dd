"""
A remote whose URL is a matrix (`formats.tree_matrix`): every (release, arch) tree of it in
one sync, each as a single-tree sync does it (`BootTreeFirstStage`), overlapping.

All trees emit into the one pipeline, so the sync makes one repository version holding all of
them, or none when any tree fails; with `mirror`, trees of releases or arches the remote no
longer lists leave that version, as pulpcore removes what the first stage did not emit.
"""

import asyncio

from pulpcore.plugin.constants import TASK_STATES
from pulpcore.plugin.exceptions import SyncError
from pulpcore.plugin.models import ProgressReport
from pulpcore.plugin.stages import Stage

from pulp_bootfiles.app.constants import TREEINFO_NAME
from pulp_bootfiles.app.formats.treeinfo import MAX_TREEINFO_SIZE
from pulp_bootfiles.app.sync.fetch import fetch_unless_missing, tree_url
from pulp_bootfiles.app.sync.first_stage import BootTreeFirstStage

# How many trees read their .treeinfo, repodata and packages at once. Image downloads are
# bounded by the remote's download_concurrency, shared by all trees, and need no slot; the
# primary scans and extractions are CPU work, so a few at once use two cores without piling
# every release's primary into memory together. (benchmarks/bench_matrix.py: on smoke-size
# trees 1 and 3 are alike, the overlap of the images' downloads is what counts there.)
METADATA_CONCURRENCY = 3


class MatrixFirstStage(Stage):
    """Emit every tree of the matrix: `cells` of the remote's URL, releases and arches."""

    def __init__(self, remote, repository, cells):
        super().__init__()
        self.remote = remote
        self.repository = repository
        self.cells = cells

    async def run(self):
        slot = asyncio.Semaphore(METADATA_CONCURRENCY)
        tasks = [asyncio.ensure_future(self._tree(cell, slot)) for cell in self.cells]
        try:
            synced = await asyncio.gather(*tasks)
        except BaseException:
            # The first failure fails the sync; the other trees stop at once.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        if not any(synced):
            # Most likely a wrong URL; a mirror sync would otherwise empty the repository.
            raise SyncError(
                f"{self.remote.url}: none of the {len(self.cells)} trees of the remote's "
                "releases and arches is there upstream (every .treeinfo answers 404)"
            )

    async def _tree(self, cell, slot):
        async with slot:
            download = await self._treeinfo(cell)
        if download is None:
            await _report_skipped(tree_url(cell.url, TREEINFO_NAME))
            return False
        async with ProgressReport(
            message=f"Syncing tree {cell.name} from {cell.url}",
            code="sync.matrix.tree",
            total=1,
        ) as progress:
            stage = BootTreeFirstStage(
                self.remote, self.repository, download, cell=cell, metadata_slot=slot
            )
            stage.put = self.put  # it emits into this stage's place in the pipeline
            await stage.run()
            await progress.aincrement()
        return True

    async def _treeinfo(self, cell):
        """The cell's `.treeinfo`; None when it is missing (404) and the remote skips those."""
        url = tree_url(cell.url, TREEINFO_NAME)
        download = await fetch_unless_missing(
            self.remote, url, TREEINFO_NAME, max_size=MAX_TREEINFO_SIZE
        )
        if download is None and not self.remote.skip_missing:
            raise SyncError(
                f"could not download {TREEINFO_NAME} from {url}: HTTP 404 Not Found; the tree "
                f"{cell.name} of the remote's releases and arches is not there upstream (set "
                "skip_missing on the remote to skip such trees)"
            )
        return download


async def _report_skipped(treeinfo_url):
    """A skipped progress report naming the missing tree, for the task's reader."""
    report = ProgressReport(
        message=f"Skipped: {treeinfo_url} answers 404 Not Found (skip_missing)",
        code="sync.matrix.skipped",
        total=1,
        done=0,
        state=TASK_STATES.SKIPPED,
    )
    await report.asave()
