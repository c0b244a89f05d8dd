"""`pulp bootfiles remote [--type bootfiles|oci] ...`: the Fedora-style trees to sync from and
the OCI registries to sync from or push to."""

import re
import typing as t
from urllib.parse import urlsplit

import click
import schema as s

from pulp_glue.bootfiles.context import (
    PulpBootfilesOCIRemoteContext,
    PulpBootfilesRemoteContext,
)
from pulp_glue.bootfiles.netboot.constants import SUPPORTED_ARCHES
from pulp_glue.common.context import PulpRemoteContext
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
OCI_URL_SCHEMES = ("http", "https")
# {arch: {package name: [absolute path in the package, ...]}}; the server checks the details.
BOOTLOADERS_SCHEMA = s.Schema({s.Optional(str): {s.Optional(str): [str]}})
# A tag as the OCI distribution spec allows it, plus fnmatch's wildcards (* ? [ ] !).
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_.*?\[\]!-]{1,128}$")
# The server's NETBOOT_FORMATS (the CLI does not import the server package).
NETBOOT_FORMATS = ("netboot-v1", "foreman-pipeline", "nboci-prototype")


def _url_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse what cannot be a tree (or, with --type oci, a registry) URL before the server."""
    if value is None:
        return None
    oci = isinstance(ctx.find_object(PulpRemoteContext), PulpBootfilesOCIRemoteContext)
    schemes = OCI_URL_SCHEMES if oci else URL_SCHEMES
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as e:
        raise click.BadParameter(f"'{value}': {e}") from None
    if (
        parts.scheme not in schemes
        or (parts.scheme != "file" and not parts.hostname)
        or any(c.isspace() for c in value)
    ):
        if oci:
            message = _(
                "'{value}' is not a URL of a registry; expected {schemes}, "
                "e.g. 'https://quay.io' (its API is under /v2/)."
            )
        else:
            message = _(
                "'{value}' is not a URL of a tree root; expected {schemes}, "
                "e.g. 'https://mirror.example/fedora/releases/40/Everything/x86_64/os/'."
            )
        raise click.BadParameter(
            message.format(value=value, schemes=", ".join(f"{x}://" for x in schemes))
        )
    return value


@load_file_wrapper
def _tags_callback(ctx: click.Context, param: click.Parameter, value: str) -> t.Any:
    """A JSON list of fnmatch patterns over tag names (as pulp-cli's container remote takes)."""
    if value.strip() in ("", "null"):
        return ""  # a nullable field: sent as null, i.e. no filter
    tags = json_callback(ctx, param, value)
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise click.BadParameter(
            _('must be a JSON list of tag patterns, e.g. \'["4?", "rawhide-*"]\'.')
        )
    for tag in tags:
        if not TAG_PATTERN.match(tag):
            raise click.BadParameter(
                _(
                    "'{tag}' is not a tag pattern: 1 to 128 letters, digits, '_', '.', '-' "
                    "and the wildcards '*', '?', '[...]'."
                ).format(tag=tag)
            )
    return tags


@load_file_wrapper
def _load_text(ctx: click.Context, param: click.Parameter, value: str) -> str:
    return value


def _openpgp_keys_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """ASCII-armored public keys, inline or from @file; an empty value turns the check off."""
    if not value:
        return value
    try:
        keys = _load_text(ctx, param, value)
    except UnicodeDecodeError:
        raise click.BadParameter(
            _("is not text; export the keys with 'gpg --armor --export'.")
        ) from None
    if not keys.strip():
        return ""  # a nullable field: sent as null, i.e. no signature check
    if "-----BEGIN PGP PUBLIC KEY BLOCK-----" not in keys:
        raise click.BadParameter(
            _(
                "holds no ASCII-armored OpenPGP public key block ('-----BEGIN PGP PUBLIC KEY "
                "BLOCK-----'); export the keys with 'gpg --armor --export', pass them as @file."
            )
        )
    return keys


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


def _matrix_list_callback(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> t.Any:
    """Repeated --release/--arch: a list; not given: unchanged; one empty value: null (a URL
    without that placeholder)."""
    values = list(value)
    if not values:
        return None
    if values == [""]:
        return ""  # a nullable field: sent as null
    if "" in values:
        raise click.BadParameter(_("an empty value clears the list; give it alone."))
    if param.name == "arches":
        unknown = [arch for arch in values if arch not in SUPPORTED_ARCHES]
        if unknown:
            raise click.BadParameter(
                _("unknown arch {arches}; expected one of {known}.").format(
                    arches=", ".join(unknown), known=", ".join(SUPPORTED_ARCHES)
                )
            )
    return values


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
@type_option(
    choices={"bootfiles": PulpBootfilesRemoteContext, "oci": PulpBootfilesOCIRemoteContext}
)
def remote() -> None:
    """
    Manage bootfiles remotes: the tree roots (directories with .treeinfo) to sync
    (--type bootfiles, the default) and the registry repositories of netboot OCI artifacts
    to sync from or push to (--type oci).
    """


tree_context = (PulpBootfilesRemoteContext,)
oci_context = (PulpBootfilesOCIRemoteContext,)
lookup_options = [href_option, name_option, remote_lookup_option]
nested_lookup_options = [remote_lookup_option]
bootfiles_remote_options = [
    pulp_option(
        "--policy",
        type=click.Choice(["immediate", "on_demand", "streamed"], case_sensitive=False),
        help=_(
            "'immediate' downloads every image at sync time; 'on_demand' and 'streamed' "
            "when a client first asks. Bootloaders are always extracted at sync time. "
            "OCI remotes: only 'immediate'."
        ),
    ),
    pulp_option(
        "--bootloaders",
        callback=_bootloaders_callback,
        allowed_with_contexts=tree_context,
        help=_(
            "Files to extract from the tree's RPM packages, per arch, as JSON "
            '(or @file): \'{{"x86_64": {{"shim-x64": ["/boot/efi/EFI/fedora/shimx64.efi"]}}}}\'. '
            "Empty or 'null' uses the server's Fedora defaults."
        ),
    ),
    pulp_option(
        "--openpgp-keys",
        callback=_openpgp_keys_callback,
        allowed_with_contexts=tree_context,
        help=_(
            "ASCII-armored OpenPGP public keys (@file, e.g. @RPM-GPG-KEY-fedora-40-primary) "
            "that must have signed every package bootloaders are extracted from; a sync fails "
            "otherwise. Empty turns the check off."
        ),
    ),
    pulp_option(
        "--release",
        "releases",
        multiple=True,
        callback=_matrix_list_callback,
        allowed_with_contexts=tree_context,
        help=_(
            "A release to fill '{{release}}' of the URL in with (repeat for several): with "
            "--url 'https://mirror.example/fedora/linux/releases/{{release}}/Everything/{{arch}}/"
            "os/' one sync brings every release x arch tree. Given alone, an empty value clears "
            "the list."
        ),
    ),
    pulp_option(
        "--arch",
        "arches",
        multiple=True,
        callback=_matrix_list_callback,
        allowed_with_contexts=tree_context,
        help=_(
            "An arch to fill '{{{{arch}}}}' of the URL in with (repeat for several): {arches}. "
            "Given alone, an empty value clears the list."
        ).format(arches=", ".join(SUPPORTED_ARCHES)),
    ),
    pulp_option(
        "--skip-missing/--no-skip-missing",
        default=None,
        allowed_with_contexts=tree_context,
        help=_(
            "Skip (and name in the task's report) a tree of the releases and arches whose "
            ".treeinfo answers 404, instead of failing the sync."
        ),
    ),
    pulp_option(
        "--include-tags",
        callback=_tags_callback,
        allowed_with_contexts=oci_context,
        help=_(
            "Tags to sync or push, as a JSON list of fnmatch patterns (or @file): "
            '\'["4?", "40-amd64"]\'. Empty or "null" takes every netboot tag.'
        ),
    ),
    pulp_option(
        "--exclude-tags",
        callback=_tags_callback,
        allowed_with_contexts=oci_context,
        help=_(
            "Tags to leave out, as a JSON list of fnmatch patterns (or @file): "
            '\'["*-s390x"]\'. Empty or "null" leaves nothing out.'
        ),
    ),
    pulp_option(
        "--format",
        "formats",
        multiple=True,
        type=click.Choice(NETBOOT_FORMATS),
        callback=lambda ctx, param, value: list(value) or None,
        allowed_with_contexts=oci_context,
        help=_("An artifact format to accept (repeat for several); not given accepts every one."),
    ),
]
upstream_name_help = _("Name of the repository in the registry, e.g. 'fedora/netboot'.")

remote.add_command(list_command(decorators=remote_filter_options))
remote.add_command(show_command(decorators=lookup_options))
remote.add_command(
    create_command(
        decorators=common_remote_create_options
        + bootfiles_remote_options
        + [
            pulp_option(
                "--upstream-name",
                required=True,
                allowed_with_contexts=oci_context,
                help=upstream_name_help,
            ),
            _adapt_common_options,
        ]
    )
)
remote.add_command(
    update_command(
        decorators=lookup_options
        + common_remote_update_options
        + bootfiles_remote_options
        + [
            pulp_option(
                "--upstream-name", allowed_with_contexts=oci_context, help=upstream_name_help
            ),
            _adapt_common_options,
        ]
    )
)
remote.add_command(destroy_command(decorators=lookup_options))
remote.add_command(label_command(decorators=nested_lookup_options))
remote.add_command(role_command(decorators=lookup_options))
