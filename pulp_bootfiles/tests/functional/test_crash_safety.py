"""
The worker killed (SIGKILL, with the task process it runs) in the middle of a sync, or of a
distribution update: once a new worker runs, the task shows failed, no half-built repository
version exists, the registry and the content app serve what they served before, and the next
sync or update succeeds and is served. (Bootfiles distribution updates run in the worker, not
in the API process: see BootfilesDistributionViewSet.)

The kill point is made exact: a download the fixture server holds, or a database lock the test
holds that the task's next write waits for. `dev/stack.sh crash-worker` kills and restarts the
worker of the stack the suite runs against; it is back up when the call returns.
"""

import hashlib
import subprocess
from pathlib import Path

import pytest
import requests

from pulp_bootfiles.tests.functional import pulp_db
from pulp_bootfiles.tests.functional.fixture_server import Fault
from pulp_bootfiles.tests.functional.pulp_api import CONTENT, TaskFailed
from pulp_bootfiles.tests.functional.test_serve import registry_get

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
KERNEL = "images/pxeboot/vmlinuz"
GONE = "Worker has gone missing."


@pytest.fixture
def crash_worker():
    def crash():
        result = subprocess.run(
            [ROOT / "dev" / "stack.sh", "crash-worker"], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr

    return crash


@pytest.fixture
def database():
    with pulp_db.connect() as connection:
        yield connection


def latest(pulp, repository):
    return pulp.get(repository["pulp_href"])["latest_version_href"]


def served(distribution):
    """(manifest digest of 40-amd64 on the registry, sha256 of the kernel on the content app)."""
    base_path = distribution["base_path"]
    manifest = registry_get(base_path, "40-amd64")
    assert manifest.status_code == 200, manifest.text
    kernel = requests.get(f"{CONTENT}/pulp/content/{base_path}/40/x86_64/{KERNEL}", timeout=30)
    assert kernel.status_code == 200
    return manifest.headers["Docker-Content-Digest"], hashlib.sha256(kernel.content).hexdigest()


def dispatch_sync(pulp, repository, remote):
    body = {"remote": remote["pulp_href"]}
    return pulp.post(repository["pulp_href"] + "sync/", body, expect=202).json()["task"]


def dispatch_update(pulp, distribution, fields):
    response = pulp.request("PATCH", distribution["pulp_href"], json=fields, expect=202)
    return response.json()["task"]


def update(pulp, distribution, fields):
    pulp.wait(dispatch_update(pulp, distribution, fields))


def failed_as_abandoned(pulp, task_href):
    with pytest.raises(TaskFailed) as failure:
        pulp.wait(task_href, timeout=60)
    task = failure.value.task
    assert (task["state"], task["error"]) == ("failed", {"reason": GONE}), task
    return task


@pytest.fixture
def distributed(pulp, tree_factory, remote_factory, repository_factory, sync, distribution_factory):
    """A repository with one synced tree, distributed; what it serves."""
    tree, url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(url))
    distribution = distribution_factory(repository=repository["pulp_href"])
    before = served(distribution)
    assert before[1] == tree.images[KERNEL]
    return repository, distribution, before


def assert_nothing_half_built(pulp, database, repository, version, distribution, before):
    assert latest(pulp, repository) == version
    assert pulp_db.incomplete_versions(database, repository["pulp_href"]) == []
    assert served(distribution) == before


def test_worker_killed_while_a_sync_downloads(
    pulp, tree_factory, remote_factory, sync, faults, crash_worker, database, distributed
):
    repository, distribution, before = distributed
    version = latest(pulp, repository)
    new, url = tree_factory()
    held = faults(Fault("hold", rf"^/{new.root.name}/images/install\.img$", seconds=120))
    remote = remote_factory(url)
    task = dispatch_sync(pulp, repository, remote)
    assert held.reached.wait(60), "the sync never asked for install.img"

    crash_worker()
    failed_as_abandoned(pulp, task)
    assert_nothing_half_built(pulp, database, repository, version, distribution, before)

    held.release.set()
    sync(repository, remote)
    assert served(distribution)[1] == new.images[KERNEL]


def test_worker_killed_while_the_version_is_finalized(
    pulp, tree_factory, remote_factory, sync, crash_worker, database, distributed
):
    """Killed after the content is saved, while the new version gets its OCI tags."""
    repository, distribution, before = distributed
    version = latest(pulp, repository)
    new, url = tree_factory()
    remote = remote_factory(url)
    with database.transaction():
        # Reads go on; the task's first new Tag waits for this lock, inside finalize.
        database.execute("LOCK TABLE container_tag IN SHARE MODE")
        task = dispatch_sync(pulp, repository, remote)
        pulp_db.wait_for_lock_waiter(database)
        crash_worker()
    failed_as_abandoned(pulp, task)
    assert_nothing_half_built(pulp, database, repository, version, distribution, before)

    sync(repository, remote)
    assert served(distribution)[1] == new.images[KERNEL]


def test_worker_killed_while_a_distribution_is_updated(
    pulp,
    tree_factory,
    remote_factory,
    repository_factory,
    sync,
    crash_worker,
    database,
    distributed,
):
    """Killed while the update waits to write the distribution: it keeps serving the old one."""
    _repository, distribution, before = distributed
    new, url = tree_factory()
    other = repository_factory()
    sync(other, remote_factory(url))
    with database.transaction():
        # The update's write of the distribution row waits for this lock.
        database.execute(
            "SELECT 1 FROM core_distribution WHERE pulp_id = %s FOR UPDATE",
            [pulp_db.pk_of(distribution["pulp_href"])],
        )
        task = dispatch_update(pulp, distribution, {"repository": other["pulp_href"]})
        pulp_db.wait_for_lock_waiter(database)
        crash_worker()
    failed_as_abandoned(pulp, task)
    assert pulp.get(distribution["pulp_href"])["repository"] == distribution["repository"]
    assert served(distribution) == before

    update(pulp, distribution, {"repository": other["pulp_href"]})
    assert served(distribution)[1] == new.images[KERNEL]
