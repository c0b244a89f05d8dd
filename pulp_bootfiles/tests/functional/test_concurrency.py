"""
Tasks racing each other with two workers: two syncs of one repository take turns (the sync
holds the repository as an exclusive resource), and a distribution updated while a sync runs
serves a complete version before and after, never a half-built one.
"""

import os
import signal
import subprocess
import time

import pytest

from pulp_bootfiles.tests.functional.fixture_server import Fault
from pulp_bootfiles.tests.functional.test_crash_safety import (
    KERNEL,
    dispatch_sync,
    served,
    update,
)
from pulp_bootfiles.tests.functional.test_sync import expected_paths
from pulp_bootfiles.tests.functional.worker_watch import dev_dir

pytestmark = pytest.mark.slow
TAGS = "/pulp/api/v3/content/container/tags/"


def online_workers(pulp):
    return len(pulp.get("/pulp/api/v3/status/")["online_workers"])


@pytest.fixture
def second_worker(pulp):
    """One more pulpcore-worker on the stack, so two tasks could run at once."""
    workers = online_workers(pulp)
    log = open(dev_dir() / "log" / "second-worker.log", "ab")
    process = subprocess.Popen(
        ["pulpcore-worker"], cwd=dev_dir(), stdout=log, stderr=log, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while online_workers(pulp) <= workers:
            assert process.poll() is None, "the second worker exited; see its log"
            assert time.monotonic() < deadline, "the second worker did not come online"
            time.sleep(0.5)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # graceful: it removes its status record
        process.wait(60)
        log.close()


def hold_install_img(faults, tree):
    return faults(Fault("hold", rf"^/{tree.root.name}/images/install\.img$", seconds=120))


def assert_version_is(pulp, synced_files, version, tree):
    """The version holds exactly `tree`: its files, and one tag per OCI reference."""
    files = synced_files(version)
    assert {path: f["sha256"] for path, f in files.items()} == expected_paths(tree)
    names = [tag["name"] for tag in pulp.list(TAGS, repository_version=version)]
    assert names and len(names) == len(set(names)), names


def test_two_syncs_of_one_repository_take_turns(
    pulp, tree_factory, remote_factory, repository_factory, synced_files, faults, second_worker
):
    first, first_url = tree_factory()
    second, second_url = tree_factory()
    repository = repository_factory()
    held = hold_install_img(faults, first)
    first_task = dispatch_sync(pulp, repository, remote_factory(first_url))
    assert held.reached.wait(60), "the first sync never asked for install.img"
    second_task = dispatch_sync(pulp, repository, remote_factory(second_url))

    time.sleep(3)  # a worker is idle: only the repository's lock can keep the task waiting
    waiting = pulp.get(second_task)
    assert (waiting["state"], waiting["unblocked_at"]) == ("waiting", None), waiting
    held.release.set()
    first_done, second_done = pulp.wait(first_task), pulp.wait(second_task)

    assert first_done["finished_at"] <= second_done["started_at"]
    (first_version,) = first_done["created_resources"]
    (second_version,) = second_done["created_resources"]
    assert_version_is(pulp, synced_files, first_version, first)
    assert_version_is(pulp, synced_files, second_version, second)
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == second_version


def test_distribution_updated_while_a_sync_runs(
    pulp,
    tree_factory,
    remote_factory,
    repository_factory,
    sync,
    distribution_factory,
    faults,
    second_worker,
):
    old, old_url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(old_url))
    distribution = distribution_factory(
        repository_version=pulp.get(repository["pulp_href"])["latest_version_href"]
    )
    before = served(distribution)
    new, new_url = tree_factory()
    held = hold_install_img(faults, new)
    sync_task = dispatch_sync(pulp, repository, remote_factory(new_url))
    assert held.reached.wait(60), "the sync never asked for install.img"

    # The update does not wait for the sync; meanwhile the latest complete version is served.
    update(pulp, distribution, {"repository": repository["pulp_href"], "repository_version": None})
    assert pulp.get(sync_task)["state"] == "running"
    assert served(distribution) == before

    held.release.set()
    pulp.wait(sync_task)
    digest, kernel = served(distribution)
    assert kernel == new.images[KERNEL] and digest != before[0]
