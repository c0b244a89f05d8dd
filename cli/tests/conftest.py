"""Fixtures for running `pulp bootfiles ...` against a live stack (env BOOTFILES_API)."""

import json
import typing as t
import uuid
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from endpoints import API, DISTRIBUTIONS, OCI_REMOTES, REMOTES, REPOSITORIES, V3


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> t.Any:
        return json.loads(self.stdout)


@pytest.fixture(scope="session")
def pulp():
    """The plugin's REST client (admin), for checking what the commands did."""
    from pulp_bootfiles.tests.functional.pulp_api import PulpAPI

    api = PulpAPI(base=API)
    try:
        status = api.get(V3 + "status/")
    except Exception as exc:  # fail, not skip, when the stack is down
        pytest.fail(f"no Pulp API at {API} ({exc}); start it with dev/stack.sh start")
    assert any(v["component"] == "bootfiles" for v in status["versions"]), status["versions"]
    return api


@pytest.fixture(scope="session")
def cli_config(tmp_path_factory, pulp):
    """A pulp-cli config file for the stack, and a cache dir of its own for the API spec."""
    root = tmp_path_factory.mktemp("pulp-cli")
    config = root / "cli.toml"
    config.write_text(
        "[cli]\n"
        f'base_url = "{API}"\n'
        'api_root = "/pulp/"\ndomain = "default"\nheaders = []\n'
        'username = "admin"\npassword = "password"\n'
        'verify_ssl = true\nformat = "json"\ndry_run = false\ntimeout = 0\nverbose = 0\n'
    )
    return {"config": str(config), "env": {"XDG_CACHE_HOME": str(root / "cache")}}


def to_args(command: str, args: t.Sequence[str], options: dict[str, t.Any]) -> list[str]:
    """'remote show', [], {"name": "x", "mirror": True} -> [remote, show, --name, x, --mirror]"""
    argv = [*command.split(), *args]
    for key, value in options.items():
        option = "--" + key.replace("_", "-")
        if value is True:
            argv.append(option)
        elif value is False:
            argv.append("--no-" + key.replace("_", "-"))
        else:
            argv += [option, str(value)]
    return argv


@pytest.fixture(scope="session")
def cli(cli_config):
    """
    Run `pulp bootfiles <command> [args] [--option value ...]` in-process (click's CliRunner)
    with the stack's config; keyword arguments become options.
    """
    from pulp_cli import load_plugins, main

    load_plugins()
    runner = CliRunner()

    def run(command: str, *args: str, expect: int | None = 0, **options: t.Any) -> Result:
        argv = ["--config", cli_config["config"], "bootfiles", *to_args(command, args, options)]
        result = runner.invoke(main, argv, env=cli_config["env"])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        outcome = Result(result.exit_code, result.stdout, result.stderr)
        if expect is not None:
            assert outcome.exit_code == expect, (argv, outcome)
        return outcome

    return run


@pytest.fixture(scope="session")
def fixture_server(tmp_path_factory):
    from pulp_bootfiles.tests.functional.fixture_server import FixtureServer

    with FixtureServer(tmp_path_factory.mktemp("trees")) as server:
        yield server


@pytest.fixture(scope="session")
def tree_factory(fixture_server):
    """Build a tree under the fixture server; returns (Tree, URL of the tree root)."""
    from pulp_bootfiles.tests.fixtures.treegen import build_tree

    def make(**kwargs):
        name = uuid.uuid4().hex[:12]
        kwargs.setdefault("salt", name)
        tree = build_tree(fixture_server.root / name, **kwargs)
        return tree, fixture_server.url(name) + "/"

    return make


def _delete_named(pulp, prefix):
    for endpoint in (DISTRIBUTIONS, REPOSITORIES, REMOTES, OCI_REMOTES):
        for obj in pulp.list(endpoint, name__startswith=prefix):
            response = pulp.delete(obj["pulp_href"])
            if response.status_code == 202:
                pulp.wait(response.json()["task"])


@pytest.fixture
def name(pulp):
    """A unique name prefix; remotes, repositories and distributions so named are deleted."""
    prefix = f"cli-{uuid.uuid4().hex[:8]}"
    yield prefix
    _delete_named(pulp, prefix)


@pytest.fixture(scope="session")
def synced(pulp, tree_factory):
    """
    A repository synced (through the API) from an x86_64 tree: (Tree, repository), made once.
    Tests that add versions to it (sign) leave version 1, its files and tags, as they were.
    """
    prefix = f"cli-{uuid.uuid4().hex[:8]}"
    tree, url = tree_factory(arch="x86_64")
    remote = pulp.post(REMOTES, {"name": prefix, "url": url}, expect=201).json()
    repository = pulp.post(REPOSITORIES, {"name": prefix}, expect=201).json()
    pulp.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    yield tree, pulp.get(repository["pulp_href"])
    _delete_named(pulp, prefix)
