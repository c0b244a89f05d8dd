"""The fast lane past pulpcore's content-app authentication: where it is installed, which
requests take it, and how a request the route leaves to pulpcore gets authenticated first."""

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from django.test import override_settings

from pulp_bootfiles.app.serving import fast_lane


async def authenticate(request, handler):  # stands for pulpcore's, by its module and name
    request["authenticated"] = True
    return await handler(request)


authenticate.__module__, authenticate.__name__ = fast_lane.AUTHENTICATION_MIDDLEWARE
authenticate.__middleware_version__ = 1


@web.middleware
async def guid(request, handler):
    return await handler(request)


def test_installed_right_before_pulpcores_authentication():
    app = web.Application(middlewares=[guid, authenticate])
    assert fast_lane.install(app, [])
    assert [type(m) for m in app.middlewares] == [type(guid), fast_lane.FastLane, type(guid)]
    assert app.middlewares[2] is authenticate


@pytest.mark.parametrize(
    "overrides",
    [{"DOMAIN_ENABLED": True}, {"OTEL_ENABLED": True}, {"BOOTFILES_CONTENT_FAST_LANE": False}],
    ids=["domains", "otel", "off"],
)
def test_not_installed_where_its_assumptions_do_not_hold(overrides):
    app = web.Application(middlewares=[guid, authenticate])
    with override_settings(**overrides):
        assert not fast_lane.install(app, [])
    assert list(app.middlewares) == [guid, authenticate]


def test_not_installed_without_pulpcores_middleware():
    app = web.Application(middlewares=[guid])
    assert not fast_lane.install(app, [])


class Route:
    """A route handler that passes everything on, as BootRoute does for what it leaves."""

    def __init__(self):
        self.calls = []

    async def __call__(self, request):
        self.calls.append(bool(request.get("authenticated")))
        if request.get(fast_lane.PASSED_ON):
            return web.Response(text="pulpcore")
        if "/mine" in request.path:
            return web.Response(text="route")
        return await fast_lane.pass_on(request, self.pulpcore)

    async def pulpcore(self, request):
        return web.Response(text="pulpcore")


async def _serve(path, headers=None):
    app = web.Application(middlewares=[guid, authenticate])
    route = Route()
    routes = app.router.add_routes([web.get("/pulp/content/{path:.+}", route)])
    token_routes = app.router.add_routes([web.get("/v2/{name:.+}/manifests/{reference}", route)])
    fast_lane.install(app, routes, token_routes)
    app.freeze()
    request = make_mocked_request("GET", path, headers=headers or {}, app=app)
    match_info = await app.router.resolve(request)
    match_info.add_app(app)
    request._match_info = match_info
    response = await app._handle(request)
    return response.text, route.calls


@pytest.mark.django_db
def test_a_request_without_credentials_skips_authentication():
    assert asyncio.run(_serve("/pulp/content/rack/mine")) == ("route", [False])


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Authorization", "Remote-User", "X-Rh-Identity"])
def test_a_request_with_credentials_is_authenticated_first(header):
    with override_settings(
        REMOTE_USER_ENVIRON_NAME="HTTP_REMOTE_USER", AUTHENTICATION_JSON_HEADER="HTTP_X_RH_IDENTITY"
    ):
        assert asyncio.run(_serve("/pulp/content/rack/mine", {header: "x"})) == ("route", [True])


@pytest.mark.django_db
def test_what_the_route_passes_on_is_authenticated_before_pulpcore_sees_it():
    """The lane's request reaches the route unauthenticated; passed on, it goes through the
    skipped middlewares, reaches the route again, and only then pulpcore's handler."""
    assert asyncio.run(_serve("/pulp/content/rack/other")) == ("pulpcore", [False, True])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header, authenticated",
    [("Bearer x", False), ("Basic eA==", True)],
    ids=["bearer", "basic"],
)
def test_the_registrys_routes_read_bearer_tokens_themselves(header, authenticated):
    """A Bearer token is the token server's: only the registry route reads it, so it does not
    send the request through pulpcore's middleware; Basic credentials still do."""
    served = asyncio.run(_serve("/v2/rack/mine/manifests/40", {"Authorization": header}))
    assert served == ("route", [authenticated])
