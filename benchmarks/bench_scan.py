"""Repodata scan: the plugin's streamed primary scan against createrepo_c's C parser.

Both read the same zstd primary of the generated tree (~70,000 packages in --full) and pick the
newest bootloader packages; each scan runs in a fresh child process (scan_child), the two
alternating, and the median time of the rounds is reported. Memory: the peak RSS of the scan
above the child's RSS before it (the kernel's peak counter reset after the imports).
"""

import json
import statistics
import subprocess
import sys

from benchmarks.context import Context
from benchmarks.realistic_tree import metadata_paths
from benchmarks.report import Figure, ratio, seconds

RATIO_TARGET = 2.0
RSS_TARGET_MB = 100
PARSERS = ("bootfiles", "createrepo_c", "createrepo_c-nofiles")


def _scan(which: str, path, arch: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.scan_child", which, str(path), arch],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"scan_child {which} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _nevras(found: dict) -> dict:
    """createrepo_c prints a zero epoch (`-0:`), the plugin leaves it out."""
    return {name: nevra.replace("-0:", "-") for name, nevra in found.items()}


def repodata_scan(ctx: Context, arch: str = "x86_64", rounds: int = 3) -> list[Figure]:
    root = ctx.tree_dir(arch)
    primary = root / metadata_paths(root)[1]
    runs = {which: [] for which in PARSERS}
    for round_ in range(rounds):
        order = PARSERS if round_ % 2 == 0 else PARSERS[::-1]
        for which in order:
            runs[which].append(_scan(which, primary, arch))
    found = {which: _nevras(results[0]["found"]) for which, results in runs.items()}
    if len({json.dumps(f, sort_keys=True) for f in found.values()}) != 1:
        ctx.notes.append(f"The parsers disagree on the newest packages: {found}")
    time = {
        which: statistics.median(r["seconds"] for r in results) for which, results in runs.items()
    }
    peak_mb = {
        which: max(r["peak_kb"] - r["rss_before_kb"] for r in results) / 1024
        for which, results in runs.items()
    }
    before_mb = max(r["rss_before_kb"] for r in runs["bootfiles"]) / 1024
    packages = ctx.trees[arch]["primary"]["packages"]
    open_mb = ctx.trees[arch]["primary"]["open_size"] / 1e6
    label = f"{packages:,} packages, {open_mb:,.0f} MB XML"
    ctx.notes.append(
        f"Repodata scan: median of {rounds} rounds per parser, each in a fresh process; "
        f"times per round: "
        + "; ".join(
            f"{which} " + ", ".join(f"{r['seconds']:.2f}" for r in results)
            for which, results in runs.items()
        )
    )
    return [
        Figure(
            f"Repodata scan ({label})",
            seconds(time["bootfiles"]),
            f"{seconds(time['createrepo_c'])} (createrepo_c)",
            ratio(time["bootfiles"], time["createrepo_c"]),
            f"<= {RATIO_TARGET:.0f}x",
            time["bootfiles"] <= RATIO_TARGET * time["createrepo_c"],
        ),
        Figure(
            "Repodata scan vs createrepo_c without files",
            seconds(time["bootfiles"]),
            f"{seconds(time['createrepo_c-nofiles'])} (do_files=False)",
            ratio(time["bootfiles"], time["createrepo_c-nofiles"]),
        ),
        Figure(
            "Repodata scan, peak RSS above the process's",
            f"{peak_mb['bootfiles']:,.1f} MB (process {before_mb:,.0f} MB before)",
            f"{peak_mb['createrepo_c']:,.1f} MB (createrepo_c)",
            "-",
            f"< {RSS_TARGET_MB} MB",
            peak_mb["bootfiles"] < RSS_TARGET_MB,
        ),
    ]
