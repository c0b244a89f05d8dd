"""`pulp bootfiles remote --type oci ...`, sync from and push to a registry, sign, from the CLI."""

import re

import pytest
from endpoints import FILES, OCI_REMOTES, REPOSITORIES, only

# The functional suite's registry (Debian's docker-registry on a free loopback port), test keys
# and manifest signing service (skopeo standalone-sign, registered with pulpcore-manager).
from pulp_bootfiles.tests.functional.test_chain_of_trust import (  # noqa: F401
    keys,
    signing_service,
)
from pulp_bootfiles.tests.functional.test_push import docker_registry  # noqa: F401

pytestmark = pytest.mark.functional

REGISTRY_URL = "https://registry.example"


def no_such_option(option):
    """click's refusal of an unknown option: "No such option: --x" (click 8.3, beside the
    lower bounds' pulp-cli 0.39) or "No such option '--x'" (click 8.5)."""
    return re.compile(rf"No such option(?:: | '){re.escape(option)}")


def test_oci_remote_lifecycle(cli, pulp, name):
    created = cli(
        "remote --type oci create",
        name=name,
        url=REGISTRY_URL,
        upstream_name="fedora/netboot",
        include_tags='["4?", "rawhide-*"]',
        exclude_tags='["*-s390x"]',
        username="robot",
        password="s3cret",
        download_concurrency=2,
    ).json
    remote = only(pulp, OCI_REMOTES, name)
    assert created == remote
    assert remote["pulp_href"].startswith(OCI_REMOTES)
    assert (remote["url"], remote["upstream_name"]) == (REGISTRY_URL, "fedora/netboot")
    assert (remote["include_tags"], remote["exclude_tags"]) == (["4?", "rawhide-*"], ["*-s390x"])
    assert (remote["policy"], remote["download_concurrency"]) == ("immediate", 2)
    hidden = {f["name"]: f["is_set"] for f in remote["hidden_fields"]}
    assert hidden["username"] and hidden["password"]
    assert cli("remote --type oci show", name=name).json == remote
    # Tree remotes are another type: `remote show` (--type bootfiles) does not find it.
    assert "Could not find bootfiles remote" in cli("remote show", name=name, expect=1).stderr

    cli("remote --type oci label set", remote=name, key="os", value="fedora")
    # Empty tag filters reset them to null (every netboot tag, none left out).
    cli(
        "remote --type oci update",
        name=name,
        url="http://127.0.0.1:5000",
        upstream_name="other/netboot",
        include_tags="",
        exclude_tags='["latest"]',
    )
    remote = pulp.get(remote["pulp_href"])
    assert (remote["url"], remote["upstream_name"]) == ("http://127.0.0.1:5000", "other/netboot")
    assert (remote["include_tags"], remote["exclude_tags"]) == (None, ["latest"])
    assert remote["pulp_labels"] == {"os": "fedora"}
    assert remote["formats"] is None  # every format

    cli(
        "remote --type oci update",
        "--format",
        "netboot-v1",
        "--format",
        "foreman-pipeline",
        name=name,
    )
    assert pulp.get(remote["pulp_href"])["formats"] == ["netboot-v1", "foreman-pipeline"]
    assert (
        "'nboci'"
        in cli("remote --type oci update", "--format", "nboci", name=name, expect=2).stderr
    )

    cli("remote --type oci destroy", name=name)
    assert pulp.list(OCI_REMOTES, name=name) == []


def test_oci_remote_create_refuses_bad_input(cli, pulp, name):
    cases = [
        ({"url": "ftp://registry.example"}, "'ftp://registry.example' is not a URL of a registry"),
        ({"url": "file:///srv/registry"}, "is not a URL of a registry; expected http://, https://"),
        ({"url": "registry.example"}, "is not a URL of a registry"),
        ({"url": "http://registry.example:port"}, "Port could not be cast"),
        ({"include_tags": "4?"}, "Failed to decode JSON"),
        ({"include_tags": '{"40": true}'}, "must be a JSON list of tag patterns"),
        ({"include_tags": "[40]"}, "must be a JSON list of tag patterns"),
        ({"exclude_tags": '["40 amd64"]'}, "'40 amd64' is not a tag pattern"),
        ({"exclude_tags": '[""]'}, "'' is not a tag pattern"),
        ({"exclude_tags": "@/no/such/file"}, "Failed to load content from /no/such/file"),
        ({"policy": "on_demand"}, "only 'immediate' is supported"),  # the server's answer
        ({"upstream_name": "Fedora/Netboot"}, "upstream_name"),  # the server's answer
        ({"upstream_name": None}, "Missing option '--upstream-name'"),
        ({"bootloaders": "{}"}, no_such_option("--bootloaders")),
        ({"openpgp_keys": "@key.asc"}, no_such_option("--openpgp-keys")),
    ]
    for options, message in cases:
        fields = {"url": REGISTRY_URL, "upstream_name": "fedora/netboot", **options}
        fields = {key: value for key, value in fields.items() if value is not None}
        result = cli("remote --type oci create", name=name, expect=None, **fields)
        found = (
            message.search(result.stderr)
            if isinstance(message, re.Pattern)
            else (message in result.stderr)
        )
        assert result.exit_code != 0 and found, (options, result.stderr)
        assert "Traceback" not in result.stderr
    assert pulp.list(OCI_REMOTES, name=name) == []
    result = cli("remote create", name=name, url=REGISTRY_URL, upstream_name="x", expect=2)
    assert no_such_option("--upstream-name").search(result.stderr), result.stderr


def test_push_then_sync_back(cli, pulp, name, synced, docker_registry):  # noqa: F811
    """Push a version to the registry, then sync it into another repository: the same files."""
    tree, repository = synced
    cli(
        "remote --type oci create",
        name=name,
        url=docker_registry.url,
        upstream_name=f"{name}/netboot",
        username=docker_registry.username,
        password=docker_registry.password,
    )
    result = cli("repository push", repository=repository["name"], remote=name, version=1)
    assert "Done." in result.stderr
    tags = docker_registry.get(f"{name}/netboot/tags/list").json()["tags"]
    assert sorted(tags) == [tree.release, f"{tree.release}-amd64"]

    # A repository's remote may be an OCI remote ('[bootfiles:]oci:<name>'), as --remote may.
    cli("repository create", name=name, remote=f"oci:{name}")
    cli("repository sync", name=name, remote=f"bootfiles:oci:{name}", mirror=True)
    back = only(pulp, REPOSITORIES, name)
    assert back["remote"] == only(pulp, OCI_REMOTES, name)["pulp_href"]
    files = pulp.list(FILES, repository_version=back["latest_version_href"], limit=100)
    assert {f["name"]: f["sha256"] for f in files} == tree.expected_files()


def test_push_and_sync_refuse_bad_remotes(cli, pulp, synced):
    _tree, repository = synced
    tree_remote = repository["name"]  # `synced` names its tree remote as the repository
    latest = pulp.get(repository["pulp_href"])["latest_version_href"]
    cases = [
        ({"remote": "no-such"}, "Could not find bootfiles OCI remote with {'name': 'no-such'}"),
        ({"remote": f"bootfiles:{tree_remote}"}, "The type 'bootfiles:bootfiles' is not valid"),
        ({"remote": "file:file:x"}, "The type 'file:file' is not valid for the remote option"),
        ({"remote": "x", "version": 9}, "Could not find bootfiles repository version"),
        ({"remote": "x", "version": -1}, "-1 is not in the range x>=0"),
        ({}, "Missing option '--remote'"),
    ]
    for options, message in cases:
        result = cli("repository push", repository=repository["name"], expect=None, **options)
        found = (
            message.search(result.stderr)
            if isinstance(message, re.Pattern)
            else (message in result.stderr)
        )
        assert result.exit_code != 0 and found, (options, result.stderr)
        assert "Traceback" not in result.stderr
    result = cli("repository sync", name=repository["name"], remote="rpm:x", expect=1)
    assert "The type 'bootfiles:rpm' is not valid for the remote option" in result.stderr
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == latest


def test_sign_with_the_repository_signing_service(cli, pulp, synced, signing_service):  # noqa: F811
    """Adds a version (the signatures) to the shared repository; its tags stay the same."""
    _tree, repository = synced
    service = signing_service["name"]
    href = repository["pulp_href"]
    cli("repository update", name=repository["name"], manifest_signing_service=service)
    updated = pulp.get(href)
    assert updated["manifest_signing_service"] == signing_service["pulp_href"]
    # No distribution serves the repository: the signatures need the base path to name.
    before = updated["latest_version_href"]
    cli("repository sign", name=repository["name"], future_base_path="netboot", tag="40-amd64")
    signed = pulp.get(pulp.get(href)["latest_version_href"])
    assert signed["pulp_href"] != before
    added = signed["content_summary"]["added"]
    assert list(added) == ["container.signature"] and added["container.signature"]["count"] == 1

    cli("repository update", name=repository["name"], manifest_signing_service="")
    assert pulp.get(href)["manifest_signing_service"] is None
