"""A 2x2 release matrix (one remote, one sync) beside the same four trees as four single syncs.

Both start from a cold Pulp (bench objects deleted, orphans cleaned up), into one repository,
from the same nginx mirror: release 40 is the run's own trees, release 41 two more trees of the
same profile (images differ by release, so nothing of one release stands in for the other).
The issue's promise is the same speed per tree: the matrix's trees overlap in one task, so it
should take at most the four syncs' sum. Then a no-op re-sync of the matrix: no payload bytes.
"""

from pathlib import Path

from benchmarks.context import Context
from benchmarks.realistic_tree import ensure_tree
from benchmarks.report import Figure, ratio, seconds

RELEASES = ("40", "41")
MATRIX_RATIO_TARGET = 1.0


def _matrix_trees(ctx: Context) -> Path:
    """trees_root/matrix/<release>/<arch>: 40 links to the run's trees, 41 is built (kept)."""
    root = ctx.trees_root / "matrix"
    for arch in ctx.trees:
        first = root / RELEASES[0] / arch
        first.parent.mkdir(parents=True, exist_ok=True)
        if not first.is_symlink():
            first.symlink_to(ctx.tree_dir(arch).resolve(), target_is_directory=True)
        for release in RELEASES[1:]:
            ensure_tree(root / release / arch, ctx.profile, arch, release)
    return root


def matrix_sync(ctx: Context) -> list[Figure]:
    _matrix_trees(ctx)
    arches = sorted(ctx.trees)
    template = f"{ctx.nginx.url}/matrix/{{release}}/{{arch}}/"

    ctx.pulp.reset()
    repository = ctx.pulp.repository("singles")
    singles = []
    for release in RELEASES:
        for arch in arches:
            url = template.format(release=release, arch=arch)
            remote = ctx.pulp.remote(f"single-{release}-{arch}", url)
            singles.append(ctx.pulp.sync(repository, remote))
    singles_run = sum(times.run for times in singles)
    singles_wall = sum(times.wall for times in singles)

    ctx.pulp.reset()
    repository = ctx.pulp.repository("matrix")
    remote = ctx.pulp.remote("matrix", template, releases=list(RELEASES), arches=arches)
    matrix = ctx.pulp.sync(repository, remote)
    trees = len(RELEASES) * len(arches)
    version = ctx.pulp.latest_version(repository)

    mark = ctx.nginx.log_mark()
    noop = ctx.pulp.sync(repository, remote)
    payload = [
        entry
        for entry in ctx.nginx.entries_since(mark)
        if "/images/" in entry.path or entry.path.endswith(".rpm")
    ]
    if ctx.pulp.latest_version(repository) != version:
        ctx.notes.append("The matrix's no-op re-sync created a new repository version.")
    return [
        Figure(
            f"Matrix sync {len(RELEASES)}x{len(arches)}, task started->finished",
            seconds(matrix.run),
            f"{seconds(singles_run)} (4 single syncs: "
            + " + ".join(seconds(times.run) for times in singles)
            + ")",
            ratio(matrix.run, singles_run),
            f"<= {MATRIX_RATIO_TARGET:.1f}x",
            matrix.run <= MATRIX_RATIO_TARGET * singles_run,
        ),
        Figure(
            "Matrix sync, per tree / client wall",
            f"{seconds(matrix.run / trees)} / {seconds(matrix.wall)}",
            f"{seconds(singles_run / trees)} / {seconds(singles_wall)} (single syncs)",
            ratio(matrix.wall, singles_wall),
        ),
        Figure(
            "Matrix no-op re-sync: time, image + package bytes",
            f"{seconds(noop.run)}, {sum(e.bytes for e in payload):,} B",
            f"{seconds(matrix.run)} (cold matrix)",
            "-",
            "0 B",
            not payload,
        ),
    ]
