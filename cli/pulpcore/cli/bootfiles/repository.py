"""`pulp bootfiles repository ...`: repositories of netboot trees, their versions, sync, push
to a registry and signing."""

import typing as t

import click

from pulp_glue.bootfiles.context import (
    PulpBootfilesFileContentContext,
    PulpBootfilesOCIRemoteContext,
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
from pulp_glue.core.context import PulpSigningServiceContext

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
    pulp_option,
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

# As pulp-cli's plugins with several remote types (ansible, rpm): the type is a prefix of the
# name, '[[<plugin>:]<type>:]<name>', or follows from the href.
remote_option = resource_option(
    "--remote",
    default_plugin="bootfiles",
    default_type="bootfiles",
    context_table={
        "bootfiles:bootfiles": PulpBootfilesRemoteContext,
        "bootfiles:oci": PulpBootfilesOCIRemoteContext,
    },
    href_pattern=PulpRemoteContext.HREF_PATTERN,
    help=_(
        "Remote to sync from, by name or href: a tree remote ('[[bootfiles:]bootfiles:]<name>') "
        "or an OCI remote ('[bootfiles:]oci:<name>')."
    ),
)
push_remote_option = resource_option(
    "--remote",
    default_plugin="bootfiles",
    default_type="oci",
    context_table={"bootfiles:oci": PulpBootfilesOCIRemoteContext},
    href_pattern=PulpRemoteContext.HREF_PATTERN,
    required=True,
    help=_(
        "OCI remote to push to, by name or href ('[[bootfiles:]oci:]<name>'): its registry, "
        "repository name, credentials and tag filters."
    ),
)


def signing_service_option(help: str) -> t.Callable[[t.Any], t.Any]:
    """pulp_container's manifest signing services, as pulp-cli's rpm --metadata-signing-service."""
    return resource_option(
        "--manifest-signing-service",
        default_plugin="core",
        default_type="core",
        context_table={"core:core": PulpSigningServiceContext},
        href_pattern=PulpSigningServiceContext.HREF_PATTERN,
        help=help,
    )


manifest_signing_service_option = signing_service_option(
    _(
        "Manifest signing service (container:ManifestSigningService), by name or href, that "
        "`sign` uses unless told another. Empty clears it."
    )
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
    manifest_signing_service_option,
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


@repository.command()
@name_option
@href_option
@repository_lookup_option
@push_remote_option
@pulp_option(
    "--version",
    type=click.IntRange(min=0),
    help=_("Version number to push; the latest one without it."),
)
@pass_repository_context
def push(
    repository_ctx: PulpRepositoryContext,
    /,
    remote: EntityFieldDefinition,
    version: int | None,
) -> None:
    """
    Push a repository version's netboot OCI artifacts (per-arch manifests, indexes, tags,
    blobs) to the registry of an OCI remote, and wait for the task.

    The tags pushed are those the remote's include/exclude tag patterns select.
    """
    assert isinstance(repository_ctx, PulpBootfilesRepositoryContext)
    assert isinstance(remote, PulpBootfilesOCIRemoteContext)
    repository_ctx.push(remote=remote, version=version)


@repository.command()
@name_option
@href_option
@repository_lookup_option
@signing_service_option(
    _("Manifest signing service to sign with, by name or href; the repository's without it.")
)
@pulp_option(
    "--future-base-path",
    help=_(
        "Base path the signatures name ('<registry host>/<base path>'); needed unless exactly "
        "one distribution serves the repository (then its base path is used)."
    ),
)
@pulp_option(
    "--tag",
    "tags",
    multiple=True,
    help=_("Sign only this tag (repeat for more); all tags without it."),
)
@pass_repository_context
def sign(
    repository_ctx: PulpRepositoryContext,
    /,
    manifest_signing_service: EntityFieldDefinition,
    future_base_path: str | None,
    tags: t.Sequence[str],
) -> None:
    """
    Sign the tagged manifests and indexes of the latest version with a manifest signing
    service (pulp_container's signing), into a new version, and wait for the task.

    Without --manifest-signing-service, the repository's own is used.
    """
    assert isinstance(repository_ctx, PulpBootfilesRepositoryContext)
    repository_ctx.sign(
        manifest_signing_service=manifest_signing_service or None,
        future_base_path=future_base_path,
        tags=tags,
    )
