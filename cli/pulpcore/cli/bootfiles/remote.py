"""`pulp bootfiles remote ...`: the Fedora-style trees to sync from."""

import typing as t
from urllib.parse import urlsplit

import click
import schema as s

from pulp_glue.bootfiles.context import PulpBootfilesRemoteContext
from pulp_glue.common.i18n import get_translation

from pulp_cli.generic import (
    common_remote_create_options,
    common_remote_update_options,
    create_command,
    destroy_command,
    href_option,
    json_callback,
    label_command,
    list_command,
    load_file_wrapper,
    name_option,
    pulp_group,
    pulp_option,
    remote_filter_options,
    remote_header_callback,
    remote_lookup_option,
    role_command,
    show_command,
    type_option,
    update_command,
)

translation = get_translation(__package__)
_ = translation.gettext

URL_SCHEMES = ("http", "https", "file")
# {arch: {package name: [absolute path in the package, ...]}}; the server checks the details.
BOOTLOADERS_SCHEMA = s.Schema({s.Optional(str): {s.Optional(str): [str]}})


def _url_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse what cannot be a tree URL before the server stores it (it only checks file://)."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    if (
        parts.scheme not in URL_SCHEMES
        or (parts.scheme != "file" and not parts.hostname)
        or any(c.isspace() for c in value)
    ):
        raise click.BadParameter(
            _(
                "'{value}' is not a URL of a tree root; expected {schemes}, "
                "e.g. 'https://mirror.example/fedora/releases/40/Everything/x86_64/os/'."
            ).format(value=value, schemes=", ".join(f"{x}://" for x in URL_SCHEMES))
        )
    return value


@load_file_wrapper
def _bootloaders_callback(ctx: click.Context, param: click.Parameter, value: str) -> t.Any:
    if value.strip() in ("", "null"):
        return ""  # a nullable field: sent as null, i.e. the server's default selection
    bootloaders = json_callback(ctx, param, value)
    try:
        return BOOTLOADERS_SCHEMA.validate(bootloaders)
    except s.SchemaError:
        raise click.BadParameter(
            _(
                "must be a JSON object {arch: {package name: [path, ...]}}, e.g. "
                '\'{"x86_64": {"shim-x64": ["/boot/efi/EFI/fedora/shimx64.efi"]}}\'.'
            )
        ) from None


def _headers_callback(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    # pulp-cli 0.41's callback echoes its value to stderr, "()" when no --header was given.
    return remote_header_callback(ctx, param, value) if value else None


def _adapt_common_options(command: click.Command) -> click.Command:
    """Validate the --url that pulp-cli's common remote options add; quieten --header."""
    for param in command.params:
        if param.name == "url":
            param.callback = _url_callback
        elif param.name == "headers":
            param.callback = _headers_callback
    return command


@pulp_group()
@type_option(choices={"bootfiles": PulpBootfilesRemoteContext})
def remote() -> None:
    """Manage bootfiles remotes: the tree roots (directories with .treeinfo) to sync."""


lookup_options = [href_option, name_option, remote_lookup_option]
nested_lookup_options = [remote_lookup_option]
bootfiles_remote_options = [
    pulp_option(
        "--policy",
        type=click.Choice(["immediate", "on_demand", "streamed"], case_sensitive=False),
        help=_(
            "'immediate' downloads every image at sync time; 'on_demand' and 'streamed' "
            "when a client first asks. Bootloaders are always extracted at sync time."
        ),
    ),
    pulp_option(
        "--bootloaders",
        callback=_bootloaders_callback,
        help=_(
            "Files to extract from the tree's RPM packages, per arch, as JSON "
            '(or @file): \'{{"x86_64": {{"shim-x64": ["/boot/efi/EFI/fedora/shimx64.efi"]}}}}\'. '
            "Empty or 'null' uses the server's Fedora defaults."
        ),
    ),
]

remote.add_command(list_command(decorators=remote_filter_options))
remote.add_command(show_command(decorators=lookup_options))
remote.add_command(
    create_command(
        decorators=common_remote_create_options + bootfiles_remote_options + [_adapt_common_options]
    )
)
remote.add_command(
    update_command(
        decorators=lookup_options
        + common_remote_update_options
        + bootfiles_remote_options
        + [_adapt_common_options]
    )
)
remote.add_command(destroy_command(decorators=lookup_options))
remote.add_command(label_command(decorators=nested_lookup_options))
remote.add_command(role_command(decorators=lookup_options))
