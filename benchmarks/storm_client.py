"""Simulated network-booting machines: each walks exactly the HTTP path its loader walks.

Three loaders, as they run against one served tree (`<base URL>/<release>/<arch>/`):

- UEFI HTTP boot: the firmware loads shim, shim loads GRUB from its own directory; GRUB probes
  `grub.cfg-01-<mac>`, then `grub.cfg-<hex IP>` shortened one digit at a time (8 names), then
  `grub.cfg`, in GRUB's directory; the config boots the kernel and the initrd.
- iPXE: `boot.ipxe`, then the kernel and the initrd it names.
- PXELINUX over HTTP (lpxelinux): `pxelinux.0`, `ldlinux.c32`, then `pxelinux.cfg/<uuid>`,
  `01-<mac>`, the hex IP shortened (8 names), then `default`; then the kernel and the initrd.

A share of the machines then goes on as Anaconda does and fetches `install.img`. Every
response's bytes are hashed and compared with the expected sha256 (404 probes expect a 404).
Redirects are followed (to object storage, as firmware and iPXE follow them), and each fetch is
recorded with its start time and the sha256 it got, for checks across a change of version.
Pure asyncio + aiohttp: one client session (one connection) per machine, as real machines have.
"""

import asyncio
import hashlib
import os
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import aiohttp

LOADERS = ("uefi", "ipxe", "pxelinux")
KINDS = ("probe", "config", "file")
CHUNK = 1 << 20


def _lowest_priority() -> None:
    """Run this thread at nice 19 (Linux schedules threads apart): the hashing then takes only
    CPU that neither the server under test nor the loop wants, as a real machine's hashing
    takes none of the server's."""
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


# One thread: the bytes are hashed once, by one core at most, off the loop, at the lowest
# priority.
HASHING = ThreadPoolExecutor(1, thread_name_prefix="storm-sha256", initializer=_lowest_priority)
CONFIGS = ("boot.ipxe", "grub.cfg", "pxelinux.cfg/default")


@dataclass(frozen=True)
class Tree:
    """Paths in the served tree (relative to its root) and the sha256 of each file or config."""

    shim: str
    grub: str
    kernel: str
    initrd: str
    install_img: str
    pxelinux: str
    ldlinux: str
    digests: dict  # path in the tree -> sha256 hex, for every file and config fetched

    @property
    def grub_dir(self) -> str:
        return self.grub.rpartition("/")[0]

    @property
    def configs(self) -> tuple[str, ...]:
        """The configs machines fetch: the tree's three, and GRUB's in its own directory."""
        return CONFIGS + (self.grub_dir + "/grub.cfg",)


def tree_of(boot_files: list[dict], digests: dict) -> Tree:
    """The Tree of one (release, arch) from its BootFiles, as the REST API lists them; the
    caller fills `digests` with the sha256 of every path the machines fetch."""
    path = {f["name"]: f["relative_path"] for f in boot_files}
    return Tree(
        shim=path["shimx64.efi"],
        grub=path["grubx64.efi"],
        kernel=path["vmlinuz"],
        initrd=path["initrd.img"],
        install_img=path["install.img"],
        pxelinux=path["pxelinux.0"],
        ldlinux=path["ldlinux.c32"],
        digests=digests,
    )


@dataclass(frozen=True)
class Step:
    path: str  # relative to the tree root
    kind: str  # probe (expects 404), config, file


def _hex_ip(index: int) -> str:
    """The upper-case hex IPv4 address GRUB and PXELINUX probe with: 10.1.x.y."""
    return f"0A01{index >> 8 & 0xFF:02X}{index & 0xFF:02X}"


def _mac(index: int) -> str:
    return "52-54-00-" + "-".join(f"{b:02x}" for b in index.to_bytes(3, "big"))


def machine_steps(tree: Tree, index: int, loader: str, installs: bool) -> list[Step]:
    """The requests machine `index` makes with `loader`, in order."""
    mac, ip = _mac(index), _hex_ip(index)
    shortened = [ip[:length] for length in range(8, 0, -1)]
    if loader == "uefi":
        prefix = tree.grub_dir + "/"
        steps = [Step(tree.shim, "file"), Step(tree.grub, "file")]
        names = [f"grub.cfg-01-{mac}"] + [f"grub.cfg-{part}" for part in shortened]
        steps += [Step(prefix + name, "probe") for name in names]
        steps.append(Step(prefix + "grub.cfg", "config"))
    elif loader == "ipxe":
        steps = [Step("boot.ipxe", "config")]
    else:
        steps = [Step(tree.pxelinux, "file"), Step(tree.ldlinux, "file")]
        names = [str(uuid.UUID(int=index)), f"01-{mac}"] + shortened
        steps += [Step(f"pxelinux.cfg/{name}", "probe") for name in names]
        steps.append(Step("pxelinux.cfg/default", "config"))
    steps += [Step(tree.kernel, "file"), Step(tree.initrd, "file")]
    if installs:
        steps.append(Step(tree.install_img, "file"))
    return steps


@dataclass(frozen=True)
class Fetch:
    """One answered request: when it started (time.monotonic()), what came back."""

    path: str
    kind: str
    started: float
    status: int
    sha256: str
    redirected: bool  # answered through a redirect (to object storage)
    seconds: float  # from the request's start to its last byte


@dataclass
class StormResult:
    wall: float = 0.0
    requests: int = 0
    errors: list = field(default_factory=list)
    bytes_checked: int = 0
    latencies: dict = field(default_factory=lambda: defaultdict(list))  # kind -> seconds
    redirected: dict = field(default_factory=lambda: defaultdict(int))  # kind -> answers
    fetches: list = field(default_factory=list)  # Fetch, in the order they ended
    # How late the load generator's own event loop woke a 10 ms timer, sampled all storm long:
    # the part of every latency above that the generator, not the server, added.
    loop_lag: list = field(default_factory=list)

    def percentile(self, kind: str, share: float) -> float:
        return percentile(self.latencies[kind], share)

    @classmethod
    def combined(cls, results: list["StormResult"]) -> "StormResult":
        """Storms run one after another, as one: walls and counts added, every request's
        latency pooled (a p99 over all of their machines)."""
        total = cls()
        for result in results:
            total.wall += result.wall
            total.requests += result.requests
            total.errors += result.errors
            total.bytes_checked += result.bytes_checked
            for kind, seconds in result.latencies.items():
                total.latencies[kind] += seconds
            for kind, count in result.redirected.items():
                total.redirected[kind] += count
            total.fetches += result.fetches
            total.loop_lag += result.loop_lag
        return total


def percentile(values, share: float) -> float:
    """The `share` percentile (0.99 for p99) of `values`; 0.0 when there are none."""
    values = sorted(values)
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(share * len(values)))]


def _update(digest, parts: list) -> None:
    for part in parts:
        digest.update(part)


async def _fetch(session, base, step, tree, result):
    start = time.monotonic()
    digest, size = hashlib.sha256(), 0
    loop = asyncio.get_running_loop()
    try:
        async with session.get(base + step.path) as response:
            # A real machine hashes on its own CPU. Here 100 of them share one event loop, so
            # large bodies are hashed in the hashing thread, a megabyte at a time (hashlib
            # lets go of the GIL), and the loop stays free to time the small requests.
            parts, pending = [], 0
            async for chunk in response.content.iter_chunked(CHUNK):
                parts.append(chunk)
                pending += len(chunk)
                size += len(chunk)
                if pending >= CHUNK:
                    await loop.run_in_executor(HASHING, _update, digest, parts)
                    parts, pending = [], 0
            _update(digest, parts)
            status, redirected = response.status, bool(response.history)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        result.errors.append(f"{step.path}: {type(exc).__name__}: {exc}")
        return
    seconds = time.monotonic() - start
    result.latencies[step.kind].append(seconds)
    result.requests += 1
    result.redirected[step.kind] += redirected
    result.fetches.append(
        Fetch(step.path, step.kind, start, status, digest.hexdigest(), redirected, seconds)
    )
    if step.kind == "probe":
        if status != 404:
            result.errors.append(f"{step.path}: HTTP {status}, expected 404")
    elif status != 200:
        result.errors.append(f"{step.path}: HTTP {status}")
    elif digest.hexdigest() != tree.digests[step.path]:
        result.errors.append(f"{step.path}: sha256 differs from the source ({size} bytes)")
    else:
        result.bytes_checked += size


async def _machine(base, steps, tree, result):
    timeout = aiohttp.ClientTimeout(total=600)
    connector = aiohttp.TCPConnector(limit=1, force_close=False)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        for step in steps:
            await _fetch(session, base, step, tree, result)


LAG_TICK = 0.01


async def _sample_loop_lag(lags: list) -> None:
    while True:
        start = time.monotonic()
        await asyncio.sleep(LAG_TICK)
        lags.append(max(0.0, time.monotonic() - start - LAG_TICK))


async def _storm(base, plans, tree):
    result = StormResult()
    sampler = asyncio.create_task(_sample_loop_lag(result.loop_lag))
    start = time.monotonic()
    await asyncio.gather(*(_machine(base, steps, tree, result) for steps in plans))
    result.wall = time.monotonic() - start
    sampler.cancel()
    return result


def plans(tree: Tree, machines: int, install_every: int) -> list[list[Step]]:
    """Machine i boots with LOADERS[i % 3]; every `install_every`-th one also fetches
    install.img (0: none)."""
    return [
        machine_steps(
            tree,
            index,
            LOADERS[index % len(LOADERS)],
            bool(install_every) and index % install_every == 0,
        )
        for index in range(machines)
    ]


def run_storm(base_url: str, tree: Tree, machines: int, install_every: int) -> StormResult:
    """`machines` machines booting at once from the tree at `base_url` (ending in '/')."""
    return asyncio.run(_storm(base_url, plans(tree, machines, install_every), tree))


def run_sequential(base_url: str, tree: Tree, steps: list[Step]) -> StormResult:
    """The `steps`, one after the other on one connection (for per-request counts)."""
    return asyncio.run(_storm(base_url, [steps], tree))
