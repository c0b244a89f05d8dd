"""The benchmark's side of the Pulp REST API: its objects (all named `bench-*`), syncs with their
timings, and a reset to a cold Pulp (objects deleted, orphans cleaned up at once)."""

import datetime
import time
from dataclasses import dataclass

from pulp_bootfiles.tests.functional.pulp_api import PulpAPI

V3 = "/pulp/api/v3/"
REMOTES = V3 + "remotes/bootfiles/bootfiles/"
REPOSITORIES = V3 + "repositories/bootfiles/bootfiles/"
DISTRIBUTIONS = V3 + "distributions/bootfiles/bootfiles/"
PREFIX = "bench-"


def _time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class TaskTimes:
    """A finished task and its timings, from its own timestamps and as the client saw it."""

    task: dict
    wall: float  # POST -> state seen completed by this client (polls every 0.25 s)

    @property
    def run(self) -> float:
        """started_at -> finished_at: the task's own running time."""
        return (_time(self.task["finished_at"]) - _time(self.task["started_at"])).total_seconds()

    @property
    def dispatched_to_finished(self) -> float:
        """pulp_created (dispatch) -> finished_at, waiting for a worker included."""
        return (_time(self.task["finished_at"]) - _time(self.task["pulp_created"])).total_seconds()


class BenchPulp:
    """The stack at `api_url`, as admin."""

    def __init__(self, api_url: str):
        self.api = PulpAPI(base=api_url)

    def wait(self, task_href: str, timeout: float = 1800) -> dict:
        """Poll every 0.25 s (lightly: the API shares the CPUs with the worker)."""
        return self.api.wait(task_href, timeout=timeout, poll=0.25)

    def _dispatch(self, href: str, body: dict) -> TaskTimes:
        start = time.monotonic()
        response = self.api.post(href, body, expect=202)
        task = self.wait(response.json()["task"])
        return TaskTimes(task, time.monotonic() - start)

    def reset(self) -> None:
        """Delete every bench-* distribution, repository and remote, then every orphan (with no
        protection time), so the next sync finds no Artifact to reuse."""
        for endpoint in (DISTRIBUTIONS, REPOSITORIES, REMOTES):
            for obj in self.api.list(endpoint, name__startswith=PREFIX):
                response = self.api.delete(obj["pulp_href"])
                if response.status_code == 202:
                    self.wait(response.json()["task"])
        self._dispatch(V3 + "orphans/cleanup/", {"orphan_protection_time": 0})

    def remote(self, name: str, url: str, **fields) -> dict:
        body = {"name": PREFIX + name, "url": url, **fields}
        return self.api.post(REMOTES, body, expect=201).json()

    def repository(self, name: str) -> dict:
        return self.api.post(REPOSITORIES, {"name": PREFIX + name}, expect=201).json()

    def sync(self, repository: dict, remote: dict) -> TaskTimes:
        return self._dispatch(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})

    def distribution(self, name: str, repository: dict) -> dict:
        body = {
            "name": PREFIX + name,
            "base_path": PREFIX + name,
            "repository": repository["pulp_href"],
        }
        times = self._dispatch(DISTRIBUTIONS, body)
        return self.api.get(times.task["created_resources"][0])

    def latest_version(self, repository: dict) -> str:
        return self.api.get(repository["pulp_href"])["latest_version_href"]
