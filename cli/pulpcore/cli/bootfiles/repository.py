"""`pulp bootfiles repository ...`: repositories of netboot trees, their versions and sync."""

import click

from pulp_glue.bootfiles.context import (
    PulpBootfilesFileContentContext,
    PulpBootfilesRemoteContext,
    PulpBootfilesRepositoryContext,
    PulpBootfilesTreeContentContext,
)
from pulp_glue.common.context import (
    EntityFieldDefinition,
    PulpRemoteContext,
    PulpRepositoryContext,
)
from pulp_glue.common.i18n import get_translation

from pulp_cli.generic import (
    create_command,
    destroy_command,
    href_option,
    label_command,
    label_select_option,
    list_command,
    name_filter_options,
    name_option,
    pass_repository_context,
    pulp_group,
    pulp_labels_option,
    repository_content_command,
    repository_href_option,
    repository_lookup_option,
    resource_option,
    retained_versions_option,
    role_command,
    show_command,
    type_option,
    update_command,
    version_command,
)
from pulpcore.cli.bootfiles.content import common_filter_options, list_type_option
from pulpcore.cli.core.generic import task_command

translation = get_translation(__package__)
_ = translation.gettext

remote_option = resource_option(
    "--remote",
    default_plugin="bootfiles",
    default_type="bootfiles",
    context_table={"bootfiles:bootfiles": PulpBootfilesRemoteContext},
    href_pattern=PulpRemoteContext.HREF_PATTERN,
    help=_("Remote to sync from, by name or href ('[[bootfiles:]bootfiles:]<name>')."),
)


@pulp_group()
@type_option(choices={"bootfiles": PulpBootfilesRepositoryContext})
def repository() -> None:
    """Manage bootfiles repositories: one tree per (release, arch) of one OS family."""


lookup_options = [href_option, name_option, repository_lookup_option]
nested_lookup_options = [repository_href_option, repository_lookup_option]
update_options = [
    click.option("--description"),
    remote_option,
    retained_versions_option,
    pulp_labels_option,
]
create_options = update_options + [click.option("--name", required=True)]

repository.add_command(list_command(decorators=name_filter_options + [label_select_option]))
repository.add_command(show_command(decorators=lookup_options))
repository.add_command(create_command(decorators=create_options))
repository.add_command(update_command(decorators=lookup_options + update_options))
repository.add_command(destroy_command(decorators=lookup_options))
repository.add_command(task_command(decorators=nested_lookup_options))
repository.add_command(version_command(decorators=nested_lookup_options))
repository.add_command(label_command(decorators=nested_lookup_options))
repository.add_command(role_command(decorators=lookup_options))
repository.add_command(
    repository_content_command(
        contexts={
            "file": PulpBootfilesFileContentContext,
            "tree": PulpBootfilesTreeContentContext,
        },
        base_default_plugin="bootfiles",
        base_default_type="bootfiles",
        list_decorators=[list_type_option, *common_filter_options],
        help=_("List the files (--type file, the default) or trees of a repository version."),
    )
)


@repository.command()
@name_option
@href_option
@repository_lookup_option
@remote_option
@click.option(
    "--mirror/--no-mirror",
    default=None,
    help=_(
        "--mirror leaves only the synced tree in the new version; --no-mirror (the server's "
        "default) keeps the trees of other (release, arch) pairs."
    ),
)
@pass_repository_context
def sync(
    repository_ctx: PulpRepositoryContext,
    /,
    remote: EntityFieldDefinition,
    mirror: bool | None,
) -> None:
    """
    Sync a tree into the repository and wait for the task.

    Without --remote, the repository's own remote is used.
    """
    assert isinstance(repository_ctx, PulpBootfilesRepositoryContext)
    repository_ctx.sync(remote=remote or None, mirror=mirror)
