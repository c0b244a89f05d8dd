"""Pull throughput: Pulp's registry against Debian's docker-registry serving an identical copy.

The x86_64 netboot artifact (`<release>-amd64`, every image and bootloader: ~1.8 GB in --full)
is served by a bootfiles distribution; `skopeo copy --preserve-digests` puts the same manifest
and blobs into a docker-registry (distribution 2.8) on loopback. The same clients then pull
from each, alternating, in the same run:

- oras-py (`OrasClient.pull`, writing the files to disk, as `oras pull` does);
- curl of every blob (`-L`: Pulp's registry answers a blob GET with a redirect to the content
  app, which serves the bytes), written to /dev/null.

Throughput is bytes over wall time; the best of the rounds is reported per server and client.
"""

import shutil
import subprocess
import time

import requests
from oras.client import OrasClient

from benchmarks.context import Context
from benchmarks.pull_load import pull_load
from benchmarks.report import Figure, megabytes, rate, ratio, seconds
from benchmarks.servers import DockerRegistry, copy_preserving_digests

RATIO_TARGET = 0.8
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _manifest(host: str, repository: str, tag: str) -> tuple[str, dict]:
    response = requests.get(
        f"http://{host}/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST}, timeout=60
    )
    response.raise_for_status()
    return response.headers.get("Docker-Content-Digest", ""), response.json()


def curl_blobs(host: str, repository: str, manifest: dict) -> tuple[int, float]:
    """Every layer blob, in one curl (one connection per host), to /dev/null."""
    command = ["curl", "-sSfL", "-w", "%{size_download}\\n"]
    for layer in manifest["layers"]:
        command += ["-o", "/dev/null", f"http://{host}/v2/{repository}/blobs/{layer['digest']}"]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    elapsed = time.monotonic() - start
    return sum(int(line) for line in result.stdout.split()), elapsed


def oras_pull(host: str, reference: str, outdir) -> tuple[int, float]:
    """`oras pull` with oras-py into `outdir` (removed afterwards)."""
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    start = time.monotonic()
    paths = OrasClient(hostname=host, insecure=True).pull(target=reference, outdir=str(outdir))
    elapsed = time.monotonic() - start
    size = sum(outdir.joinpath(path).stat().st_size for path in paths)
    shutil.rmtree(outdir)
    return size, elapsed


def pull(ctx: Context, arch: str = "x86_64", rounds: int = 2, clients: int = 20) -> list[Figure]:
    distribution = ctx.pulp.distribution("pull", ctx.state["repository"])
    repository = distribution["base_path"]
    tag = f"{ctx.trees[arch]['release']}-{'amd64' if arch == 'x86_64' else 'arm64'}"
    pulp_host = ctx.api_url.split("://", 1)[1]
    with DockerRegistry(ctx.scratch / "registry") as registry:
        start = time.monotonic()
        copy_preserving_digests(pulp_host, registry.host, repository, tag)
        copy_time = time.monotonic() - start
        servers = {"Pulp": pulp_host, "registry": registry.host}
        manifests = {name: _manifest(host, repository, tag) for name, host in servers.items()}
        if manifests["Pulp"][0] != manifests["registry"][0]:
            ctx.notes.append(f"Pull: the two manifests differ: {manifests}")
        manifest = manifests["Pulp"][1]
        results = {(name, client): [] for name in servers for client in ("oras", "curl")}
        for round_ in range(rounds):
            for name in list(servers)[:: 1 if round_ % 2 == 0 else -1]:
                host = servers[name]
                results[name, "curl"].append(curl_blobs(host, repository, manifest))
                reference = f"{host}/{repository}:{tag}"
                results[name, "oras"].append(oras_pull(host, reference, ctx.scratch / "pulled"))
        layer_bytes = sum(layer["size"] for layer in manifest["layers"])
        load = pull_load(
            servers, repository, tag, ctx.scratch / "load", clients, layer_bytes, ctx.notes
        )
    best = {key: max(runs, key=lambda run: run[0] / run[1]) for key, runs in results.items()}
    for (name, client), (size, _elapsed) in best.items():
        if size != layer_bytes:
            ctx.notes.append(f"Pull: {client} from {name} got {size:,} B, expected {layer_bytes:,}")
    ctx.notes.append(
        "Pull rounds (MB/s): "
        + "; ".join(
            f"{client} from {name}: " + ", ".join(rate(s, t) for s, t in runs)
            for (name, client), runs in results.items()
        )
    )
    figures = []
    for client, label in (("oras", "oras-py pull"), ("curl", "curl of the blobs, -L")):
        pulp_size, pulp_time = best["Pulp", client]
        reg_size, reg_time = best["registry", client]
        pulp_rate, reg_rate = pulp_size / pulp_time, reg_size / reg_time
        figures.append(
            Figure(
                f"Pull {tag} ({megabytes(layer_bytes)}), {label}",
                f"{rate(pulp_size, pulp_time)} ({seconds(pulp_time)})",
                f"{rate(reg_size, reg_time)} ({seconds(reg_time)}, docker-registry)",
                ratio(pulp_rate, reg_rate),
                f">= {RATIO_TARGET:.1f}x",
                pulp_rate >= RATIO_TARGET * reg_rate,
            )
        )
    ctx.notes.append(
        f"Pull: the skopeo copy into docker-registry took {copy_time:.1f} s (not a figure: "
        "skopeo first tries HTTPS on Pulp's plain-HTTP port, which can wait 10 s for a TLS "
        "handshake timeout)."
    )
    return figures + load
