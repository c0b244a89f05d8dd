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
round is reported.
"""

import subprocess

import requests

from benchmarks.context import Context
from benchmarks.poll_load import MANIFEST_ACCEPT, run_round
from benchmarks.realistic_tree import PROFILES, ensure_tree
from benchmarks.report import Figure, ratio, seconds
from benchmarks.servers import DockerRegistry, Nginx

RATIO_TARGET = 0.8
CLIENTS = 20
POLLS = 10  # per boot server and round: manifest by tag, then by digest
ARCH = "x86_64"
TAG_ARCH = "amd64"


def _small_artifact(ctx: Context) -> tuple[str, str]:
    """(base path, tag) of the small artifact, synced and distributed for this step."""
    root = ctx.trees_root.parent.parent / "smoke" / "trees"
    tree = ensure_tree(root / ARCH, PROFILES["smoke"], ARCH)
    with Nginx(ctx.scratch / "nginx-poll", root) as nginx:
        repository = ctx.pulp.repository("poll")
        ctx.pulp.sync(repository, ctx.pulp.remote("poll", f"{nginx.url}/{ARCH}/"))
    distribution = ctx.pulp.distribution("poll", repository)
    return distribution["base_path"], f"{tree['release']}-{TAG_ARCH}"


def _layers(origin: str, name: str, tag: str) -> tuple[str, list[str]]:
    response = requests.get(
        f"{origin}/v2/{name}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT}, timeout=60
    )
    response.raise_for_status()
    layers = [layer["digest"] for layer in response.json()["layers"]]
    return response.headers["Docker-Content-Digest"], layers


def poll(ctx: Context, rounds: int) -> list[Figure]:
    name, tag = _small_artifact(ctx)
    api_host = ctx.api_url.split("://", 1)[1]
    with DockerRegistry(ctx.scratch / "registry-poll") as registry:
        subprocess.run(
            [
                "skopeo",
                "copy",
                "--quiet",
                "--preserve-digests",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                f"docker://{api_host}/{name}:{tag}",
                f"docker://{registry.host}/{name}:{tag}",
            ],
            check=True,
        )
        servers = {
            "content": ctx.content_url,
            "registry": f"http://{registry.host}",
            "api": ctx.api_url,
        }
        answers = {key: _layers(origin, name, tag) for key, origin in servers.items()}
        if len({digest for digest, _ in answers.values()}) != 1:
            ctx.notes.append(f"Poll: the servers' manifests differ: {answers}")
        layers = answers["registry"][1]
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
        "Poll rounds (wall s, requests, errors): "
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
        for figure in _figures(results, kind, label)
    ]


def _median(runs):
    return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


def _figures(results, kind, label) -> list[Figure]:
    content, registry, api = (_median(results[key, kind]) for key in ("content", "registry", "api"))
    errors = sum(r.errors for key in ("content", "registry") for r in results[key, kind])
    unit = "req/s" if kind == "poll" else "blobs/s"
    baseline = f"{registry.rate:,.0f} {unit} ({seconds(registry.wall)}, docker-registry)"
    return [
        Figure(
            f"{label}, Pulp content app",
            f"{content.rate:,.0f} {unit} ({seconds(content.wall)}, {content.errors} errors)",
            baseline,
            ratio(content.rate, registry.rate),
            f">= {RATIO_TARGET:.1f}x, 0 errors",
            content.rate >= RATIO_TARGET * registry.rate and errors == 0,
        ),
        Figure(
            f"{label}, pulp_container's registry (API), for reference",
            f"{api.rate:,.0f} {unit} ({seconds(api.wall)}, {api.errors} errors)",
            baseline,
            ratio(api.rate, registry.rate),
        ),
    ]
