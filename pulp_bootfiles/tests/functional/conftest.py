"""Fixtures for tests against the live stack started by dev/stack.sh."""

import uuid

import pytest

from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.fixture_server import FixtureServer
from pulp_bootfiles.tests.functional.pulp_api import PulpAPI
from pulp_bootfiles.tests.functional.users import user_factory  # noqa: F401 (a fixture)

REMOTES = "/pulp/api/v3/remotes/bootfiles/bootfiles/"
REPOSITORIES = "/pulp/api/v3/repositories/bootfiles/bootfiles/"
FILES = "/pulp/api/v3/content/bootfiles/files/"
TREES = "/pulp/api/v3/content/bootfiles/trees/"
OCI_REMOTES = "/pulp/api/v3/remotes/bootfiles/oci/"
DISTRIBUTIONS = "/pulp/api/v3/distributions/bootfiles/bootfiles/"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/functional/" in str(item.fspath):
            item.add_marker(pytest.mark.functional)


@pytest.fixture(scope="session")
def pulp():
    api = PulpAPI()
    try:
        status = api.get("/pulp/api/v3/status/")
    except Exception as exc:  # the suite must fail, not skip, when the stack is down
        pytest.fail(f"no Pulp API at {api.base} ({exc}); start it with dev/stack.sh start")
    assert any(v["component"] == "bootfiles" for v in status["versions"]), status["versions"]
    return api


@pytest.fixture(scope="session")
def fixture_server(tmp_path_factory):
    with FixtureServer(tmp_path_factory.mktemp("trees")) as server:
        yield server


@pytest.fixture(scope="session")
def mirror_server(fixture_server):
    """The fixture trees from another host (127.0.0.2), as a mirror a download host redirects to."""
    with FixtureServer(fixture_server.root, host="127.0.0.2") as server:
        yield server


@pytest.fixture
def faults(fixture_server):
    """`faults(Fault(...), ...)` makes the fixture server misbehave until the test ends."""
    yield fixture_server.inject
    fixture_server.clear_faults()


@pytest.fixture
def tree_factory(fixture_server):
    """
    Build a tree under the fixture server; returns (Tree, URL of the tree root).

    Each tree's images are unique (a random salt) unless a test passes its own `salt`, so
    content left by other tests never stands in for what a test expects to be downloaded.
    """

    def make(**kwargs):
        name = uuid.uuid4().hex[:12]
        kwargs.setdefault("salt", name)
        tree = build_tree(fixture_server.root / name, **kwargs)
        return tree, fixture_server.url(name) + "/"

    return make


@pytest.fixture
def created(pulp):
    """Create API objects with `created(endpoint, body)`; all are deleted after the test."""
    hrefs = []

    def create(endpoint, body):
        obj = pulp.post(endpoint, body, expect=201).json()
        hrefs.append(obj["pulp_href"])
        return obj

    yield create
    for href in reversed(hrefs):
        response = pulp.delete(href)
        if response.status_code == 202:
            pulp.wait(response.json()["task"])


@pytest.fixture
def remote_factory(created):
    def make(url, **fields):
        return created(REMOTES, {"name": f"remote-{uuid.uuid4()}", "url": url, **fields})

    return make


@pytest.fixture
def repository_factory(created):
    def make(**fields):
        return created(REPOSITORIES, {"name": f"repo-{uuid.uuid4()}", **fields})

    return make


@pytest.fixture
def distribution_factory(pulp):
    """Create distributions through their task; they are deleted (a task too) afterwards."""
    hrefs = []

    def make(**fields):
        body = {"name": f"dist-{uuid.uuid4()}", "base_path": f"netboot-{uuid.uuid4().hex[:8]}"}
        task = pulp.run(DISTRIBUTIONS, {**body, **fields})
        hrefs.append(task["created_resources"][0])
        return pulp.get(hrefs[-1])

    yield make
    for href in hrefs:
        response = pulp.delete(href)
        if response.status_code == 202:
            pulp.wait(response.json()["task"])


@pytest.fixture
def sync(pulp):
    """Sync `repository` from `remote`; returns the finished task (raises TaskFailed)."""

    def run(repository, remote, mirror=False):
        return pulp.run(
            repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"], "mirror": mirror}
        )

    return run


@pytest.fixture
def synced_files(pulp):
    """{content path: BootFile} of a repository version."""

    def files(version_href):
        return {f["content_path"]: f for f in pulp.list(FILES, repository_version=version_href)}

    return files


@pytest.fixture
def oci_remote_factory(created):
    """Create a bootfiles OCI remote (a registry repository to sync from or push to)."""

    def make(url, upstream_name, **fields):
        body = {"name": f"oci-{uuid.uuid4()}", "url": url, "upstream_name": upstream_name}
        return created(OCI_REMOTES, {**body, **fields})

    return make


@pytest.fixture(scope="session")
def netboot_upstream(pulp, fixture_server):
    """
    A distributed repository with the x86_64 and aarch64 trees of release 40, made once.

    The server-to-server tests (Pulp to Pulp, push) only read it, so they share it.
    """
    name = f"upstream-{uuid.uuid4().hex[:8]}"
    repository = pulp.post(REPOSITORIES, {"name": name}, expect=201).json()
    hrefs, trees = [repository["pulp_href"]], {}
    for goarch, arch in (("amd64", "x86_64"), ("arm64", "aarch64")):
        trees[goarch] = build_tree(fixture_server.root / f"{name}-{arch}", arch=arch, salt=name)
        remote = pulp.post(
            REMOTES,
            {"name": f"{name}-{arch}", "url": fixture_server.url(f"{name}-{arch}/")},
            expect=201,
        ).json()
        hrefs.append(remote["pulp_href"])
        pulp.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    task = pulp.run(
        DISTRIBUTIONS, {"name": name, "base_path": name, "repository": repository["pulp_href"]}
    )
    hrefs.insert(0, task["created_resources"][0])
    yield {"trees": trees, "repository": repository, "distribution": pulp.get(hrefs[0])}
    for href in hrefs:
        response = pulp.delete(href)
        if response.status_code == 202:
            pulp.wait(response.json()["task"])
