"""
Routes the plugin adds to pulpcore's content app (pulpcore imports `<plugin>.content` before it
adds its own routes, so these are matched first).

`BOOTFILES_CONTENT_ROUTE` (default True) puts `serving.route.BootRoute` in front of pulpcore's
handler for every path under CONTENT_PATH_PREFIX: a bootfiles distribution's paths are answered
with one query instead of pulpcore's distribution match; everything else is passed on to
pulpcore's handler unchanged. False leaves all paths to pulpcore (the plugin's content handler
still answers its distributions, at pulpcore's per-request cost).

With the route on and domains off, the content app also answers the registry's reads of
bootfiles distributions (`serving.registry`: /v2/ manifests, blobs, tag lists, signatures).

`BOOTFILES_CONTENT_FAST_LANE` (default True) lets a request without credentials reach these
routes without pulpcore's authentication middleware first (`serving.fast_lane`).

`BOOTFILES_CONTENT_WARM_UP` (default True) builds the served versions' indexes when each
content-app process starts, and `BOOTFILES_CONTENT_GC_FREEZE` (default True) then freezes its
startup objects out of the garbage collector's full walks (`serving.startup`).
"""

from aiohttp import web
from django.conf import settings
from pulpcore.plugin.content import Handler, app

from pulp_bootfiles.app.serving import fast_lane, startup
from pulp_bootfiles.app.serving.registry import registry_routes, routes_installable
from pulp_bootfiles.app.serving.route import BootRoute


def content_path_pattern() -> str:
    """pulpcore's own pattern for a path of a distribution (with the domain when enabled)."""
    prefix = settings.CONTENT_PATH_PREFIX
    if settings.DOMAIN_ENABLED:
        prefix += "{pulp_domain}/"
    return prefix + "{path:.+}"


if settings.BOOTFILES_CONTENT_ROUTE:
    routes = app.add_routes([web.get(content_path_pattern(), BootRoute(Handler().stream_content))])
    token_routes = app.add_routes(registry_routes()) if routes_installable() else []
    fast_lane.install(app, routes, token_routes)
startup.install(app)
