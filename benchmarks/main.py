"""Run every measurement against a running stack and print the table (benchmarks/run.sh runs
this after starting the stack; see benchmarks/README.md).

    python -m benchmarks.main --mode {smoke,full} --output FILE.md [--api URL] [--dev-dir DIR]
"""

import argparse
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks import (
    bench_matrix,
    bench_poll,
    bench_publish,
    bench_pull,
    bench_scale_out,
    bench_scan,
    bench_storm,
    bench_sync,
    pyspy_profile,
)
from benchmarks.context import Context
from benchmarks.pulp import BenchPulp
from benchmarks.realistic_tree import PROFILES, ensure_tree
from benchmarks.report import Figure, machine, table, write_markdown
from benchmarks.servers import Nginx

ARCHES = ("x86_64", "aarch64")
STEPS = ("scan", "sync", "noop", "second", "publish", "pull", "poll", "storm", "scaled", "matrix")
# Boot storm sizes (machines at once) and which share also fetches install.img.
STORM = {"full": ((10, 50, 100, 200), 20), "smoke": ((10,), 5)}
# The scaled-out storm (--full only): sizes that moto, which holds each object it sends in
# memory, still serves (50 initrds at once); kept with SeaweedFS so that runs compare.
SCALED_STORM = ((10, 50), 20)
OBJECT_STORES = ("seaweedfs", "moto")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def versions() -> dict[str, str]:
    found = {}
    for name in ("pulpcore", "pulp-container", "pulp-bootfiles", "createrepo_c", "oras", "lxml"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "?"
    for name, command in {
        "nginx": ["nginx", "-v"],
        "docker-registry": ["docker-registry", "--version"],
        "curl": ["curl", "--version"],
        "skopeo": ["skopeo", "--version"],
    }.items():
        result = subprocess.run(command, capture_output=True, text=True)
        version = re.search(r"\b\d+\.\d+[\w.+~-]*", result.stdout + result.stderr)
        found[name] = version.group(0) if version else "?"
    return found


def measurements(ctx: Context, full: bool, storm_sizes=None, object_store="seaweedfs") -> dict:
    """{step: callable returning figures}, in run order; later steps use earlier ones' state."""
    return {
        "scan": lambda: bench_scan.repodata_scan(ctx, rounds=3),
        "sync": lambda: bench_sync.cold_sync(ctx),
        "noop": lambda: bench_sync.noop_resync(ctx),
        "second": lambda: bench_sync.second_tree(ctx),
        "publish": lambda: bench_publish.publish(ctx),
        "pull": lambda: bench_pull.pull(ctx, rounds=3 if full else 1, clients=20 if full else 3),
        "poll": lambda: bench_poll.poll(ctx, rounds=3 if full else 1),
        "storm": lambda: bench_storm.storm(ctx, *_storm(full, storm_sizes)),
    } | (
        (
            {"scaled": lambda: bench_scale_out.scaled_storm(ctx, *SCALED_STORM, object_store)}
            if full
            else {}
        )
        # Last: it starts from a cold Pulp twice, so the earlier steps' objects are gone.
        | {"matrix": lambda: bench_matrix.matrix_sync(ctx)}
    )


def _storm(full: bool, sizes) -> tuple:
    default_sizes, install_every = STORM["full" if full else "smoke"]
    return (sizes or default_sizes), install_every


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(PROFILES), default="full")
    parser.add_argument("--output", type=Path, required=True, help="Markdown page to write")
    parser.add_argument("--work-dir", type=Path, default=Path("/var/tmp/pulp_bootfiles-bench"))
    parser.add_argument("--api", default=os.environ.get("BOOTFILES_API", "http://127.0.0.1:26817"))
    parser.add_argument(
        "--content", default=os.environ.get("BOOTFILES_CONTENT", "http://127.0.0.1:26816")
    )
    parser.add_argument("--dev-dir", type=Path, default=Path("/tmp/bench-dev"))
    parser.add_argument(
        "--skip", default="", help=f"comma-separated steps to skip: {','.join(STEPS)}"
    )
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles into this dir")
    parser.add_argument(
        "--storm-sizes",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        help="comma-separated machine counts of the storm step (default: the mode's)",
    )
    parser.add_argument(
        "--object-store",
        choices=OBJECT_STORES,
        default=OBJECT_STORES[0],
        help="the S3 server of the scaled step (moto: the tests' one, slower)",
    )
    parser.add_argument("--keep", action="store_true", help="keep Pulp's bench objects at the end")
    args = parser.parse_args(argv)
    profile = PROFILES[args.mode]
    work = args.work_dir / profile.name
    trees_root = work / "trees"
    trees_root.mkdir(parents=True, exist_ok=True)
    info = machine({"trees": work, "MEDIA_ROOT": args.dev_dir})

    started = time.monotonic()
    trees = {}
    for arch in ARCHES:
        log(f"tree {arch} ({profile.name}) in {trees_root / arch}")
        trees[arch] = ensure_tree(trees_root / arch, profile, arch)
    log(f"trees ready in {time.monotonic() - started:.0f} s")

    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    figures, failed, ctx, profiles = [], [], None, ""
    pulp = BenchPulp(args.api)
    try:
        with Nginx(scratch / "nginx", trees_root) as nginx:
            ctx = Context(
                profile,
                scratch,
                pulp,
                args.api,
                args.content,
                args.dev_dir,
                nginx,
                trees_root,
                trees,
            )
            skipped = {step.strip() for step in args.skip.split(",") if step.strip()}
            for step, measure in measurements(
                ctx, args.mode == "full", args.storm_sizes, args.object_store
            ).items():
                if step in skipped:
                    continue
                log(f"measuring: {step}")
                step_start = time.monotonic()
                try:
                    figures += measure()
                except Exception as exc:  # report it and go on: later figures may still stand
                    traceback.print_exc()
                    failed.append(step)
                    figures.append(
                        Figure(f"{step}: FAILED", f"{type(exc).__name__}: {exc}"[:200], met=False)
                    )
                log(f"{step} done in {time.monotonic() - step_start:.0f} s")
            if args.profile:
                log(f"profiling with py-spy into {args.profile}")
                try:
                    profiles = pyspy_profile.profile(ctx, args.profile)
                except Exception:
                    traceback.print_exc()
                    failed.append("profile")
    finally:
        if not args.keep:
            log("removing the bench objects and orphans from Pulp")
            try:
                pulp.reset()
            except Exception as exc:
                log(f"cleanup failed: {exc}")
        shutil.rmtree(scratch, ignore_errors=True)

    notes = (ctx.notes if ctx else []) + [
        "The machine may run other jobs (tests) at the same time: load average "
        f"{info['load average at start']} at the start, "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end.",
        f"Total run time {time.monotonic() - started:.0f} s.",
    ]
    print(table(figures))
    print()
    for note in notes:
        print(f"- {note}")
    if profiles:
        print(f"\npy-spy profiles ({args.profile}):\n{profiles}")
    write_markdown(args.output, profile.name, figures, notes, info, versions())
    log(f"written: {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
