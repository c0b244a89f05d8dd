"""The plugin's access conditions, named in its access policies beside pulpcore's own."""

from django.conf import settings
from pulpcore.plugin.models import Remote
from pulpcore.plugin.viewsets import NamedModelViewSet
from rest_framework.exceptions import ValidationError

from pulp_bootfiles.app.models import BootfilesOCIRemote

VIEW_TREE_REMOTE = "bootfiles.view_bootfilesremote"
VIEW_OCI_REMOTE = "bootfiles.view_bootfilesociremote"


def has_remote_param_view_perms(request, view, action):
    """
    The user may view the remote the request names, whichever of the two remote types it is.

    pulpcore's has_remote_param_* conditions check one permission, which fits one remote type;
    a repository here syncs from (and pushes to) tree remotes and OCI remotes. The permission is
    the view permission of the named remote's own type, held on the model, the domain or the
    remote. True when the request names no remote (the repository's own was checked when set).
    """
    href = request.data.get("remote") if hasattr(request.data, "get") else None
    if not href:
        return True
    if not isinstance(href, str):
        # pulpcore's resolver takes a string; anything else is the request's error, not a 500.
        raise ValidationError({"remote": "Expected the href or PRN of a remote."})
    remote = NamedModelViewSet.get_resource(href, Remote).cast()
    permission = VIEW_OCI_REMOTE if isinstance(remote, BootfilesOCIRemote) else VIEW_TREE_REMOTE
    user = request.user
    return (
        user.has_perm(permission)
        or (settings.DOMAIN_ENABLED and user.has_perm(permission, request.pulp_domain))
        or user.has_perm(permission, remote)
    )
