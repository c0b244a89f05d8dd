"""
The fast lane: a request to one of the plugin's content-app routes that carries no credentials
goes straight to the route, without pulpcore's authentication middleware first.

Why: that middleware runs on every content-app request, whatever the route. It converts the
request to Django's, runs DRF's authentication classes and reads the domain's row, on the one
database thread of a content-app process. For a rack's small requests (config probes, configs,
registry polls) that was about half of a request's busy time, and every request waited for it
in the same queue. A request without credentials can only authenticate as the anonymous user,
and what the plugin's routes answer themselves does not depend on the user: they leave every
distribution with a content guard, and every path they do not serve, to pulpcore. So for those
requests the middleware's work changes nothing but the time.

What still goes through the middleware, exactly as before:
- a request with credentials (an `Authorization` header, or the remote-user header a front
  proxy sets): a wrong password is still logged. On the registry's routes a Bearer token is
  not one of those: it is the token server's, which only the route itself reads;
- everything a route passes on: the route calls the rest of pulpcore's chain (`pass_on`),
  which authenticates and then reaches the route again, which then leaves it to pulpcore;
- every path outside the plugin's routes.

It is only installed where its assumptions hold (`installable`): domains off (the route then
serves the default domain, which `get_domain()` gives without the middleware), OpenTelemetry
off (its middleware comes after authentication and would be skipped), and pulpcore's
middleware found where expected. `BOOTFILES_CONTENT_FAST_LANE = False` turns it off.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from pulpcore.plugin.util import get_domain

# pulpcore's content-app authentication middleware, by name: it is not a plugin API object.
AUTHENTICATION_MIDDLEWARE = ("pulpcore.content.authentication", "authenticate")
REST_OF_CHAIN = "bootfiles.rest_of_chain"  # the middlewares the lane skipped, then the route
PASSED_ON = "bootfiles.passed_on"  # the route already decided to leave this request to pulpcore


def _is_authentication(middleware) -> bool:
    name = (getattr(middleware, "__module__", None), getattr(middleware, "__name__", None))
    return name == AUTHENTICATION_MIDDLEWARE


def _credential_headers() -> tuple[str, ...]:
    """The headers pulpcore's authentication classes read: Basic/Bearer, and those a front
    proxy sets, named as WSGI keys (REMOTE_USER_ENVIRON_NAME, AUTHENTICATION_JSON_HEADER:
    HTTP_REMOTE_USER -> Remote-User). "Authorization" comes first (see _has_credentials)."""
    headers = ["Authorization"]
    for setting in ("REMOTE_USER_ENVIRON_NAME", "AUTHENTICATION_JSON_HEADER"):
        environ_name = getattr(settings, setting, "") or ""
        if environ_name.startswith("HTTP_"):
            headers.append(environ_name[len("HTTP_") :].replace("_", "-"))
    return tuple(headers)


class FastLane:
    """The middleware; `routes` are the plugin's aiohttp routes, whose handlers it may call
    directly (as registered: aiohttp wraps a handler object in a function of its own)."""

    __middleware_version__ = 1  # what aiohttp's `web.middleware` marks: a new-style middleware

    def __init__(self, routes, token_routes=()):
        self._routes = frozenset(routes) | frozenset(token_routes)
        self._token_routes = frozenset(token_routes)
        self._credential_headers = _credential_headers()
        self._default_domain_loaded = False

    async def __call__(self, request, handler):
        if request.match_info.route not in self._routes or self._has_credentials(request):
            return await handler(request)
        if not self._default_domain_loaded:
            # get_domain() caches the default domain on first use; that read must not run on
            # the event loop.
            await sync_to_async(get_domain)()
            self._default_domain_loaded = True
        request[REST_OF_CHAIN] = handler
        return await request.match_info.handler(request)

    def _has_credentials(self, request) -> bool:
        if not any(name in request.headers for name in self._credential_headers):
            return False
        if request.match_info.route in self._token_routes:
            authorization = request.headers.get("Authorization", "")
            remote_user = any(n in request.headers for n in self._credential_headers[1:])
            return remote_user or not authorization.lower().startswith("bearer ")
        return True


def on_fast_lane(request) -> bool:
    """Whether `request` reached the route without pulpcore's authentication middleware."""
    return request.get(REST_OF_CHAIN) is not None and not request.get(PASSED_ON)


async def pass_on(request, pulpcore_handler):
    """Leave `request` to pulpcore: through the middlewares the lane skipped when it took the
    lane (they call the route again, which then comes straight here), else to the handler."""
    rest = request.get(REST_OF_CHAIN)
    if rest is None or request.get(PASSED_ON):
        return await pulpcore_handler(request)
    request[PASSED_ON] = True
    return await rest(request)


def installable() -> bool:
    return (
        settings.BOOTFILES_CONTENT_FAST_LANE
        and not settings.DOMAIN_ENABLED
        and not getattr(settings, "OTEL_ENABLED", False)
    )


def install(app, routes, token_routes=()) -> bool:
    """Put the lane right before pulpcore's authentication middleware of `app` (before the app
    starts, while its middleware list can still change). False if it was not installed.
    `token_routes` read Bearer tokens themselves (the registry's)."""
    if not installable():
        return False
    middlewares = app.middlewares
    position = next((i for i, m in enumerate(middlewares) if _is_authentication(m)), None)
    if position is None:
        return False
    middlewares.insert(position, FastLane(routes, token_routes))
    return True
