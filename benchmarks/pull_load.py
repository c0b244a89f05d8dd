"""Concurrent pulls: N oras-py clients pulling the same artifact at once from Pulp's registry
and from docker-registry serving an identical copy (set up by `bench_pull.pull`).

Each client is a process of its own (oras-py is CPU-bound in one thread), pulling into a
directory of its own, as N machines or CI jobs would. The aggregate is all bytes over the
wall time of the whole round: one round against Pulp, then one against docker-registry.
"""

import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks.report import Figure, megabytes, rate, ratio, seconds

RATIO_TARGET = 0.8


def _pull(args):
    from benchmarks.bench_pull import oras_pull  # in the child process

    host, reference, outdir = args
    return oras_pull(host, reference, Path(outdir))


def concurrent_pulls(host: str, reference: str, scratch: Path, clients: int) -> tuple[int, float]:
    """(bytes pulled by all clients, wall time of the round)."""
    jobs = [(host, reference, str(scratch / f"client-{i}")) for i in range(clients)]
    with ProcessPoolExecutor(max_workers=clients) as pool:
        start = time.monotonic()
        results = list(pool.map(_pull, jobs))
        elapsed = time.monotonic() - start
    return sum(size for size, _ in results), elapsed


def pull_load(
    servers: dict,
    repository: str,
    tag: str,
    scratch: Path,
    clients: int,
    layer_bytes: int,
    notes: list,
) -> list[Figure]:
    """The round against each server ({"Pulp": host, "registry": host}), Pulp first."""
    results = {}
    for name, host in servers.items():
        results[name] = concurrent_pulls(host, f"{host}/{repository}:{tag}", scratch, clients)
    expected = clients * layer_bytes
    for name, (size, _elapsed) in results.items():
        if size != expected:
            notes.append(f"Concurrent pulls from {name}: {size:,} B, expected {expected:,}")
    (pulp_size, pulp_time), (reg_size, reg_time) = results["Pulp"], results["registry"]
    pulp_rate, reg_rate = pulp_size / pulp_time, reg_size / reg_time
    return [
        Figure(
            f"{clients} concurrent oras-py pulls of {tag} ({megabytes(layer_bytes)} each)",
            f"{rate(pulp_size, pulp_time)} ({seconds(pulp_time)})",
            f"{rate(reg_size, reg_time)} ({seconds(reg_time)}, docker-registry)",
            ratio(pulp_rate, reg_rate),
            f">= {RATIO_TARGET:.1f}x",
            pulp_rate >= RATIO_TARGET * reg_rate and pulp_size == reg_size == expected,
        )
    ]
