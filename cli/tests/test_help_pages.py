"""Every `pulp bootfiles ...` help page renders, without talking to a server."""

import typing as t

import click
import pytest
from click.testing import CliRunner

from pulp_cli import load_plugins, main

load_plugins()

pytestmark = pytest.mark.help_page


def traverse_commands(command: click.Command, args: list[str]) -> t.Iterator[list[str]]:
    """Every command path below `command`, also with each choice of a group's --type."""
    yield args
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from traverse_commands(sub, args + [name])
        type_params = [p for p in command.params if "--type" in getattr(p, "opts", [])]
        if type_params:
            assert isinstance(type_params[0].type, click.Choice)
            for choice in type_params[0].type.choices:
                yield args + ["--type", str(choice)]
                for name, sub in command.commands.items():
                    yield from traverse_commands(sub, args + ["--type", str(choice), name])


COMMANDS = list(traverse_commands(main.commands["bootfiles"], ["bootfiles"]))


@pytest.fixture
def no_api(monkeypatch: pytest.MonkeyPatch) -> None:
    @property  # type: ignore[misc]
    def getter(self: t.Any) -> None:
        pytest.fail("Invalid access to 'PulpContext.api'.", pytrace=False)

    monkeypatch.setattr("pulp_glue.common.context.PulpContext.api", getter)


def test_the_expected_commands_exist() -> None:
    paths = {" ".join(args) for args in COMMANDS}
    for expected in (
        "bootfiles remote create",
        "bootfiles remote update",
        "bootfiles remote --type oci create",
        "bootfiles remote --type oci update",
        "bootfiles remote --type oci show",
        "bootfiles remote --type oci list",
        "bootfiles remote --type oci destroy",
        "bootfiles remote --type oci label set",
        "bootfiles remote --type oci role list",
        "bootfiles repository push",
        "bootfiles repository sign",
        "bootfiles repository sync",
        "bootfiles repository version list",
        "bootfiles repository version show",
        "bootfiles repository version destroy",
        "bootfiles repository content list",
        "bootfiles distribution create",
        "bootfiles distribution show",
        "bootfiles distribution verify",
        "bootfiles content list",
        "bootfiles content show",
        "bootfiles content --type tree list",
    ):
        assert expected in paths


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_access_help(no_api: None, args: list[str]) -> None:
    """All help screens are accessible without touching the api property."""
    result = CliRunner().invoke(main, args + ["--help"], catch_exceptions=False)
    if result.exit_code == 2:
        assert "not available in this context" in result.stdout
    else:
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Usage:")


@pytest.mark.parametrize(
    "args, present, absent",
    [
        (
            ["remote", "create"],
            ["--bootloaders", "--openpgp-keys", "--policy", "--url", "--ca-cert"],
            ["--upstream-name", "--include-tags", "--exclude-tags"],
        ),
        (
            ["remote", "--type", "oci", "create"],
            ["--upstream-name", "--include-tags", "--exclude-tags", "--url", "--password"],
            ["--bootloaders", "--openpgp-keys"],
        ),
        (
            ["remote", "--type", "oci", "update"],
            ["--upstream-name", "--include-tags", "--format"],
            [],
        ),
        (["remote", "update"], ["--openpgp-keys", "--bootloaders"], ["--upstream-name"]),
        (["repository", "sync"], ["--remote", "oci:<name>", "--mirror / --no-mirror"], []),
        (["repository", "push"], ["--repository", "--remote", "--version"], []),
        (
            ["repository", "sign"],
            ["--manifest-signing-service", "--future-base-path", "--tag"],
            [],
        ),
        (["repository", "create"], ["--manifest-signing-service", "--remote"], []),
        (["repository", "update"], ["--manifest-signing-service"], []),
        (
            ["distribution", "create"],
            ["--version", "--private / --no-private", "--kernel-args", "--boot-origin"],
            [],
        ),
        (["distribution", "update"], ["--kernel-args", "--boot-origin"], []),
        (
            ["distribution", "verify"],
            ["--name", "--policy", "--registry", "--plain-http", "--tls-verify / --no-tls-verify"]
            + ["Exit status: 0 when", "3 when it refuses any"],
            ["--base-path"],
        ),
        (["content", "list"], ["--type", "--arch", "--release", "--name", "--family"], []),
        (["content", "show"], ["--href"], []),
        (["repository", "content", "list"], ["--type", "--arch", "--version"], []),
    ],
)
def test_options(no_api: None, args: list[str], present: list[str], absent: list[str]) -> None:
    result = CliRunner().invoke(main, ["bootfiles", *args, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for option in present:
        assert option in result.stdout
    for option in absent:
        assert option not in result.stdout
