"""Route pulp_container's manifest PUTs and registry DELETEs through `views`."""

from pulp_container.app.registry_api import Blobs, BlobUploads, Manifests, Signatures

from pulp_bootfiles.app.compat import REGISTRY_CHECKS_PUSH_ENABLED, REGISTRY_TAKES_DELETES
from pulp_bootfiles.app.oci.push_in.views import (
    BootfilesBlobs,
    BootfilesBlobUploads,
    BootfilesManifests,
    BootfilesSignatures,
)

# pulp_container's view, the methods routed, and the subclass that takes them.
ROUTED = {Manifests: ({"PUT"}, BootfilesManifests)}
if REGISTRY_TAKES_DELETES:
    ROUTED[Manifests] = ({"PUT", "DELETE"}, BootfilesManifests)
    ROUTED[Blobs] = ({"DELETE"}, BootfilesBlobs)
if REGISTRY_CHECKS_PUSH_ENABLED:
    # Every request that reaches the push gate (compat.PushesIntoBootfilesDistributions).
    ROUTED[BlobUploads] = ({"POST", "PATCH", "PUT"}, BootfilesBlobUploads)
    ROUTED[Signatures] = ({"PUT"}, BootfilesSignatures)


class BootfilesPushMiddleware:
    """
    Serve a manifest PUT with `BootfilesManifests`, pulp_container's view with our check first,
    and registry DELETEs with views that refuse them for bootfiles distributions.

    pulp_container has no hook for checking what is pushed, and Django's URL patterns are
    tried in plugin order, which is install order: a route of our own could not reliably come
    first. Swapping the view here, after URL resolution and before the view runs, always
    applies; the view still authenticates and authorizes the request as pulp_container's
    does, and leaves pushes into other distributions to pulp_container.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        methods, subclass = ROUTED.get(getattr(view_func, "cls", None), ((), None))
        if request.method not in methods:
            return None
        view = subclass.as_view(view_func.actions, **view_func.initkwargs)
        return view(request, *view_args, **view_kwargs)
