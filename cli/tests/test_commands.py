"""`pulp bootfiles ...` against the live stack, checked through the REST API."""

import json

import pytest
from endpoints import FILES, REMOTES, REPOSITORIES, TREE_URL, TREES, only

pytestmark = pytest.mark.functional

SHIM = {"x86_64": {"shim-x64": ["/boot/efi/EFI/fedora/shimx64.efi"]}}


def test_remote_lifecycle(cli, pulp, name):
    created = cli(
        "remote create",
        name=name,
        url=TREE_URL,
        policy="on_demand",
        bootloaders=json.dumps(SHIM),
        download_concurrency=3,
    ).json
    remote = only(pulp, REMOTES, name)
    assert created == remote
    assert (remote["url"], remote["policy"], remote["bootloaders"]) == (TREE_URL, "on_demand", SHIM)
    assert remote["download_concurrency"] == 3
    assert created["pulp_href"] in [r["pulp_href"] for r in cli("remote list", name=name).json]
    assert cli("remote show", name=name).json["bootloaders"] == SHIM

    # An empty --bootloaders resets the field to null (the server's defaults).
    cli("remote update", name=name, policy="streamed", bootloaders="", url=TREE_URL + "?v=2")
    remote = pulp.get(remote["pulp_href"])
    assert (remote["policy"], remote["bootloaders"]) == ("streamed", None)
    assert remote["url"] == TREE_URL + "?v=2"

    cli("remote label set", remote=name, key="os", value="fedora")
    assert pulp.get(remote["pulp_href"])["pulp_labels"] == {"os": "fedora"}

    cli("remote destroy", name=name)
    assert pulp.list(REMOTES, name=name) == []


@pytest.mark.parametrize(
    "options, message",
    [
        ({"url": "not a url"}, "'not a url' is not a URL of a tree root"),
        ({"url": "mirror.example/fedora/"}, "is not a URL of a tree root"),
        ({"url": "ftp://mirror.example/os/"}, "is not a URL of a tree root"),
        ({"url": "http:///os/"}, "is not a URL of a tree root"),
        ({"url": TREE_URL, "bootloaders": "{"}, "Failed to decode JSON"),
        ({"url": TREE_URL, "bootloaders": "[]"}, "must be a JSON object"),
        ({"url": TREE_URL, "bootloaders": '{"x86_64": []}'}, "must be a JSON object"),
        ({"url": TREE_URL, "policy": "lazy"}, "'lazy' is not one of"),
    ],
)
def test_remote_create_refuses_bad_input(cli, pulp, name, options, message):
    result = cli("remote create", name=name, expect=None, **options)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert pulp.list(REMOTES, name=name) == []


MATRIX_URL = "https://mirror.example/fedora/linux/releases/{release}/Everything/{arch}/os/"


def test_remote_matrix(cli, pulp, name):
    """--release and --arch fill the URL's placeholders in; an empty one clears its list."""
    matrix = ["--release", "41", "--release", "42", "--arch", "x86_64", "--arch", "aarch64"]
    created = cli("remote create", *matrix, name=name, url=MATRIX_URL, skip_missing=True).json
    assert (created["releases"], created["arches"]) == (["41", "42"], ["x86_64", "aarch64"])
    assert created["skip_missing"] is True

    cli("remote update", "--release", "42", name=name, skip_missing=False)
    remote = pulp.get(created["pulp_href"])
    assert (remote["releases"], remote["arches"]) == (["42"], ["x86_64", "aarch64"])
    assert remote["skip_missing"] is False

    # The server refuses a list whose placeholder the URL lost, and says so.
    result = cli("remote update", name=name, url=TREE_URL, expect=1)
    assert "releases is set but the URL has no {release}" in result.stderr
    cli("remote update", "--release", "", "--arch", "", name=name, url=TREE_URL)
    remote = pulp.get(created["pulp_href"])
    assert (remote["url"], remote["releases"], remote["arches"]) == (TREE_URL, None, None)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--release", "41", "--arch", "amd64"], "unknown arch amd64; expected one of x86_64"),
        (["--release", "41", "--release", "", "--arch", "x86_64"], "give it alone"),
    ],
)
def test_remote_matrix_refuses_bad_lists(cli, pulp, name, args, message):
    result = cli("remote create", *args, name=name, url=MATRIX_URL, expect=None)
    assert result.exit_code != 0 and message in result.stderr
    assert pulp.list(REMOTES, name=name) == []


def test_server_validation_errors_are_shown(cli, pulp, name):
    relative = {"x86_64": {"shim-x64": ["boot/efi/EFI/fedora/shimx64.efi"]}}
    result = cli(
        "remote create", name=name, url=TREE_URL, bootloaders=json.dumps(relative), expect=1
    )
    assert "must be a normalised absolute file path" in result.stderr
    assert pulp.list(REMOTES, name=name) == []


@pytest.mark.parametrize(
    "command, options, message",
    [
        ("remote show", {"name": "no-such-remote"}, "Could not find bootfiles remote"),
        ("remote update", {"name": "no-such", "policy": "streamed"}, "Could not find bootfiles"),
        ("repository show", {"name": "no-such-repo"}, "Could not find bootfiles repository"),
        ("repository sync", {"name": "no-such-repo"}, "Could not find bootfiles repository"),
        ("distribution destroy", {"name": "no-such"}, "Could not find bootfiles distribution"),
        (
            "distribution create",
            {"name": "d", "base_path": "d", "repository": "no-such-repo"},
            "Could not find bootfiles repository",
        ),
    ],
)
def test_unknown_names(cli, command, options, message):
    result = cli(command, expect=1, **options)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_sync_versions_and_content(cli, pulp, name, tree_factory):
    x86, x86_url = tree_factory(arch="x86_64")
    arm, arm_url = tree_factory(arch="aarch64")
    cli("remote create", name=name, url=x86_url)
    cli("remote create", name=name + "-arm", url=arm_url)
    cli("repository create", name=name, remote=name)

    result = cli("repository sync", name=name)  # from the repository's own remote
    assert "Started background task" in result.stderr and "Done." in result.stderr
    cli("repository sync", name=name, remote=name + "-arm")

    repository = only(pulp, REPOSITORIES, name)
    assert repository["latest_version_href"].endswith("/versions/2/")
    versions = cli("repository version list", repository=name).json
    assert [v["number"] for v in versions] == [2, 1, 0]
    first = cli("repository version show", repository=name, version=1).json
    assert first["content_summary"]["present"]["bootfiles.tree"]["count"] == 1

    arm_files = cli("repository content list", repository=name, arch="aarch64").json
    assert {f["name"]: f["sha256"] for f in arm_files} == arm.expected_files()
    trees = cli("repository content list", repository=name, type="tree").json
    assert sorted(t["arch"] for t in trees) == ["aarch64", "x86_64"]
    in_first = cli("repository content list", repository=name, version=1, limit=100).json
    assert {f["name"]: f["sha256"] for f in in_first} == x86.expected_files()

    # --mirror leaves only the synced tree.
    cli("repository sync", name=name, remote=name + "-arm", mirror=True)
    latest = pulp.get(repository["pulp_href"])["latest_version_href"]
    assert latest.endswith("/versions/3/")
    assert [t["arch"] for t in pulp.list(TREES, repository_version=latest)] == ["aarch64"]

    cli("repository version destroy", repository=name, version=1)
    assert pulp.request("GET", repository["pulp_href"] + "versions/1/").status_code == 404


def test_content_list_and_show(cli, pulp, synced):
    tree, repository = synced
    version = repository["latest_version_href"]
    files = cli(
        "content list", repository_version=version, arch=tree.arch, release=tree.release, limit=100
    ).json
    assert {f["name"]: f["sha256"] for f in files} == tree.expected_files()
    vmlinuz = cli("content list", repository_version=version, name="vmlinuz").json
    assert [f["relative_path"] for f in vmlinuz] == ["images/pxeboot/vmlinuz"]
    assert cli("content list", repository_version=version, arch="s390x").json == []

    for command in ("content --type tree list", "content list --type tree"):
        trees = cli(command, repository_version=version).json
        assert [(t["release"], t["arch"]) for t in trees] == [(tree.release, tree.arch)]
    boot_tree = trees[0]
    assert sorted(boot_tree["files"]) == sorted(
        f["pulp_href"] for f in pulp.list(FILES, repository_version=version)
    )

    shown = cli("content show", href=vmlinuz[0]["pulp_href"]).json
    assert shown == pulp.get(vmlinuz[0]["pulp_href"])
    for href in (boot_tree["pulp_href"], boot_tree["prn"]):  # the type follows the href
        assert cli("content show", href=href).json == boot_tree

    result = cli("content list --type tree", name="vmlinuz", expect=2)
    assert "--name applies to --type file only" in result.stderr
    result = cli("content show", href=FILES + "01234567-89ab-cdef-0123-456789abcdef/", expect=1)
    assert "No BootFile matches the given query" in result.stderr


def test_sync_failures(cli, pulp, name, fixture_server):
    cli("repository create", name=name)
    result = cli("repository sync", name=name, expect=1)
    assert f"Repository '{name}' has no remote to sync from" in result.stderr

    missing = fixture_server.url("no-such-tree") + "/"
    cli("remote create", name=name, url=missing)
    result = cli("repository sync", name=name, remote=name, expect=1)
    assert (
        f"{missing}.treeinfo and {missing}.bootfiles.json both answer 404 Not Found"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert only(pulp, REPOSITORIES, name)["latest_version_href"].endswith("/versions/0/")
