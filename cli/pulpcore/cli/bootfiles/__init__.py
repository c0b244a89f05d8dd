"""`pulp bootfiles ...`: pulp-cli commands for the pulp_bootfiles Pulp plugin."""

import typing as t

import click

from pulp_glue.common.i18n import get_translation

from pulp_cli.generic import pulp_group
from pulpcore.cli.bootfiles.content import content
from pulpcore.cli.bootfiles.distribution import distribution
from pulpcore.cli.bootfiles.pull import pull_command
from pulpcore.cli.bootfiles.remote import remote
from pulpcore.cli.bootfiles.repository import repository

translation = get_translation(__package__)
_ = translation.gettext

__version__ = "0.1.0.dev0"


@pulp_group(
    name="bootfiles",
    help=_("Network-install files (kernels, initrds, bootloaders) from Fedora-style trees."),
)
def bootfiles_group() -> None:
    pass


def mount(main: click.Group, **kwargs: t.Any) -> None:
    bootfiles_group.add_command(remote)
    bootfiles_group.add_command(repository)
    bootfiles_group.add_command(distribution)
    bootfiles_group.add_command(content)
    bootfiles_group.add_command(pull_command)
    main.add_command(bootfiles_group)
