"""Boot servers following a tag: 20 of them at once, against Pulp's registry and against
docker-registry serving an identical copy, in the same run (`poll_load.py`).

The artifact is small (`40-amd64` of the --smoke tree, in a repository of its own in every
mode): what a poll or a pull after a release costs per request, not per byte (full-size pulls
are `bench_pull.py`'s). `skopeo copy --preserve-digests` puts the same manifest and blobs into
docker-registry. Each round runs the poll (10 x manifest by tag, then by digest, per boot
server) and then the blob pull (every layer once, sha256 checked), against:

- Pulp's content app (`/v2/` there: the plugin's registry reads, `serving/registry.py`), the
  figure with the target;
- docker-registry, the baseline;
- pulp_container's registry beside the API, for reference (what a boot server pointed at the
  API gets).

Servers take turns within a round, the order alternating from round to round; the median
round is reported. `side_by_side` is also the scaled-out step's (bench_scale_out.py: the same
against two content apps behind nginx, on S3).
"""

import tempfile
from pathlib import Path
from typing import NamedTuple

import requests

from benchmarks.context import Context
from benchmarks.poll_load import MANIFEST_ACCEPT, run_round
from benchmarks.pulp import BenchPulp
from benchmarks.realistic_tree import PROFILES, ensure_tree
from benchmarks.report import Figure, ratio, seconds
from benchmarks.servers import DockerRegistry, Nginx, copy_preserving_digests

RATIO_TARGET = 0.8
CLIENTS = 20
POLLS = 10  # per boot server and round: manifest by tag, then by digest
ARCH = "x86_64"
TAG_ARCH = "amd64"
BASELINE = "registry"  # docker-registry's key among the servers


class Served(NamedTuple):
    """A registry in the comparison besides docker-registry: its origin, how the report names
    it, whether the target applies to it (else it is shown for reference), and whether the
    artifact must be copied into it first (another registry, not one of Pulp's)."""

    origin: str
    label: str
    target: bool = False
    copy: bool = False


def small_artifact(ctx: Context, pulp: BenchPulp) -> tuple[str, str]:
    """(base path, tag) of the small artifact, synced into `pulp` and distributed."""
    root = ctx.trees_root.parent.parent / "smoke" / "trees"
    tree = ensure_tree(root / ARCH, PROFILES["smoke"], ARCH)
    with Nginx(Path(tempfile.mkdtemp(prefix="nginx-poll-", dir=ctx.scratch)), root) as nginx:
        repository = pulp.repository("poll")
        pulp.sync(repository, pulp.remote("poll", f"{nginx.url}/{ARCH}/"))
    distribution = pulp.distribution("poll", repository)
    return distribution["base_path"], f"{tree['release']}-{TAG_ARCH}"


def _layers(origin: str, name: str, tag: str) -> tuple[str, list[str]]:
    response = requests.get(
        f"{origin}/v2/{name}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT}, timeout=60
    )
    response.raise_for_status()
    layers = [layer["digest"] for layer in response.json()["layers"]]
    return response.headers["Docker-Content-Digest"], layers


def poll(ctx: Context, rounds: int) -> list[Figure]:
    name, tag = small_artifact(ctx, ctx.pulp)
    served = {
        "content": Served(ctx.content_url, "Pulp content app", target=True),
        "api": Served(ctx.api_url, "pulp_container's registry (API), for reference"),
    }
    return side_by_side(ctx, ctx.api_url, name, tag, served, rounds)


def side_by_side(
    ctx: Context,
    source: str,
    name: str,
    tag: str,
    served: dict[str, Served],
    rounds: int,
    where: str = "",
) -> list[Figure]:
    """The poll and the blob pull against each of `served` and against docker-registry holding
    a copy of `name:tag` (skopeo, from the registry at `source`), `rounds` times; `where` ends
    every figure's and note's name."""
    source_host = source.split("://", 1)[1]
    directory = Path(tempfile.mkdtemp(prefix="registry-poll-", dir=ctx.scratch))
    with DockerRegistry(directory) as registry:
        copy_preserving_digests(source_host, registry.host, name, tag)
        for each in served.values():
            if each.copy:
                copy_preserving_digests(source_host, each.origin.split("://", 1)[1], name, tag)
        # Targets, docker-registry, then the references (the order the single-machine step
        # always had: content app, docker-registry, API).
        servers = {key: each.origin for key, each in served.items() if each.target}
        servers[BASELINE] = f"http://{registry.host}"
        servers |= {key: each.origin for key, each in served.items() if not each.target}
        answers = {key: _layers(origin, name, tag) for key, origin in servers.items()}
        if len({digest for digest, _ in answers.values()}) != 1:
            ctx.notes.append(f"Poll{where}: the servers' manifests differ: {answers}")
        layers = answers[BASELINE][1]
        results = {(key, kind): [] for key in servers for kind in ("poll", "blobs")}
        for round_ in range(rounds):
            order = list(servers)[:: 1 if round_ % 2 == 0 else -1]
            for key in order:
                results[key, "poll"].append(
                    run_round("poll", servers[key], name, tag, CLIENTS, rounds=POLLS)
                )
                results[key, "blobs"].append(
                    run_round("blobs", servers[key], name, layers, CLIENTS)
                )
    ctx.notes.append(
        f"Poll rounds{where} (wall s, requests, errors): "
        + "; ".join(
            f"{kind} {key}: "
            + ", ".join(f"{r.wall:.2f} ({r.requests}, {r.errors})" for r in results[key, kind])
            for key, kind in results
        )
    )
    return [
        figure
        for kind, label in (
            ("poll", f"{CLIENTS} boot servers polling {tag} ({POLLS}x by tag, then by digest)"),
            ("blobs", f"{CLIENTS} boot servers pulling the {len(layers)} blobs of {tag}"),
        )
        for figure in _figures(results, kind, label + where, served)
    ]


def _median(runs):
    return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


def _figures(results, kind, label, served: dict[str, Served]) -> list[Figure]:
    registry = _median(results[BASELINE, kind])
    unit = "req/s" if kind == "poll" else "blobs/s"
    baseline = f"{registry.rate:,.0f} {unit} ({seconds(registry.wall)}, docker-registry)"
    figures = []
    for key, each in served.items():
        run = _median(results[key, kind])
        value = f"{run.rate:,.0f} {unit} ({seconds(run.wall)}, {run.errors} errors)"
        if not each.target:
            figures.append(
                Figure(f"{label}, {each.label}", value, baseline, ratio(run.rate, registry.rate))
            )
            continue
        errors = sum(r.errors for name in (key, BASELINE) for r in results[name, kind])
        figures.append(
            Figure(
                f"{label}, {each.label}",
                value,
                baseline,
                ratio(run.rate, registry.rate),
                f">= {RATIO_TARGET:.1f}x, 0 errors",
                run.rate >= RATIO_TARGET * registry.rate and errors == 0,
            )
        )
    return figures
