"""`pulp bootfiles content ...`: the read-only files and trees that sync makes."""

import click

from pulp_glue.bootfiles.context import (
    PulpBootfilesFileContentContext,
    PulpBootfilesTreeContentContext,
)
from pulp_glue.common.context import PulpContentContext, PulpEntityContext
from pulp_glue.common.i18n import get_translation

from pulp_cli.generic import (
    PulpCLIContext,
    content_filter_options,
    href_callback,
    href_option,
    label_command,
    list_command,
    option_processor,
    pulp_group,
    pulp_option,
    show_command,
    type_option,
)

translation = get_translation(__package__)
_ = translation.gettext

CONTENT_TYPES: dict[str, type[PulpContentContext]] = {
    "file": PulpBootfilesFileContentContext,
    "tree": PulpBootfilesTreeContentContext,
}
# Filters of one content type only: {option name: type}.
TYPE_FILTERS = {
    "name": "file",
    "relative_path": "file",
    "sha256": "file",
    "source_package": "file",
    "family": "tree",
    "variant": "tree",
    "digest": "tree",
}


def _list_type_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """`content list --type tree` works like `content --type tree list`."""
    if value is not None:
        pulp_ctx = ctx.find_object(PulpCLIContext)
        assert pulp_ctx is not None
        ctx.obj = CONTENT_TYPES[value](pulp_ctx)


def _check_type_filters(ctx: click.Context) -> None:
    entity_ctx = ctx.find_object(PulpEntityContext)
    for name, content_type in TYPE_FILTERS.items():
        if ctx.params.get(name) is not None and type(entity_ctx) is not CONTENT_TYPES[content_type]:
            raise click.UsageError(
                _("--{option} applies to --type {type} only.").format(
                    option=name.replace("_", "-"), type=content_type
                )
            )


def _show_href_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Pick the content type from the href or PRN, so `content show --href` needs no --type."""
    if value is None:
        return
    pulp_ctx = ctx.find_object(PulpCLIContext)
    assert pulp_ctx is not None
    for context_class in CONTENT_TYPES.values():
        if f"/content/bootfiles/{context_class.RESOURCE_TYPE}/" in value or value.startswith(
            f"prn:bootfiles.{context_class.MODEL}:"
        ):
            ctx.obj = context_class(pulp_ctx)
    href_callback()(ctx, param, value)


show_href_option = pulp_option(
    "--href",
    required=True,
    expose_value=False,
    callback=_show_href_callback,
    help=_("HREF or PRN of the file or tree."),
)
list_type_option = pulp_option(
    "-t",
    "--type",
    "content_type",
    type=click.Choice(list(CONTENT_TYPES), case_sensitive=False),
    is_eager=True,
    expose_value=False,
    callback=_list_type_callback,
    help=_("Content type to list: file (the default) or tree."),
)
common_filter_options = [
    pulp_option("--arch", help=_("Filter by architecture (e.g. x86_64).")),
    pulp_option("--release", help=_("Filter by release (e.g. 40).")),
]
filter_options = [
    list_type_option,
    *common_filter_options,
    pulp_option("--name", help=_("Filter files by flat file name (e.g. vmlinuz).")),
    pulp_option(
        "--relative-path",
        help=_("Filter files by path in the tree or package (e.g. images/pxeboot/vmlinuz)."),
    ),
    pulp_option("--sha256", help=_("Filter files by SHA-256.")),
    pulp_option("--source-package", help=_("Filter files by the NEVRA of the RPM they come from.")),
    pulp_option("--family", help=_("Filter trees by family (e.g. Fedora).")),
    pulp_option("--variant", help=_("Filter trees by variant (e.g. Everything).")),
    pulp_option("--digest", help=_("Filter trees by tree digest.")),
    *content_filter_options,
    option_processor(callback=_check_type_filters),
]


@pulp_group()
@type_option(choices=CONTENT_TYPES)
def content() -> None:
    """
    Browse bootfiles content: files (kernels, initrds, images, bootloaders; --type file,
    the default) and trees (one per synced release and arch; --type tree).
    """


content.add_command(list_command(decorators=filter_options))
content.add_command(show_command(decorators=[show_href_option]))
content.add_command(label_command(decorators=[href_option]))
