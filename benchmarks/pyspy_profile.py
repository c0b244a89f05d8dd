"""Where the time goes, with py-spy (`benchmarks/run.sh --full -- --profile DIR`).

Not a measurement (py-spy slows what it samples): it records a cold sync and a no-op re-sync in
the worker (`--subprocesses`: the task runs in a forked child) and one plugin repodata scan,
writes py-spy's raw (collapsed) stacks and a flame graph per profile into DIR, and returns a
summary of the functions with the most samples, on their own ("self") and with what they call
("total").
"""

import collections
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.context import Context
from benchmarks.procmem import wait_quiet
from benchmarks.realistic_tree import metadata_paths

RATE = 100  # samples per second
# Leaves of threads that only wait for work (py-spy does not always tell them idle here).
IDLE = ("_worker (concurrent/futures/thread.py)", "EpollSelector.select (selectors.py)")
# Frames on (nearly) every stack: left out of the "total" ranking.
GENERIC = re.compile(
    r"\((threading|runpy|<frozen runpy>|click/|multiprocessing/|asyncio/|concurrent/futures/"
    r"|pulpcore/tasking/|pulpcore-worker|benchmarks/scan_child|.*_bootstrap)"
)
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str, line: bool = False) -> str:
    """`function (path/to/site-packages/pkg/mod.py:12)` -> `function (pkg/mod.py)`, or
    `function (pkg/mod.py:12)` with `line`."""
    match = FRAME.match(frame)
    if not match:
        return frame
    path = re.sub(r".*/(site-packages|lib/python3\.\d+|main)/", "", match["file"])
    at = f":{match['line']}" if line and match["line"] else ""
    return f"{match['function']} ({path}{at})"


def summarize(raw: Path, top: int = 12) -> str:
    """The top functions by self and by total samples in a py-spy raw file."""
    own, total, samples = collections.Counter(), collections.Counter(), 0
    plugin_lines = collections.Counter()  # the deepest pulp_bootfiles frame, with its line
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_short(frame) for frame in stack.split(";")]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames or frames[-1] in IDLE:
            continue
        samples += int(count)
        own[frames[-1]] += int(count)
        ours = [frame for frame in stack.split(";") if "pulp_bootfiles/" in frame]
        if ours:
            plugin_lines[_short(ours[-1], line=True)] += int(count)
        for frame in set(frames):
            if not GENERIC.search(frame):
                total[frame] += int(count)
    lines = [f"{raw.name}: {samples} samples at {RATE}/s (idle waits left out)"]
    rankings = (("self", own), ("total", total), ("plugin line (with callees)", plugin_lines))
    for title, counter in rankings:
        lines.append(f"  top {top} by {title}:")
        lines += [
            f"    {count / max(samples, 1):6.1%}  {frame}"
            for frame, count in counter.most_common(top)
        ]
    return "\n".join(lines)


def _record(target: list[str], out: Path, native: bool = False) -> subprocess.Popen:
    """Start py-spy recording raw stacks into `out` (and an SVG beside it)."""
    beside = Path(sys.executable).parent / "py-spy"  # installed into the venv
    command = [
        str(beside) if beside.exists() else "py-spy",
        "record",
        "--rate",
        str(RATE),
        "--format",
        "raw",
        "-o",
        str(out),
    ]
    if native:
        command.append("--native")
    return subprocess.Popen(command + target, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stop(spy: subprocess.Popen) -> None:
    """py-spy writes its output when interrupted."""
    time.sleep(0.5)
    spy.send_signal(signal.SIGINT)
    _out, err = spy.communicate(timeout=120)
    if spy.returncode not in (0, -signal.SIGINT, 130) and err:
        print(err.decode()[-2000:], file=sys.stderr)


def _flamegraph(raw: Path) -> None:
    """An SVG from the raw stacks, if the `flamegraph` tool is around (optional)."""
    try:
        with open(raw.with_suffix(".svg"), "wb") as svg:
            subprocess.run(["flamegraph.pl", str(raw)], stdout=svg, check=True)
    except (OSError, subprocess.CalledProcessError):
        raw.with_suffix(".svg").unlink(missing_ok=True)


def profile_sync(ctx: Context, outdir: Path, arch: str = "x86_64") -> list[str]:
    """A cold sync and then a no-op re-sync, each recorded in the worker's tree."""
    ctx.pulp.reset()
    remote = ctx.pulp.remote(f"profile-{arch}", ctx.tree_url(arch))
    repository = ctx.pulp.repository("profile")
    worker = str(ctx.worker_pid())
    summaries = []
    for name in ("cold-sync", "noop-resync"):
        raw = outdir / f"{name}.txt"
        wait_quiet(int(worker))
        spy = _record(["--subprocesses", "--pid", worker], raw)
        time.sleep(1)  # let py-spy attach before the task forks
        times = ctx.pulp.sync(repository, remote)
        _stop(spy)
        _flamegraph(raw)
        summaries.append(f"{name} (task {times.run:.1f} s under py-spy)\n{summarize(raw)}")
    ctx.pulp.reset()
    return summaries


def profile_scan(ctx: Context, outdir: Path, arch: str = "x86_64") -> list[str]:
    """One plugin scan of the primary, Python and native (libxml2, zstd) frames."""
    root = ctx.tree_dir(arch)
    primary = root / metadata_paths(root)[1]
    raw = outdir / "repodata-scan.txt"
    child = [sys.executable, "-m", "benchmarks.scan_child", "bootfiles", str(primary), arch]
    spy = _record(["--"] + child, raw, native=True)
    spy.communicate(timeout=600)
    _flamegraph(raw)
    return [summarize(raw)]


def profile(ctx: Context, outdir: Path) -> str:
    outdir.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join(profile_scan(ctx, outdir) + profile_sync(ctx, outdir))
    (outdir / "summary.txt").write_text(text + "\n")
    return text
