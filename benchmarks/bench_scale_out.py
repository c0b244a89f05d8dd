"""Boot storm, scaled out: the storm of bench_storm against two content apps and two workers
behind nginx (round robin, an upstream of both), on a stack whose default storage is S3.

The stack is a new one (`S3Stack`: its own database and ports), stored in an S3 server of its
own process: SeaweedFS (`seaweedfs.py`, a compiled server that streams objects from disk) by
default, or with `--object-store moto` the tests' moto (Python, which reads each object whole
into memory per GET, hence the storm's modest sizes; the store's peak memory is reported).
One more pulpcore-content and pulpcore-worker run on the stack's settings (`ScaledOut`). The
x86_64 tree is synced into it from the benchmark's mirror and distributed at the same base
path as in the storm step, so that step's static copy (its configs replaced by the new
stack's, which name the balancer), served by nginx, is the baseline again, with the same
client. Plain files are answered by a redirect to the bucket, so their bytes come from the
S3 server. Probes and configs show what the second content app adds.

First, on the same stack, boot servers following a tag through the balancer (bench_poll's
`side_by_side`: the poll, and the blob pull whose redirects lead to the S3 server), against
docker-registry holding a copy of the same small artifact. nginx passes the registry's reads
(`/v2/`, GET and HEAD) to the content apps, as a site would route them. For reference: one
content app asked directly (the hop's cost), and docker-registry storing in the same S3
server, whose blobs are redirects there too (the S3 server's part of the blob pull).
"""

from pathlib import Path

from benchmarks import bench_poll, bench_storm
from benchmarks.context import Context
from benchmarks.procmem import TreeSampler
from benchmarks.pulp import BenchPulp
from benchmarks.report import Figure
from benchmarks.seaweedfs import SeaweedStore
from benchmarks.servers import DockerRegistry, Nginx
from pulp_bootfiles.tests.functional.second_stack.object_store import (
    CREDENTIALS,
    REGION,
    ObjectStore,
)
from pulp_bootfiles.tests.functional.second_stack.scale_out import S3Stack, ScaledOut

LABEL = ", scaled out (2 apps, S3)"
REGISTRY_PATHS = ("/v2/", "/extensions/v2/")
S3_STORAGE = """\
  s3:
    accesskey: {key}
    secretkey: {secret}
    region: {region}
    regionendpoint: {endpoint}
    bucket: {bucket}
    secure: false
    v4auth: true
  redirect:
    disable: false
"""


def _synced(ctx: Context, stack: S3Stack, boot_origin: str, arch: str) -> tuple[dict, float]:
    """The tree synced into the stack and distributed as in the storm step; the sync's time."""
    pulp = BenchPulp(stack.api)
    repository = pulp.repository("scaled")
    times = pulp.sync(repository, pulp.remote("scaled", ctx.tree_url(arch)))
    distribution = pulp.distribution("storm", repository)
    update = {"boot_origin": boot_origin}  # machines reach Pulp through the balancer
    task = pulp.api.request("PATCH", distribution["pulp_href"], json=update, expect=202)
    pulp.wait(task.json()["task"])
    return distribution, times.run


class S3DockerRegistry(DockerRegistry):
    """docker-registry storing in `store` (a bucket of its own): blobs by redirect to the S3
    server, as Pulp's are here."""

    BUCKET = "bench-docker-registry"

    def __init__(self, directory: Path, store: ObjectStore):
        super().__init__(directory)
        self.store = store

    def storage(self) -> str:
        return S3_STORAGE.format(
            endpoint=self.store.endpoint,
            bucket=self.BUCKET,
            region=REGION,
            key=CREDENTIALS["aws_access_key_id"],
            secret=CREDENTIALS["aws_secret_access_key"],
        )

    def command(self):
        self.store.create_bucket(self.BUCKET)
        # The S3 server is plain HTTP; the Go SDK refuses to start with a CA bundle it cannot load
        # into the driver's transport.
        return ["env", "-u", "AWS_CA_BUNDLE", *super().command()]


def _poll(
    ctx: Context, stack: S3Stack, scaled: ScaledOut, store: ObjectStore, rounds: int
) -> list[Figure]:
    """bench_poll's comparison through the balancer, on the small artifact synced into `stack`;
    for reference, one content app without nginx (what the hop costs) and docker-registry on
    the same S3 server (what its part of the blob pull costs)."""
    name, tag = bench_poll.small_artifact(ctx, BenchPulp(stack.api))
    before = scaled.answers_by_upstream(REGISTRY_PATHS)
    with S3DockerRegistry(ctx.scratch / "registry-s3", store) as on_s3:
        served = {
            "balancer": bench_poll.Served(
                scaled.url,
                f"Pulp, 2 content apps behind nginx (blobs: 302 to {store.NAME})",
                target=True,
            ),
            "one-app": bench_poll.Served(
                scaled.contents[0], "one of the content apps directly (no nginx), for reference"
            ),
            "registry-s3": bench_poll.Served(
                on_s3.url,
                f"docker-registry on {store.NAME} too (blobs: 302 to it), for reference",
                copy=True,
            ),
        }
        figures = bench_poll.side_by_side(ctx, stack.api, name, tag, served, rounds, where=LABEL)
    upstreams = scaled.answers_by_upstream(REGISTRY_PATHS) - before
    ctx.notes.append(
        f"Poll{LABEL}: nginx passed "
        + ", ".join(
            f"{count} registry requests to {app}" for app, count in sorted(upstreams.items())
        )
        + f"; the blobs' bytes come from {store.NAME}, docker-registry sends its own from the "
        "filesystem."
    )
    return figures


def object_store(kind: str, bucket: str) -> ObjectStore:
    """The S3 server, in a process of its own: "seaweedfs" or "moto"."""
    if kind == "seaweedfs":
        return SeaweedStore(bucket=bucket)
    if kind == "moto":
        return ObjectStore(bucket=bucket, process=True)
    raise ValueError(f"unknown object store {kind!r}")


def scaled_storm(
    ctx: Context,
    sizes: tuple[int, ...],
    install_every: int,
    kind="seaweedfs",
    arch="x86_64",
    poll_rounds=3,
):
    storm = ctx.state.get("storm")
    store = object_store(kind, "bench-scaled")
    store.start()
    stack = S3Stack(store)
    figures = []
    try:
        stack.start()
        with ScaledOut(stack) as scaled, TreeSampler(store.process.pid, 1.0) as store_memory:
            figures += _poll(ctx, stack, scaled, store, poll_rounds)
            if storm is None:
                ctx.notes.append(
                    f"Boot storm{LABEL}: not measured, it reuses the storm step's static copy "
                    "(the storm step was skipped)."
                )
                return figures
            distribution, sync_time = _synced(ctx, stack, scaled.url, arch)
            expected = f"{distribution['base_path']}/{ctx.trees[arch]['release']}/{arch}/"
            if expected != storm["relative"]:
                raise RuntimeError(f"served at {expected}, the static copy at {storm['relative']}")
            served = f"{scaled.url}/pulp/content/{storm['relative']}"
            # Its configs name the balancer: nginx's copy now serves those.
            static_tree = storm["static_root"] / "pulp/content" / storm["relative"]
            tree = bench_storm.save_configs(served, static_tree, storm["tree"])
            with Nginx(ctx.scratch / "scaled-nginx", storm["static_root"]) as nginx:
                static = f"{nginx.url}/pulp/content/{storm['relative']}"
                figures += bench_storm.storm_rounds(
                    ctx, served, static, tree, sizes, install_every, LABEL
                )
            upstreams = scaled.answers_by_upstream(("/pulp/content/",))
        figures.append(
            Figure(
                f"Boot storm{LABEL}: {store.NAME}'s peak RSS",
                f"{store_memory.peak_rss_kb / 1024:,.0f} MB",
                "-",
                "-",
                "-",
                None,
            )
        )
        ctx.notes.append(
            f"Boot storm{LABEL}: a new stack with S3 ({store.NAME}) as default storage, its "
            f"sync of {arch} took {sync_time:.1f} s; nginx passed "
            + ", ".join(f"{count} requests to {app}" for app, count in sorted(upstreams.items()))
            + f"; plain files are redirects to {store.NAME}, which sends their bytes."
        )
    finally:
        stack.stop()
        store.stop()
    return figures
