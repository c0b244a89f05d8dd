"""Boot servers following a tag: N processes at once (each a boot server running `pulp
bootfiles pull` on a timer), against Pulp's registry and against docker-registry serving an
identical copy, in the same run.

- poll: each process asks for the tag's manifest, then for the same manifest by its digest, for
  a number of rounds: what a timer that finds nothing changed costs the registry;
- blobs: each process fetches every layer blob of the manifest once (following the redirect,
  as `pull` does), checking each by sha256: what they all do at once after a release.

Every process keeps one HTTP session (keep-alive, as requests and oras-py do), starts after all
of them are ready, and reports its own time; a round's figure is the wall time from the first
start to the last finish. Errors (any status but 200, a digest that does not match) are counted,
not raised, so a round always reports.
"""

import hashlib
import multiprocessing
import time
from dataclasses import dataclass

import requests

MANIFEST_ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@dataclass
class Round:
    requests: int
    errors: int
    bytes: int
    wall: float

    @property
    def rate(self) -> float:
        return self.requests / self.wall if self.wall else 0.0


def _poll(session, base: str, repository: str, tag: str, rounds: int) -> tuple[int, int, int]:
    done = errors = size = 0
    for _ in range(rounds):
        response = session.get(
            f"{base}/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT}
        )
        done += 1
        digest = response.headers.get("Docker-Content-Digest", "")
        if (
            response.status_code != 200
            or "sha256:" + hashlib.sha256(response.content).hexdigest() != digest
        ):
            errors += 1
            continue
        size += len(response.content)
        again = session.get(
            f"{base}/v2/{repository}/manifests/{digest}", headers={"Accept": MANIFEST_ACCEPT}
        )
        done += 1
        if again.status_code != 200 or again.content != response.content:
            errors += 1
        size += len(again.content)
    return done, errors, size


def _blobs(session, base: str, repository: str, digests: list[str]) -> tuple[int, int, int]:
    done = errors = size = 0
    for digest in digests:
        hasher = hashlib.sha256()
        with session.get(f"{base}/v2/{repository}/blobs/{digest}", stream=True) as response:
            done += 1  # one blob, however many redirects it took
            if response.status_code != 200:
                errors += 1
                continue
            for chunk in response.iter_content(1 << 20):
                hasher.update(chunk)
                size += len(chunk)
        if "sha256:" + hasher.hexdigest() != digest:
            errors += 1
    return done, errors, size


def _client(args):
    kind, base, repository, what, rounds, barrier = args
    session = requests.Session()
    barrier.wait()
    start = time.monotonic()
    if kind == "poll":
        result = _poll(session, base, repository, what, rounds)
    else:
        result = _blobs(session, base, repository, what)
    return start, time.monotonic(), result


def run_round(kind, base, repository, what, clients, rounds=10) -> Round:
    """One round of `clients` processes; `what` is the tag (poll) or the blob digests."""
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(clients)
        with multiprocessing.Pool(clients) as pool:
            jobs = [(kind, base, repository, what, rounds, barrier)] * clients
            results = pool.map(_client, jobs)
    starts, ends, counts = zip(*results, strict=True)
    return Round(
        requests=sum(c[0] for c in counts),
        errors=sum(c[1] for c in counts),
        bytes=sum(c[2] for c in counts),
        wall=max(ends) - min(starts),
    )


if __name__ == "__main__":  # a quick look by hand: poll_load.py BASE REPOSITORY TAG [CLIENTS]
    import sys

    base, repository, tag = sys.argv[1:4]
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    manifest = requests.get(
        f"{base}/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT}
    ).json()
    print("poll", run_round("poll", base, repository, tag, clients))
    digests = [layer["digest"] for layer in manifest.get("layers", [])]
    print("blobs", run_round("blobs", base, repository, digests, clients))
