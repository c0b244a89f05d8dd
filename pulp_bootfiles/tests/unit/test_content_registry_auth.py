"""The content app's registry with token authentication on: tokens minted by pulp_container's
own token server (`AuthorizationService`, which applies RBAC and private distributions) are
what let a read through; anything else gets pulp_container's challenge."""

import asyncio
import time

import jwt
import pytest
from aiohttp.test_utils import make_mocked_request
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from pulp_container.app.authorization import AuthorizationService

from pulp_bootfiles.app.models import BootfilesDistribution, BootfilesRepository
from pulp_bootfiles.app.serving.registry import RegistryRoute, TokenCheck
from pulp_bootfiles.tests.fixtures.token_keys import write_token_keys

pytestmark = pytest.mark.django_db
HOST = "registry.example:24816"
TOKEN_SERVER = "http://registry.example:24817/token/"


@pytest.fixture
def token_auth(tmp_path):
    private, public = write_token_keys(tmp_path, "server")
    stranger, _ = write_token_keys(tmp_path, "stranger")
    settings = {
        "TOKEN_AUTH_DISABLED": False,
        "TOKEN_SERVER": TOKEN_SERVER,
        "TOKEN_SIGNATURE_ALGORITHM": "ES256",
        "PUBLIC_KEY_PATH": str(public),
        "PRIVATE_KEY_PATH": str(private),
    }
    with override_settings(**settings):
        yield {"stranger_key": stranger}


@pytest.fixture
def names():
    repository = BootfilesRepository.objects.create(name="registry-auth")
    public = BootfilesDistribution.objects.create(
        name="registry-auth-public", base_path="racks/public", repository=repository
    )
    private = BootfilesDistribution.objects.create(
        name="registry-auth-private",
        base_path="racks/private",
        repository=repository,
        private=True,
    )
    return public.base_path, private.base_path


def token_for(user, name, service=HOST):
    """What pulp_container's token server hands `user` asking to pull `name`."""
    return AuthorizationService(user, service, [f"repository:{name}:pull"]).generate_token()[
        "token"
    ]


def refusal(name, authorization=None):
    route = RegistryRoute("manifest", TokenCheck())
    scheme, _, token = (authorization or "").partition(" ")
    if scheme == "Bearer":
        # Decoded here first, so that its user lookup sees the test's transaction (the route's
        # own lookup runs in another thread); the route then finds it decoded.
        claims = route._tokens._decode(token, HOST)
        if claims is not None:
            route._tokens._decoded.put((token, HOST), claims)
    headers = {"Host": HOST}
    if authorization:
        headers["Authorization"] = authorization
    request = make_mocked_request("GET", f"/v2/{name}/manifests/40", headers=headers)
    return asyncio.run(route._refusal(request, name))


def test_no_token_gets_pulp_containers_challenge(token_auth, names):
    public, _ = names
    answer = refusal(public)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == (
        f'Bearer realm="{TOKEN_SERVER}",service="{HOST}",scope="repository:{public}:pull"'
    )


def test_anonymous_token_reads_a_public_name_only(token_auth, names):
    public, private = names
    anonymous = AnonymousUser()
    assert refusal(public, f"Bearer {token_for(anonymous, public)}") is None
    # The token server grants no pull of a private distribution to anonymous ...
    assert refusal(private, f"Bearer {token_for(anonymous, private)}").status == 401
    # ... and a token for one name does not open another.
    assert refusal(private, f"Bearer {token_for(anonymous, public)}").status == 401


def test_a_users_token_reads_what_rbac_lets_them(token_auth, names):
    _, private = names
    admin = get_user_model().objects.create_superuser(username=f"admin-{time.time_ns()}")
    assert refusal(private, f"Bearer {token_for(admin, private)}") is None
    stranger = get_user_model().objects.create_user(username=f"stranger-{time.time_ns()}")
    assert refusal(private, f"Bearer {token_for(stranger, private)}").status == 401
    token = token_for(stranger, private)
    stranger.delete()  # pulp_container refuses a token whose user is gone
    assert refusal(private, f"Bearer {token}").status == 401


def test_forged_foreign_or_expired_tokens_are_refused(token_auth, names):
    public, _ = names
    good = jwt.decode(token_for(AnonymousUser(), public), options={"verify_signature": False})
    forged = jwt.encode(good, token_auth["stranger_key"].read_bytes(), algorithm="ES256")
    assert refusal(public, f"Bearer {forged}").status == 401
    other_host = token_for(AnonymousUser(), public, service="elsewhere.example")
    assert refusal(public, f"Bearer {other_host}").status == 401
    assert refusal(public, "Bearer not-a-token").status == 401
    assert refusal(public, "Basic YWRtaW46cGFzc3dvcmQ=").status == 401  # tokens only
    # Expired: the token server's own claims and key, its expiry passed.
    expired = dict(good, exp=int(time.time()) - 10, iat=int(time.time()) - 400)
    with open(settings.PRIVATE_KEY_PATH, "rb") as key:
        stale = jwt.encode(expired, key.read(), algorithm="ES256")
    assert refusal(public, f"Bearer {stale}").status == 401
