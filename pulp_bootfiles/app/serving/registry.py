"""
The registry's read side for bootfiles distributions, on the content app: `/v2/` (the version
check), manifests by tag or digest, blobs, tag lists, and pulp_container's signature
extension (`/extensions/v2/.../signatures/<digest>`), GET and HEAD.

Why: a site keeps its boot servers in step by running `pulp bootfiles pull` on a timer on
every one of them, and most of the time nothing changed: each asks for a tag's manifest and
gets the one it has. Through pulp_container's registry each such request runs in an API worker
through Django, DRF and half a dozen queries, and each blob is a redirect to the content app:
twenty boot servers polling got about a tenth of docker-registry's throughput. Here one row
read per request (batched as the plain route's are) finds the distribution, and the served
version's tags, manifests and blobs are kept per process (`registry_view`); blobs are sent
from storage directly.

What is served here, and what is left where it was:
- only bootfiles distributions without a content guard or a checkpoint, and only with domains
  off (`routes_installable`); every other name is `NAME_UNKNOWN`. Pushes, deletes, uploads and
  every other distribution stay with pulp_container's registry beside the API, unchanged;
- authentication and authorization are pulp_container's: with token authentication on
  (`TOKEN_AUTH_DISABLED = False`), every request needs a Bearer token of Pulp's token server
  whose access names the repository for `pull` (the token server decides who gets one, with
  RBAC and private distributions exactly as for pulp_container's registry), else 401 with the
  same challenge; with it off, reads are open and a request with Basic credentials must carry
  valid ones, as pulp_container's `RegistryPermission` and `RegistryAuthentication` decide;
- a blob in object storage is answered with a redirect to the storage, as pulp_container's
  registry does (a URL is signed once and handed out again briefly: `signed_urls`); a blob
  not downloaded yet (on_demand) with a redirect to pulp_container's content route, which
  fetches it.
"""

import json
import time
from typing import NamedTuple
from urllib.parse import quote, urljoin

import jwt
from aiohttp import hdrs, web
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from pulp_container.constants import (
    BLOB_CONTENT_TYPE,
    SIGNATURE_API_EXTENSION_VERSION,
    SIGNATURE_HEADER,
)
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.serving.recent import Recent
from pulp_bootfiles.app.serving.registry_view import view_for
from pulp_bootfiles.app.serving.responses import ServedFileResponse
from pulp_bootfiles.app.serving.route import BootRoute
from pulp_bootfiles.app.serving.signed_urls import SignedUrls
from pulp_bootfiles.app.serving.storage_classes import FILESYSTEM_STORAGE, S3_STORAGES
from pulp_bootfiles.app.serving.versions import served_version_pk

# On every answer, as pulp_container's registry sends them (the second: its signature extension).
API_VERSION = {
    "Docker-Distribution-API-Version": "registry/2.0",
    SIGNATURE_HEADER: "1",
}
TOKENS_REMEMBERED = 4096


def routes_installable() -> bool:
    """Registry paths carry no domain; with domains on, pulp_container's registry serves all."""
    return settings.BOOTFILES_CONTENT_ROUTE and not settings.DOMAIN_ENABLED


def _errors(status: int, code: str, message: str, detail=None, headers=None) -> web.Response:
    body = {"errors": [{"code": code, "message": message, "detail": detail or {}}]}
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers={**API_VERSION, **(headers or {})},
    )


def _name_unknown(name: str) -> web.Response:
    return _errors(
        404,
        "NAME_UNKNOWN",
        "Repository not found here: this endpoint serves bootfiles distributions without a "
        "content guard; other names are served by Pulp's registry beside the API.",
        {"name": name},
    )


def _manifest_unknown(reference: str) -> web.Response:
    return _errors(404, "MANIFEST_UNKNOWN", "Manifest not found.", {"reference": reference})


def _accepts(accept_headers: list[str], media_type: str) -> bool:
    """pulp_container's rule for a manifest asked for by tag: no Accept, or one that names its
    type (or a wildcard)."""
    accepted = {
        part.split(";")[0].strip()
        for header in accept_headers
        for part in header.split(",")
        if part.strip()
    }
    if not accepted:
        return True
    major = media_type.split("/")[0] + "/*"
    return bool(accepted & {media_type, major, "*/*"})


class Wanted(NamedTuple):
    """What a registry request asks for, carried into the batch's database thread."""

    kind: str  # manifest, blob, tags, signatures
    name: str
    reference: str
    method: str
    accept: tuple


class TokenCheck:
    """pulp_container's Bearer token rules (`token_verification`), with each token decoded once
    per process: signature, issuer and audience (this host) checked by PyJWT, its subject a user
    that exists, then kept until it expires."""

    def __init__(self):
        self._decoded = Recent(TOKENS_REMEMBERED)  # (token, host) -> decoded claims
        self._public_key = None

    async def claims(self, token: str, host: str):
        """The token's claims, or None when it is not one of Pulp's token server's."""
        claims = self._decoded.get((token, host))
        if claims is not None and claims.get("exp", float("inf")) > time.time():
            return claims
        claims = await sync_to_async(self._decode)(token, host)
        if claims is not None:
            self._decoded.put((token, host), claims)
        return claims

    def _decode(self, token: str, host: str):
        if self._public_key is None:
            with open(settings.PUBLIC_KEY_PATH, "rb") as public_key:
                self._public_key = public_key.read()
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=[settings.TOKEN_SIGNATURE_ALGORITHM],
                issuer=settings.TOKEN_SERVER,
                audience=host,
            )
        except jwt.exceptions.InvalidTokenError:
            return None
        subject = claims.get("sub")
        if subject and not get_user_model().objects.filter(username=subject).exists():
            return None
        return claims

    @staticmethod
    def grants_pull(claims, name: str) -> bool:
        return any(
            access.get("type") == "repository"
            and access.get("name") == name
            and "pull" in access.get("actions", ())
            for access in claims.get("access", ())
        )


class RegistryRoute(BootRoute):
    """The aiohttp handler of every registry path; `kind` says which one it serves."""

    def __init__(self, kind: str, tokens: TokenCheck):
        super().__init__(pulpcore_handler=None)
        self._kind = kind
        self._token_auth = not getattr(settings, "TOKEN_AUTH_DISABLED", False)
        self._tokens = tokens  # shared by every registry route: a token is decoded once
        self._signed_urls = SignedUrls()  # blobs in object storage: URLs signed a moment ago

    async def __call__(self, request):
        info = request.match_info
        name = info.get("name", "")
        refusal = await self._refusal(request, name)
        if refusal is not None:
            return refusal
        if self._kind == "version":
            return web.json_response({}, headers=API_VERSION)
        reference = info.get("reference") or info.get("digest") or ""
        wanted = Wanted(
            self._kind, name, reference, request.method, tuple(request.headers.getall("Accept", []))
        )
        return await self._batches.submit((get_domain(), wanted, [name]))

    async def _refusal(self, request, name: str):
        """None when pulp_container's registry would let this read through, else its 401."""
        header = request.headers.get(hdrs.AUTHORIZATION, "")
        if self._token_auth:
            scheme, _, token = header.partition(" ")
            claims = None
            if scheme.lower() == "bearer" and token:
                claims = await self._tokens.claims(token, request.host)
            if claims is None:
                return self._challenge(request, name, "UNAUTHORIZED", "Authentication required.")
            if name and not self._tokens.grants_pull(claims, name):
                return self._challenge(request, name, "DENIED", "Insufficient permissions.")
            if not name and claims.get("access"):  # the version check wants an unscoped token
                return self._challenge(request, name, "DENIED", "Insufficient permissions.")
            return None
        # Token authentication off: reads are open; Basic credentials given must be valid
        # (pulpcore's middleware authenticated them: requests with credentials skip the lane).
        if header.startswith("Basic ") and header != "Basic Og==":
            user = request.get("user")
            if user is None or not user.is_authenticated:
                return _errors(
                    401,
                    "UNAUTHORIZED",
                    "Invalid username/password.",
                    headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="api"'},
                )
        return None

    @staticmethod
    def _challenge(request, name, code, message):
        challenge = f'Bearer realm="{settings.TOKEN_SERVER}",service="{request.host}"'
        if name:
            challenge += f',scope="repository:{name}:pull"'
        return _errors(401, code, message, headers={hdrs.WWW_AUTHENTICATE: challenge})

    def _answer(self, domain, wanted: Wanted, row):
        """Runs in the batch's database thread: the response to `wanted`."""
        if (
            row is None
            or row.pulp_type != self._pulp_type
            or row.content_guard_id is not None
            or row.checkpoint
        ):
            return _name_unknown(wanted.name)
        version_pk = served_version_pk(row.facts())
        if version_pk is None:
            return _name_unknown(wanted.name)
        view = view_for(version_pk)
        if wanted.kind == "tags":
            return web.json_response(
                {"name": wanted.name, "tags": sorted(view.tags)}, headers=API_VERSION
            )
        if wanted.kind == "signatures":
            return self._signatures(view, wanted)
        if wanted.kind == "manifest":
            return self._manifest(view, wanted)
        return self._blob(domain, view, wanted)

    @staticmethod
    def _manifest(view, wanted):
        by_tag = not wanted.reference.startswith("sha256:")
        digest = view.tags.get(wanted.reference) if by_tag else wanted.reference
        manifest = view.manifests.get(digest)
        if manifest is None or (by_tag and not _accepts(wanted.accept, manifest.media_type)):
            return _manifest_unknown(wanted.reference)
        return web.Response(
            body=manifest.data,
            content_type=manifest.media_type,
            headers={
                **API_VERSION,
                "Docker-Content-Digest": digest,
            },
        )

    @staticmethod
    def _signatures(view, wanted):
        if wanted.reference not in view.manifests:
            return _manifest_unknown(wanted.reference)
        signatures = [
            {
                "schemaVersion": SIGNATURE_API_EXTENSION_VERSION,
                "type": kind,
                "name": name,
                "content": data,
            }
            for kind, name, data in view.signatures.get(wanted.reference, ())
        ]
        return web.json_response({"signatures": signatures}, headers=API_VERSION)

    def _blob(self, domain, view, wanted):
        digest = wanted.reference
        blob = view.blobs.get(digest)
        if blob is None:
            return _errors(404, "BLOB_UNKNOWN", "Blob unknown to registry.", {"digest": digest})
        headers = {**API_VERSION, "Docker-Content-Digest": digest}
        if blob.artifact_name is not None and domain.storage_class == FILESYSTEM_STORAGE:
            path = domain.get_storage().path(blob.artifact_name)
            return ServedFileResponse(path, digest.removeprefix("sha256:"), headers=headers)
        if blob.artifact_name is not None and domain.storage_class in S3_STORAGES:
            location = self._signed_urls.url(
                domain,
                blob.artifact_name,
                wanted.method,
                {
                    "ResponseContentType": BLOB_CONTENT_TYPE,
                    "ResponseContentDisposition": f"attachment;filename={digest}",
                },
            )
        else:  # on_demand, or a storage this route does not sign URLs for
            location = urljoin(
                settings.CONTENT_ORIGIN, f"/pulp/container/{quote(wanted.name)}/blobs/{digest}"
            )
        return web.Response(status=302, headers={**headers, hdrs.LOCATION: location})


def registry_routes(prefix: str = "") -> list:
    """The aiohttp route definitions of the registry's read side."""
    tokens = TokenCheck()
    manifest, blob = RegistryRoute("manifest", tokens), RegistryRoute("blob", tokens)
    tags, signatures = RegistryRoute("tags", tokens), RegistryRoute("signatures", tokens)
    return [
        web.get(prefix + "/v2/", RegistryRoute("version", tokens)),
        web.get(prefix + "/v2/{name:.+}/manifests/{reference}", manifest),
        web.get(prefix + "/v2/{name:.+}/blobs/{digest:sha256:[0-9a-f]{64}}", blob),
        web.get(prefix + "/v2/{name:.+}/tags/list", tags),
        web.get(
            prefix + "/extensions/v2/{name:.+}/signatures/{reference:sha256:[0-9a-f]{64}}",
            signatures,
        ),
    ]
