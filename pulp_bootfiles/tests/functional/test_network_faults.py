"""
A mirror that resets connections mid-body, answers 500/503 or stalls: the sync gets through by
retrying as often as the remote's `max_retries` allows, or fails cleanly; once the mirror is
well again, a sync completes and downloads only what the failed one did not store.

Every download of a sync goes through the remote's downloader, which retries: `.treeinfo`,
`repomd.xml`, the primary, the RPMs (the plugin's own fetches) and the images (pulpcore's
artifact stage). pulpcore reads `max_retries=0` as unset (its default, 3), so 1 is the fewest.
"""

import re
import uuid

import pytest

from pulp_bootfiles.tests.fixtures.packages import with_new_bootloaders
from pulp_bootfiles.tests.functional.fixture_server import Fault
from pulp_bootfiles.tests.functional.pulp_api import TaskFailed
from pulp_bootfiles.tests.functional.test_sync import expected_paths

pytestmark = pytest.mark.slow
ARTIFACTS = "/pulp/api/v3/artifacts/"


def new_tree(tree_factory):
    """A tree whose images and bootloader packages Pulp has never seen."""
    salt = uuid.uuid4().hex[:12]
    return tree_factory(salt=salt, packages=with_new_bootloaders("x86_64", "40", salt))


def shim_rpm(tree):
    return next(path for nevra, path in tree.packages.items() if nevra.startswith("shim-x64-2:"))


def requested(fixture_server, tree, path):
    """How often the fixture server was asked for `path` of `tree`."""
    return fixture_server.requests.count(f"/{tree.root.name}/{path}")


def test_sync_gets_through_faults_by_retrying(
    pulp,
    tree_factory,
    remote_factory,
    repository_factory,
    sync,
    synced_files,
    fixture_server,
    faults,
):
    tree, url = new_tree(tree_factory)
    name = tree.root.name
    # Each faulty file misbehaves on its first two requests: two retries get every file.
    injected = faults(
        Fault("reset", rf"^/{name}/\.treeinfo$", times=2),
        Fault("status", rf"^/{name}/repodata/repomd\.xml$", status=503, times=2),
        Fault("status", rf"^/{name}/repodata/.*-primary\.xml", status=500, times=2),
        Fault("reset", rf"^/{name}/images/install\.img$", times=2),
        Fault("status", rf"^/{name}/images/boot\.iso$", status=503, times=2),
        Fault("stall", rf"^/{name}/{shim_rpm(tree)}$", seconds=3, times=2),
        # a share of the other files (which ones depends on the tree's random name); only
        # those, since a file past its faults above would meet this one's next
        Fault(
            "status",
            rf"^/{name}/(images/pxeboot/|images/efiboot\.img|Packages/(g|s/syslinux))",
            status=500,
            fraction=0.5,
            times=2,
        ),
    )
    remote = remote_factory(url, max_retries=2, sock_read_timeout=1)
    repository = repository_factory()
    sync(repository, remote)

    files = synced_files(pulp.get(repository["pulp_href"])["latest_version_href"])
    assert {path: f["sha256"] for path, f in files.items()} == expected_paths(tree)
    faulty = {path for fault in injected for path in fault.hits}
    assert len(faulty) >= 6
    for fault in injected:
        for path, hits in fault.hits.items():
            assert (hits, fixture_server.requests.count(path)) == (2, 3), (fault.kind, path)


def test_faults_beyond_retries_fail_cleanly_then_a_sync_fetches_only_what_is_missing(
    pulp,
    tree_factory,
    remote_factory,
    repository_factory,
    sync,
    synced_files,
    fixture_server,
    faults,
):
    good, good_url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(good_url))
    before = pulp.get(repository["pulp_href"])["latest_version_href"]

    tree, url = new_tree(tree_factory)
    broken = faults(Fault("status", rf"^/{tree.root.name}/images/install\.img$", status=500))
    remote = remote_factory(url, max_retries=1)
    with pytest.raises(TaskFailed) as failure:
        sync(repository, remote)
    message = failure.value.task["error"]["description"]
    assert "images/install.img" in message and "500" in message, message
    assert requested(fixture_server, tree, "images/install.img") == 2  # 1 + max_retries
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == before

    # What the failed sync stored stays stored; the next sync fetches the rest.
    stored = {
        path for path, sha256 in tree.images.items() if pulp.get(ARTIFACTS, sha256=sha256)["count"]
    }
    assert "images/install.img" not in stored
    fixture_server.clear_faults()
    fixture_server.requests.clear()
    sync(repository, remote)

    files = synced_files(pulp.get(repository["pulp_href"])["latest_version_href"])
    assert {path: f["sha256"] for path, f in files.items()} == expected_paths(tree)
    fetched = {path for path in tree.images if requested(fixture_server, tree, path)}
    assert fetched == set(tree.images) - stored
    assert broken.hits  # the fault did fire
    for rpm in tree.packages.values():
        assert requested(fixture_server, tree, rpm) <= 1, rpm


def test_redirects_to_a_mirror_on_another_host_are_followed(
    pulp,
    tree_factory,
    remote_factory,
    repository_factory,
    sync,
    synced_files,
    faults,
    mirror_server,
):
    """Fedora's download host redirects every request to a mirror: that must just work."""
    tree, url = new_tree(tree_factory)
    faults(Fault("redirect", rf"^/{tree.root.name}/", location=mirror_server.base_url))
    repository = repository_factory()
    sync(repository, remote_factory(url))

    files = synced_files(pulp.get(repository["pulp_href"])["latest_version_href"])
    assert {path: f["sha256"] for path, f in files.items()} == expected_paths(tree)
    from_mirror = set(mirror_server.requests)
    for path in [".treeinfo", "repodata/repomd.xml", *tree.images, shim_rpm(tree)]:
        assert f"/{tree.root.name}/{path}" in from_mirror, path


@pytest.mark.parametrize(
    "fault, path, problem",
    [
        # the plugin's own fetches (images: see test_sync_errors' image-* cases)
        (
            Fault("overlong", ""),
            "repodata/repomd.xml",
            "the server sent more bytes than its Content-Length",
        ),
        (Fault("redirect", ""), ".treeinfo", "too many redirects (10 in a row, the last from"),
    ],
    ids=["body-longer-than-content-length", "redirect-loop"],
)
def test_unclear_server_answers_fail_naming_the_file_and_the_problem(
    pulp,
    tree_factory,
    remote_factory,
    repository_factory,
    sync,
    fixture_server,
    faults,
    fault,
    path,
    problem,
):
    repository = repository_factory()
    tree, url = new_tree(tree_factory)
    fault.match = rf"^/{tree.root.name}/{re.escape(path)}$"
    fault.location = fixture_server.base_url  # a redirect to itself: a loop
    faults(fault)
    with pytest.raises(TaskFailed) as failure:
        sync(repository, remote_factory(url, max_retries=2))
    message = failure.value.task["error"]["description"]
    assert f"could not download {path} from {url}{path}: {problem}" in message, message
    assert "\\x" not in message and "Bad status line" not in message, message
    assert pulp.get(repository["pulp_href"])["latest_version_href"].endswith("/versions/0/")
    # Not retried: neither answer gets better by asking again.
    assert fault.hits == {f"/{tree.root.name}/{path}": 10 if fault.kind == "redirect" else 1}
