"""Which content guard can sign the registry's redirects of a distribution to the content app."""

from pulpcore.plugin.models import ContentRedirectContentGuard


def signing_guard(guard):
    """
    The guard that can sign the registry's redirects to the content app, if there is one.

    That is a content-redirect guard set as the distribution's guard or as a member of its
    composite guard. Other guards (RBAC, header, certificate) cannot sign a URL: pulp_container
    assumes they can and fails with a server error.
    """
    if guard is None:
        return None
    guard = guard.cast()
    if isinstance(guard, ContentRedirectContentGuard):
        return guard
    members = guard.guards.all() if hasattr(guard, "guards") else ()  # a composite guard
    for member in members:
        member = member.cast()
        if isinstance(member, ContentRedirectContentGuard):
            return member
    return None
