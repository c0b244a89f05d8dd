"""Boot storm: N machines network-booting at once from Pulp, against nginx serving the same files.

The x86_64 tree is distributed by Pulp; a static copy of everything a booting machine fetches
(its files hard-linked from the benchmark tree or downloaded once, the generated configs saved
once) is served by nginx from the same path. `storm_client` then boots N machines at once
against each server, alternating which goes first, for every N of the run (three storms each
at the target size, N=100, their requests pooled into one set of figures): UEFI HTTP boot
through shim and GRUB, iPXE and PXELINUX over HTTP in turn, a share of them fetching
install.img as Anaconda does. Every byte is checked against the source's sha256.

While each storm runs, one more machine in a process of its own (`latency_probe`) times a
GRUB probe and a config over and over: the storm's own latencies include the load generator's
queueing on these 2 cores, that machine's are what a server makes a booting machine wait. The
latency target is checked on it; the storm's own figures are shown beside, with how late the
load generator's own event loop woke a 10 ms timer during the storm (its share of them).

Afterwards the same kinds of request (a 404 probe, a generated config, a file) run one by one
with PostgreSQL's statement log on, and the statements each Pulp process sent are counted.
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from benchmarks import storm_client
from benchmarks.context import Context
from benchmarks.pulp import V3
from benchmarks.report import Figure, ratio
from benchmarks.servers import Nginx, ProbeFront
from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.functional.pulp_db import StatementLog, connect

FILES = V3 + "content/bootfiles/files/"
WALL_TARGET, LATENCY_TARGET, TARGET_N = 1.25, 0.050, 100
# The storm's own machines: p99 of probes and configs at most this many times nginx's p99 in
# the same storm (what a booting machine inside the storm waits, load generator included).
STORM_P99_TARGET = 2.0
STORM_P99_KINDS = ("probe", "config")
# At the target size each server gets this many storms (alternating which goes first), and the
# figures pool all of their machines' requests. One storm has about a hundred configs, so its
# p99 is about its second-slowest one: single storms put the same build at 0.4x to 4.0x
# nginx's (docs/admin/sizing.md). Each storm's own figures go into the notes.
TARGET_STORMS = 3
SQL_SAMPLES = 10


def _download(url: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=600) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)


def static_copy(ctx: Context, served: str, static_tree: Path, arch: str) -> storm_client.Tree:
    """Copy what machines fetch from `served` (the Pulp tree URL, ending in '/') into
    `static_tree`; return the tree's paths and digests."""
    version = ctx.pulp.latest_version(ctx.state["repository"])
    release = ctx.trees[arch]["release"]
    boot_files = [
        f
        for f in ctx.pulp.api.list(FILES, repository_version=version)
        if f["arch"] == arch and f["release"] == release
    ]
    digests = {}
    for boot_file in boot_files:
        path = boot_file["relative_path"]
        dest, source = static_tree / path, ctx.tree_dir(arch) / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, dest)  # images: the very bytes Pulp synced (checked by its sync)
        except OSError:
            _download(served + path, dest)  # bootloaders live inside RPMs
        digests[path] = boot_file["sha256"]
    return save_configs(served, static_tree, storm_client.tree_of(boot_files, digests))


def save_configs(served: str, static_tree: Path, tree: storm_client.Tree) -> storm_client.Tree:
    """Save the configs `served` answers into `static_tree`, and take their sha256 into the
    tree's digests (they name the origin machines reach Pulp at)."""
    for path in tree.configs:
        _download(served + path, static_tree / path)
        tree.digests[path] = file_sha256(static_tree / path)
    return tree


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


@dataclass
class LoneMachine:
    """What the one more machine waited (seconds per kind) and its errors."""

    latencies: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    def percentile(self, kind: str, share: float) -> float:
        return storm_client.percentile(self.latencies.get(kind, []), share)

    @classmethod
    def combined(cls, machines: list["LoneMachine"]) -> "LoneMachine":
        total = cls()
        for machine in machines:
            for kind, seconds in machine.latencies.items():
                total.latencies.setdefault(kind, []).extend(seconds)
            total.errors += machine.errors
        return total


class LatencyProbe:
    """`latency_probe.py` timing a probe and a config at `root` for a `with` block; then its
    `result`, a LoneMachine."""

    SCRIPT = Path(__file__).with_name("latency_probe.py")

    def __init__(self, root: str, tree: storm_client.Tree):
        # A name GRUB probes that no storm machine asks for (10.1.255.255).
        # Ten pairs a second: enough samples for a p99 over a storm of tens of seconds, few
        # enough not to add load of its own (the storm itself makes 30-45 requests a second).
        self.args = [root, f"{tree.grub_dir}/grub.cfg-0A01FFFF", "boot.ipxe", "0.1"]
        self.result = LoneMachine()

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(self.SCRIPT), *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc):
        out, _ = self.process.communicate(input="", timeout=300)
        found = json.loads(out)
        errors = found.pop("errors")
        self.result = LoneMachine(found, errors)


def _probe_figures(n, pulp, nginx, label) -> list[Figure]:
    """The lone machine's latencies, beside nginx's in the same storm; the latency target."""
    figures = []
    for kind in ("probe", "config"):
        p99 = pulp.percentile(kind, 0.99)
        at_target = n == TARGET_N
        samples = len(pulp.latencies.get(kind, []))
        figures.append(
            Figure(
                f"Boot storm N={n}{label}: {kind} p50 / p99, one more machine ({samples} samples)",
                f"{_ms(pulp.percentile(kind, 0.5))} / {_ms(p99)}",
                f"{_ms(nginx.percentile(kind, 0.5))} / {_ms(nginx.percentile(kind, 0.99))} (nginx)",
                "-",
                f"p99 <= {_ms(LATENCY_TARGET)}" if at_target else "-",
                (p99 <= LATENCY_TARGET and not pulp.errors) if at_target else None,
            )
        )
    return figures


def _storm_figures(n, pulp, nginx, label) -> list[Figure]:
    at_target = n == TARGET_N
    figures = [
        Figure(
            f"Boot storm N={n}{label}: wall ({pulp.requests} requests)",
            f"{pulp.wall:.2f} s ({pulp.requests / pulp.wall:,.0f} req/s)",
            f"{nginx.wall:.2f} s ({nginx.requests / nginx.wall:,.0f} req/s, nginx)",
            ratio(pulp.wall, nginx.wall),
            f"<= {WALL_TARGET}x" if at_target else "-",
            pulp.wall <= WALL_TARGET * nginx.wall if at_target else None,
        )
    ]
    for kind in storm_client.KINDS:
        # Seen by the storm's machines, the load generator's queueing included (see above).
        p99, nginx_p99 = pulp.percentile(kind, 0.99), nginx.percentile(kind, 0.99)
        targeted = at_target and kind in STORM_P99_KINDS
        figures.append(
            Figure(
                f"Boot storm N={n}{label}: {kind} p50 / p99, the storm's machines",
                f"{_ms(pulp.percentile(kind, 0.5))} / {_ms(p99)}",
                f"{_ms(nginx.percentile(kind, 0.5))} / {_ms(nginx_p99)} (nginx)",
                ratio(p99, nginx_p99) if targeted else "-",
                f"p99 <= {STORM_P99_TARGET:.0f}x nginx's" if targeted else "-",
                (p99 <= STORM_P99_TARGET * nginx_p99 and not pulp.errors) if targeted else None,
            )
        )
    figures.append(
        Figure(
            f"Boot storm N={n}{label}: the load generator's own loop lag p50 / p99",
            f"{_ms(storm_client.percentile(pulp.loop_lag, 0.5))} / "
            f"{_ms(storm_client.percentile(pulp.loop_lag, 0.99))}",
            f"{_ms(storm_client.percentile(nginx.loop_lag, 0.5))} / "
            f"{_ms(storm_client.percentile(nginx.loop_lag, 0.99))} (nginx)",
        )
    )
    files = len(pulp.latencies["file"])
    by_redirect = f", {pulp.redirected['file']} of {files} files by redirect"
    figures.append(
        Figure(
            f"Boot storm N={n}{label}: errors, bytes checked",
            f"{len(pulp.errors)} errors, {pulp.bytes_checked / 1e6:,.1f} MB"
            + (by_redirect if pulp.redirected["file"] else ""),
            f"{len(nginx.errors)} errors, {nginx.bytes_checked / 1e6:,.1f} MB (nginx)",
            "-",
            "0 errors, all bytes",
            not pulp.errors and pulp.bytes_checked == nginx.bytes_checked,
        )
    )
    return figures


def _sql_per_request(ctx, served, tree, label) -> list[Figure]:
    """Statements per request of each kind, one request at a time, by Pulp process."""
    samples = {
        "404 probe": [
            storm_client.Step(f"{tree.grub_dir}/grub.cfg-0A0100{i:02X}", "probe")
            for i in range(SQL_SAMPLES)
        ],
        "generated config": [storm_client.Step("boot.ipxe", "config")] * SQL_SAMPLES,
        "file": [storm_client.Step(tree.shim, "file")] * SQL_SAMPLES,
    }
    figures = []
    for kind, steps in samples.items():
        with StatementLog(partial(connect, ctx.settings), ctx.dev_dir / "pg" / "server.log") as log:
            result = storm_client.run_sequential(served, tree, steps)
            counts = Counter(application for application, _statement in log.entries())
        content = counts.get("pulpcore-content", 0) / len(steps)
        others = ", ".join(
            f"{name or '?'} {count}"
            for name, count in sorted(counts.items())
            if name != "pulpcore-content"
        )
        figures.append(
            Figure(
                f"SQL statements per {kind} request{label} (content app)",
                f"{content:.1f}",
                f"0 (nginx); other processes in the window: {others or 'none'}",
                "-",
                "-",
                None if not result.errors else False,
            )
        )
    return figures


def _restart_stack(ctx, cache: bool, route: bool = True) -> None:
    """Restart the benchmark's Pulp processes with pulpcore's Redis content cache on or off,
    and the plugin's content route on or off (dev/stack.sh reads the stack's ports and dirs
    from the environment run.sh exported)."""
    env = {**os.environ, "BOOTFILES_CACHE": "1" if cache else "0"}
    if not route:
        settings = ctx.scratch / "storm-route-off.py"
        settings.write_text(
            Path(os.environ["BOOTFILES_EXTRA_SETTINGS"]).read_text()
            + "\nBOOTFILES_CONTENT_ROUTE = False\n"
        )
        env["BOOTFILES_EXTRA_SETTINGS"] = str(settings)
    subprocess.run(["dev/stack.sh", "restart"], env=env, check=True, capture_output=True)


WARM_UP_MACHINES = 6  # one boot of each loader per content-app worker, not measured


def storm_rounds(ctx, served, static, tree, sizes, install_every, label) -> list[Figure]:
    """The storms of each size against Pulp at `served` and nginx at `static` (tree roots)."""
    # A started content app opens its database connections and builds the version's index on
    # its first requests; a rack boots against a warm one.
    for url in (served, static):
        storm_client.run_storm(url, tree, WARM_UP_MACHINES, 0)
    order = [("pulp", served), ("nginx", static)]
    figures, turn = [], 0
    for n in sizes:
        count = TARGET_STORMS if n == TARGET_N else 1
        storms, lone = {"pulp": [], "nginx": []}, {"pulp": [], "nginx": []}
        for __ in range(count):
            for name, url in order[:: 1 if turn % 2 else -1]:
                with LatencyProbe(url, tree) as probe:
                    storms[name].append(storm_client.run_storm(url, tree, n, install_every))
                lone[name].append(probe.result)
            turn += 1
        pooled = f" ({count} storms)" if count > 1 else ""
        if pooled:
            ctx.notes.append(_each_storm(n, label, storms))
        results = {name: storm_client.StormResult.combined(runs) for name, runs in storms.items()}
        probes = {name: LoneMachine.combined(runs) for name, runs in lone.items()}
        figures += _storm_figures(n, results["pulp"], results["nginx"], label + pooled)
        figures += _probe_figures(n, probes["pulp"], probes["nginx"], label + pooled)
        for name, result in results.items():
            errors = result.errors + probes[name].errors
            if errors:
                ctx.notes.append(
                    f"Boot storm N={n}{label}, {name}: {len(errors)} errors, first: "
                    + "; ".join(errors[:3])
                )
    return figures


def _each_storm(n, label, storms) -> str:
    """A note with each storm's own wall and p99s, Pulp's beside nginx's."""

    def figures(result):
        return (
            f"{result.wall:.1f} s, probe p99 {_ms(result.percentile('probe', 0.99))}, "
            f"config p99 {_ms(result.percentile('config', 0.99))}"
        )

    each = "; ".join(
        f"{number}: Pulp {figures(pulp)} / nginx {figures(nginx)}"
        for number, (pulp, nginx) in enumerate(zip(storms["pulp"], storms["nginx"], strict=True), 1)
    )
    return f"Boot storm N={n}{label}, each storm the figures pool: {each}"


def _storms(ctx, served, static, tree, sizes, install_every, label) -> list[Figure]:
    figures = storm_rounds(ctx, served, static, tree, sizes, install_every, label)
    return figures + _sql_per_request(ctx, served, tree, label)


def _behind_probe_front(ctx, distribution, relative, static, tree, sizes, install_every):
    """The largest storm up to the target size again, through an nginx front that answers the
    probe names itself (cache off): what that tuning buys (docs/admin/sizing.md)."""
    n = max(size for size in sizes if size <= TARGET_N)
    upstream = ctx.content_url.split("://", 1)[1]
    with ProbeFront(ctx.scratch / "storm-front", upstream, distribution["base_path"]) as front:
        served = f"{front.url}/pulp/content/{relative}"
        return storm_rounds(
            ctx, served, static, tree, (n,), install_every, ", nginx front answering probes"
        )


def _without_the_route(ctx, served, static, tree, sizes, install_every):
    """The largest storm up to the target size again with the plugin's content route off
    (BOOTFILES_CONTENT_ROUTE = False): pulpcore's handler matches every request, the baseline
    of what the route buys."""
    n = max(size for size in sizes if size <= TARGET_N)
    try:
        _restart_stack(ctx, cache=False, route=False)
        return _storms(ctx, served, static, tree, (n,), install_every, ", route off")
    finally:
        _restart_stack(ctx, cache=False)


def storm(ctx: Context, sizes: tuple[int, ...], install_every: int, arch="x86_64") -> list[Figure]:
    """The storms with pulpcore's Redis content cache off, then on (the stack restarted with
    BOOTFILES_CACHE=1, and back again afterwards)."""
    distribution = ctx.pulp.distribution("storm", ctx.state["repository"])
    release = ctx.trees[arch]["release"]
    relative = f"{distribution['base_path']}/{release}/{arch}/"
    served = f"{ctx.content_url}/pulp/content/{relative}"
    static_root = ctx.scratch / "storm-static"
    tree = static_copy(ctx, served, static_root / "pulp/content" / relative, arch)
    # For the scaled-out storm (bench_scale_out), which serves the same tree at the same path.
    ctx.state["storm"] = {"tree": tree, "static_root": static_root, "relative": relative}
    figures = []
    with Nginx(ctx.scratch / "storm-nginx", static_root) as nginx:
        static = f"{nginx.url}/pulp/content/{relative}"
        figures += _storms(ctx, served, static, tree, sizes, install_every, "")
        figures += _without_the_route(ctx, served, static, tree, sizes, install_every)
        figures += _behind_probe_front(
            ctx, distribution, relative, static, tree, sizes, install_every
        )
        try:
            _restart_stack(ctx, cache=True)
            figures += _storms(ctx, served, static, tree, sizes, install_every, ", cache on")
        finally:
            _restart_stack(ctx, cache=False)
    ctx.notes.append(
        f"Boot storm: machine i boots by {', '.join(storm_client.LOADERS)} in turn; every "
        f"{install_every}th also fetches install.img; nginx serves a static copy from the same "
        "paths; the server that goes first alternates with N. 'route off': the same storm at the "
        "target size with the plugin's content route off (pulpcore's handler matches every "
        "request). 'cache on': the same storms "
        "after restarting the stack with pulpcore's Redis content cache (CACHE_ENABLED). 'nginx "
        "front answering probes': the same storm through an nginx proxy that answers the "
        "per-machine probe names of the bootfiles base path with 404 itself (cache off)."
    )
    return figures
