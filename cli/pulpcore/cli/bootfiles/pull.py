"""`pulp bootfiles pull`: keep a TFTP/HTTP boot root in step with a netboot artifact."""

import click

from pulp_glue.bootfiles.pull import LAYOUTS, PullError, pull
from pulp_glue.common.i18n import get_translation

translation = get_translation(__package__)
_ = translation.gettext


@click.command(
    name="pull",
    help=_(
        "Pull REFERENCE (<registry>/<base_path>:<tag>) into DEST as LAYOUT, needing only the "
        "registry. Only layers DEST lacks are downloaded, every digest is checked, and the new "
        "set replaces the old one with one rename: a boot server never serves a half-updated "
        "set, and a refused or interrupted pull leaves the old one in place."
    ),
)
@click.argument("reference")
@click.option("--dest", required=True, type=click.Path(file_okay=False), help=_("Directory."))
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="flat",
    show_default=True,
    help=_(
        "flat: the titles, as oras pulls them; tftp: a TFTP/HTTP root with pxelinux.cfg and "
        "grub.cfg; foreman: bootloader-universe/pxegrub2/<os>/<release>/<arch>/; nboci: "
        "<os>/<release>/<arch>/ with boot links."
    ),
)
@click.option(
    "--arch",
    "arches",
    multiple=True,
    help=_("Architecture of an index to pull (x86_64 or amd64, ...); default: every one."),
)
@click.option("--exclude", multiple=True, help=_("Leave out layers whose title matches."))
@click.option(
    "--policy",
    type=click.Path(dir_okay=False, exists=True),
    help=_(
        "containers policy.json the tag's manifest must satisfy: signedBy (GPGKeys) or "
        "sigstoreSigned (cosign public keys, from the sha256-<hex>.sig attachment)."
    ),
)
@click.option("--stage2", default="", help=_("inst.stage2 URL for the tftp layout's configs."))
@click.option("--kernel-args", default="", help=_("Extra kernel arguments for those configs."))
@click.option("--plain-http", is_flag=True, help=_("Talk to the registry over plain HTTP."))
@click.option(
    "--tls-verify/--no-tls-verify", default=True, help=_("Verify the registry's certificate.")
)
@click.option("--username", help=_("Registry username (Basic or Bearer token auth)."))
@click.option("--password", help=_("Registry password."))
def pull_command(reference, dest, layout, arches, exclude, policy, **options) -> None:
    try:
        result = pull(
            reference,
            dest,
            layout,
            arches=arches,
            exclude=exclude,
            policy=policy,
            progress=lambda message: click.echo(message, err=True),
            **options,
        )
    except PullError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{'updated' if result.changed else 'unchanged'}: set {result.set_id}, "
        f"{len(result.downloaded)} downloaded, {len(result.reused)} reused"
    )
