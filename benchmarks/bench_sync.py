"""Cold sync against a manual baseline, worker memory during it, and a no-op re-sync.

Baseline: what an admin would run by hand against the same nginx mirror, in the same run: one
`curl` fetching `.treeinfo`, `repomd.xml`, the primary and every image, then the three
bootloader RPMs, `rpm2cpio | cpio` of the four wanted files, and `sha256sum` of everything. The
baseline knows which RPMs to take (it does not parse the primary). The sync starts from a cold
Pulp (bench objects deleted, orphans cleaned up) with the immediate policy.

Memory: pulpcore-worker runs each task in a process it forks, which shares the worker's pages
(about 150 MB here) until either writes to them. Each process's RSS counts the shared pages in
full, so an RSS sum over the two counts them twice. The target is on the PSS sum (each shared
page split among the processes sharing it: each page counted once), what the worker and its
task take from the machine together; the RSS figures are shown beside.
"""

import resource
import shlex
import shutil
import subprocess
import time

from benchmarks.context import Context
from benchmarks.procmem import TreeSampler, cpu_seconds, tree_pss_kb, wait_quiet
from benchmarks.realistic_tree import metadata_paths
from benchmarks.report import Figure, megabytes, ratio, seconds

SYNC_RATIO_TARGET = 1.0
NOOP_TARGET_S = 3.0
WORKER_MEMORY_TARGET_MB = 300  # PSS sum of the worker and its task process


def manual_script(ctx: Context, arch: str, outdir) -> str:
    """The baseline as a bash script (also shown in the report)."""
    tree = ctx.trees[arch]
    url = ctx.tree_url(arch)
    files = [".treeinfo", *metadata_paths(ctx.tree_dir(arch)), *tree["images"], *tree["extract"]]
    curl = ["curl", "-sSf", "--create-dirs"]
    for path in files:
        curl += ["-o", path, url + path]
    lines = ["set -euo pipefail", f"cd {shlex.quote(str(outdir))}", shlex.join(curl)]
    lines.append("mkdir extracted && cd extracted")
    extracted = []
    for rpm, paths in tree["extract"].items():
        members = ["." + path for path in paths]
        lines.append(f"rpm2cpio ../{shlex.quote(rpm)} | cpio -idm --quiet {shlex.join(members)}")
        extracted += ["extracted" + path for path in paths]
    lines += ["cd ..", shlex.join(["sha256sum", *files, *extracted]) + " >SHA256SUMS"]
    return "\n".join(lines) + "\n"


def run_manual(ctx: Context, arch: str) -> dict:
    """Run the baseline once; returns its wall and CPU seconds and the bytes it fetched."""
    outdir = ctx.scratch / f"manual-{arch}"
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    script = manual_script(ctx, arch, outdir)
    mark = ctx.nginx.log_mark()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(["bash", "-c", script], check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    fetched = sum(entry.bytes for entry in ctx.nginx.entries_since(mark))
    shutil.rmtree(outdir)
    return {"wall": wall, "cpu": cpu, "bytes": fetched}


def cold_sync(ctx: Context, arch: str = "x86_64") -> list[Figure]:
    """Baseline first, then the sync from a cold Pulp, the worker's tree sampled meanwhile."""
    ctx.pulp.reset()
    manual = run_manual(ctx, arch)
    worker = ctx.worker_pid()
    wait_quiet(worker)
    idle_kb = tree_pss_kb(worker)
    cpu_before = cpu_seconds(worker)
    remote = ctx.pulp.remote(arch, ctx.tree_url(arch))
    repository = ctx.pulp.repository("repo")
    mark = ctx.nginx.log_mark()
    with TreeSampler(worker, interval=0.2) as memory:
        times = ctx.pulp.sync(repository, remote)
    wait_quiet(worker)
    cpu = cpu_seconds(worker) - cpu_before
    fetched = ctx.nginx.entries_since(mark)
    ctx.state.update(repository=repository, remotes={arch: remote}, cold={arch: times})
    ctx.state["cold_bytes"] = sum(entry.bytes for entry in fetched)

    baseline = f"{seconds(manual['wall'])} (manual)"
    peak_mb = memory.peak_pss_kb / 1024
    return [
        Figure(
            f"Cold sync {arch}, task started->finished",
            seconds(times.run),
            baseline,
            ratio(times.run, manual["wall"]),
            f"<= {SYNC_RATIO_TARGET:.1f}x",
            times.run <= SYNC_RATIO_TARGET * manual["wall"],
        ),
        Figure(
            "Cold sync, dispatch->finished (client saw)",
            f"{seconds(times.dispatched_to_finished)} ({seconds(times.wall)})",
            baseline,
            ratio(times.dispatched_to_finished, manual["wall"]),
        ),
        Figure(
            "Cold sync, CPU time (worker tree)",
            seconds(cpu),
            f"{seconds(manual['cpu'])} (manual)",
            ratio(cpu, manual["cpu"]),
        ),
        Figure(
            "Cold sync, bytes from the mirror",
            f"{megabytes(ctx.state['cold_bytes'])} in {len(fetched)} requests",
            f"{megabytes(manual['bytes'])} (manual)",
        ),
        Figure(
            "Worker peak memory during cold sync (PSS sum, worker + task)",
            f"{peak_mb:,.0f} MB",
            f"{idle_kb / 1024:,.0f} MB (idle)",
            ratio(memory.peak_pss_kb, idle_kb),
            f"< {WORKER_MEMORY_TARGET_MB} MB",
            peak_mb < WORKER_MEMORY_TARGET_MB,
        ),
        Figure(
            "Worker peak RSS during cold sync: tree sum / largest process",
            f"{memory.peak_rss_kb / 1024:,.0f} MB / {memory.peak_single_kb / 1024:,.0f} MB",
            f"{memory.peak_processes} processes, {memory.samples} samples",
        ),
    ]


def noop_resync(ctx: Context, arch: str = "x86_64") -> list[Figure]:
    """Sync the unchanged tree again: time it, and count what the mirror served for it."""
    repository, remote = ctx.state["repository"], ctx.state["remotes"][arch]
    version = ctx.pulp.latest_version(repository)
    mark = ctx.nginx.log_mark()
    times = ctx.pulp.sync(repository, remote)
    entries = ctx.nginx.entries_since(mark)
    payload_paths = {
        f"/{arch}/{path}" for path in (*ctx.trees[arch]["images"], *ctx.trees[arch]["extract"])
    }
    payload = [entry for entry in entries if entry.path in payload_paths]
    payload_bytes = sum(entry.bytes for entry in payload)
    fetched = ", ".join(f"{e.path.removeprefix(f'/{arch}/')} ({e.bytes:,} B)" for e in entries)
    ctx.notes.append(f"No-op re-sync fetched: {fetched or 'nothing'}.")
    if ctx.pulp.latest_version(repository) != version:
        ctx.notes.append("The no-op re-sync created a new repository version (it should not).")
    cold = ctx.state["cold"][arch]
    return [
        Figure(
            "No-op re-sync, task started->finished",
            seconds(times.run),
            f"{seconds(cold.run)} (cold sync)",
            ratio(times.run, cold.run),
            f"<= {NOOP_TARGET_S:.0f} s",
            times.run <= NOOP_TARGET_S,
        ),
        Figure(
            "No-op re-sync, image + package bytes fetched",
            f"{payload_bytes:,} B in {len(payload)} requests",
            f"{megabytes(ctx.state['cold_bytes'])} (cold sync)",
            "-",
            "0 B",
            payload_bytes == 0 and not payload,
        ),
        Figure(
            "No-op re-sync, all bytes fetched (metadata)",
            f"{megabytes(sum(entry.bytes for entry in entries))} in {len(entries)} requests",
        ),
    ]


def second_tree(ctx: Context, arch: str = "aarch64") -> list[Figure]:
    """Sync a second arch into the repository (for the two-arch publish); timed for reference."""
    remote = ctx.pulp.remote(arch, ctx.tree_url(arch))
    ctx.state["remotes"][arch] = remote
    times = ctx.pulp.sync(ctx.state["repository"], remote)
    return [Figure(f"Cold sync {arch} (second tree, for reference)", seconds(times.run))]
