"""`pulp bootfiles distribution verify`: which netboot tags a distribution serves signed, by
whom, and which a boot server with a given policy.json would refuse."""

from urllib.parse import urlparse

import click

from pulp_glue.bootfiles.pull.verify import ACCEPTED, REFUSED, VerifyError, verify
from pulp_glue.common.context import PulpEntityContext
from pulp_glue.common.i18n import get_translation

from pulp_cli.generic import (
    PulpCLIContext,
    distribution_lookup_option,
    href_option,
    name_option,
    pass_entity_context,
    pass_pulp_context,
    pulp_command,
)

translation = get_translation(__package__)
_ = translation.gettext

# The exit status when a policy refuses a tag (1: the registry or the policy could not be read).
REFUSED_STATUS = 3


@pulp_command(
    name="verify",
    help=_(
        "Report every netboot tag the {entity}'s registry repository serves (release tags and "
        "<release>-<goarch> tags; sha256-<hex>.sig attachments are counted as the signatures "
        "of the tag they sign, other tags are left out): its manifest digest, the simple "
        "signatures (the issuer key of each) and sigstore signatures found, and with --policy "
        "the verdict a boot server's `pulp bootfiles pull --policy` would reach: accepted (by "
        "which requirement and key) or refused (why).\n\n"
        "Exit status: 0 when no policy is given or the policy accepts every tag reported, "
        f"{REFUSED_STATUS} when it refuses any, 1 when the registry or the policy cannot be "
        "read: a gate for a capsule rollout."
    ),
)
@href_option
@name_option
@distribution_lookup_option
@click.option(
    "--policy",
    type=click.Path(dir_okay=False, exists=True),
    help=_("containers policy.json to judge each tag's manifest by (signedBy, sigstoreSigned)."),
)
@click.option(
    "--registry",
    metavar="HOST[:PORT]",
    help=_(
        "Registry to ask, e.g. a capsule's; default: the API's host:port (pulp_container "
        "serves /v2/ beside the API), as the distribution's registry_path names it."
    ),
)
@click.option(
    "--plain-http",
    is_flag=True,
    help=_(
        "Talk to the registry over plain HTTP (the default for an http:// API and no --registry)."
    ),
)
@click.option(
    "--tls-verify/--no-tls-verify", default=True, help=_("Verify the registry's certificate.")
)
@click.option("--username", help=_("Registry username (Basic or Bearer token auth)."))
@click.option("--password", help=_("Registry password."))
@pass_entity_context
@pass_pulp_context
@click.pass_context
def verify_command(
    ctx: click.Context,
    pulp_ctx: PulpCLIContext,
    distribution_ctx: PulpEntityContext,
    /,
    policy: str | None,
    registry: str | None,
    plain_http: bool,
    **options,
) -> None:
    path = distribution_ctx.entity["registry_path"]  # "<API host:port>/<base_path>"
    if registry:
        path = f"{registry.rstrip('/')}/{path.split('/', 1)[1]}"
    elif urlparse(pulp_ctx.api.base_url).scheme == "http":
        plain_http = True
    try:
        reports = verify(path, policy, plain_http=plain_http, **options)
    except VerifyError as exc:
        raise click.ClickException(str(exc)) from exc
    pulp_ctx.output_result([report.as_dict() for report in reports])
    if not reports:
        click.echo(_("{path}: no netboot tags").format(path=path), err=True)
    if policy is None:
        return
    refused = [report for report in reports if report.verdict == REFUSED]
    for report in refused:
        click.echo(_("refused: {tag}: {why}").format(tag=report.tag, why=report.refusal), err=True)
    accepted = sum(report.verdict == ACCEPTED for report in reports)
    click.echo(
        _("{path}: {accepted} of {count} tags accepted, {refused} refused").format(
            path=path, accepted=accepted, count=len(reports), refused=len(refused)
        ),
        err=True,
    )
    if refused:
        ctx.exit(REFUSED_STATUS)
