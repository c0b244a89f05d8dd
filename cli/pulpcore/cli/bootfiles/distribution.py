"""`pulp bootfiles distribution ...`: serve a repository as OCI artifacts and plain files."""

import click

from pulp_glue.bootfiles.context import (
    PulpBootfilesDistributionContext,
    PulpBootfilesRepositoryContext,
)
from pulp_glue.common.i18n import get_translation

from pulp_cli.generic import (
    common_distribution_create_options,
    content_guard_option,
    create_command,
    destroy_command,
    distribution_filter_options,
    distribution_lookup_option,
    href_option,
    label_command,
    list_command,
    name_option,
    pulp_group,
    pulp_labels_option,
    pulp_option,
    resource_option,
    role_command,
    show_command,
    type_option,
    update_command,
)
from pulpcore.cli.bootfiles.distribution_verify import verify_command

translation = get_translation(__package__)
_ = translation.gettext

repository_option = resource_option(
    "--repository",
    default_plugin="bootfiles",
    default_type="bootfiles",
    context_table={"bootfiles:bootfiles": PulpBootfilesRepositoryContext},
    href_pattern=PulpBootfilesRepositoryContext.HREF_PATTERN,
    help=_(
        "Repository to serve, by name or href ('[[bootfiles:]bootfiles:]<name>'): its latest "
        "version, or the one given by --version."
    ),
)


@pulp_group()
@type_option(choices={"bootfiles": PulpBootfilesDistributionContext})
def distribution() -> None:
    """
    Manage bootfiles distributions. Each serves a repository (version) at once as netboot OCI
    artifacts ('oci_references', under 'registry_path') and as plain files (under 'base_url').
    """


lookup_options = [href_option, name_option, distribution_lookup_option]
nested_lookup_options = [distribution_lookup_option]
update_options = [
    repository_option,
    pulp_option(
        "--version",
        type=int,
        help=_(
            "Serve this version number of the repository (fixed); "
            "without it the latest version is served."
        ),
    ),
    content_guard_option,
    pulp_option(
        "--private/--no-private",
        default=None,
        help=_("Restrict registry pulls to users with the pull permission."),
    ),
    pulp_labels_option,
    pulp_option(
        "--kernel-args",
        help=_(
            "Extra kernel arguments the generated boot configs (boot.ipxe, grub.cfg, "
            "pxelinux.cfg/default) add after inst.stage2, e.g. "
            "'inst.ks=http://ks.example.com/web.cfg console=ttyS0'. Empty removes them."
        ),
    ),
    pulp_option(
        "--boot-origin",
        help=_(
            "Origin ('http://host:port') at which booting machines reach the content app, "
            "for the URLs in the generated boot configs. Empty: the server's CONTENT_ORIGIN."
        ),
    ),
]
create_options = common_distribution_create_options + update_options

distribution.add_command(list_command(decorators=distribution_filter_options))
distribution.add_command(
    show_command(
        decorators=lookup_options,
        help=_(
            "Show a {entity}, with its OCI pull references ('oci_references', "
            "'registry_path') and the base URL of its plain files ('base_url')."
        ),
    )
)
distribution.add_command(create_command(decorators=create_options))
distribution.add_command(
    update_command(decorators=lookup_options + update_options + [click.option("--base-path")])
)
distribution.add_command(destroy_command(decorators=lookup_options))
distribution.add_command(label_command(decorators=nested_lookup_options))
distribution.add_command(role_command(decorators=lookup_options))
distribution.add_command(verify_command)
