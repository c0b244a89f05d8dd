"""A small OCI distribution client: manifests, blobs and simple-signing signatures of one
repository, with the registry's Basic or Bearer token challenge answered. (Sigstore signatures
are a tag and blobs of their own: `sigstore` reads them through `manifest` and `small_blob`.)

Every digest is checked: a manifest fetched by digest against that digest, a blob against its
descriptor's digest and size while it streams to disk.
"""

import base64
import binascii
import hashlib
import re
import typing as t
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from pulp_glue.bootfiles.netboot.constants import DIGEST
from pulp_glue.bootfiles.netboot.oci_read import MAX_MANIFEST_SIZE

CHUNK = 1024 * 1024
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_REPOSITORY = re.compile(
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
# Pages of a tag list followed at most (a registry that links in a circle ends here).
MAX_TAG_PAGES = 1000


class RegistryError(Exception):
    """The registry refused or answered wrongly; the message names the URL and the problem."""


@dataclass(frozen=True)
class Reference:
    """`<registry>/<repository>:<tag>` or `...@sha256:<hex>`."""

    registry: str
    repository: str
    tag: str

    @classmethod
    def parse(cls, text: str) -> "Reference":
        registry, slash, rest = text.partition("/")
        if not slash or not registry or not rest:
            raise ValueError(f"{text!r} is not <registry>/<repository>:<tag>")
        if "@" in rest:
            repository, _, tag = rest.partition("@")
            if not DIGEST.fullmatch(tag):
                raise ValueError(f"{text!r}: {tag!r} is not a sha256:<hex> digest")
        else:
            repository, colon, tag = rest.rpartition(":")
            if not colon:
                raise ValueError(f"{text!r} names no tag (<registry>/<repository>:<tag>)")
            if not _TAG.fullmatch(tag):
                raise ValueError(f"{text!r}: {tag!r} is not an OCI tag")
        if not _REPOSITORY.fullmatch(repository):
            raise ValueError(f"{text!r}: {repository!r} is not an OCI repository name")
        return cls(registry, repository, tag)

    @property
    def by_digest(self) -> bool:
        return DIGEST.fullmatch(self.tag) is not None

    def __str__(self) -> str:
        separator = "@" if self.by_digest else ":"
        return f"{self.registry}/{self.repository}{separator}{self.tag}"


@dataclass(frozen=True)
class Fetched:
    """A manifest or index: its bytes, media type and digest."""

    data: bytes
    media_type: str
    digest: str


class Registry:
    """One repository of a registry, over HTTPS (or plain HTTP when asked)."""

    def __init__(
        self,
        reference: Reference,
        *,
        plain_http: bool = False,
        tls_verify: bool | str = True,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 60,
    ):
        self.reference = reference
        self.base = f"{'http' if plain_http else 'https'}://{reference.registry}"
        self.session = requests.Session()
        self.session.verify = tls_verify
        self.credentials = (username, password) if username is not None else None
        self.timeout = timeout
        self._token: str | None = None

    def _url(self, kind: str, name: str) -> str:
        return f"{self.base}/v2/{self.reference.repository}/{kind}/{name}"

    def _get(self, url: str, headers: dict | None = None, stream: bool = False):
        headers = dict(headers or {})
        for attempt in range(2):
            if self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            try:
                response = self.session.get(
                    url, headers=headers, stream=stream, timeout=self.timeout
                )
            except requests.RequestException as exc:
                raise RegistryError(f"{url}: {exc}") from exc
            if response.status_code != 401 or attempt:
                return response
            response.close()
            self._authenticate(url, response.headers.get("WWW-Authenticate", ""))
        return response

    def _authenticate(self, url: str, challenge: str) -> None:
        """Answer a 401's challenge: Basic with the credentials, Bearer with a token for them."""
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            if self.credentials is None:
                raise RegistryError(f"{url}: the registry asks for a username and password")
            self.session.auth = self.credentials
            return
        if scheme.lower() != "bearer":
            raise RegistryError(f"{url}: unauthorized, and no Bearer or Basic challenge given")
        fields = dict(_CHALLENGE_PARAM.findall(params))
        if "realm" not in fields:
            raise RegistryError(f"{url}: the Bearer challenge names no realm ({challenge!r})")
        query = {key: fields[key] for key in ("service", "scope") if key in fields}
        query.setdefault("scope", f"repository:{self.reference.repository}:pull")
        try:
            answer = self.session.get(
                fields["realm"], params=query, auth=self.credentials, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise RegistryError(f"{fields['realm']}: {exc}") from exc
        if answer.status_code != 200:
            raise RegistryError(
                f"{fields['realm']}: no token for {query['scope']} (HTTP {answer.status_code})"
            )
        try:
            body = answer.json()
            self._token = body.get("token") or body["access_token"]
        except (ValueError, KeyError, AttributeError) as exc:
            raise RegistryError(f"{fields['realm']}: the answer holds no token") from exc

    def tags(self) -> list[str]:
        """Every tag of the repository (`/v2/<name>/tags/list`), following the registry's
        `Link: <...>; rel="next"` pages."""
        url: str | None = f"{self.base}/v2/{self.reference.repository}/tags/list"
        found: list[str] = []
        for _ in range(MAX_TAG_PAGES):
            if url is None:
                return found
            response = self._get(url)
            if response.status_code != 200:
                raise RegistryError(f"{url}: HTTP {response.status_code}")
            try:
                listed = response.json().get("tags") or []
                if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
                    raise TypeError("'tags' is not a list of strings")
            except (ValueError, TypeError, AttributeError) as exc:
                raise RegistryError(f"{url}: not a tag list ({exc})") from exc
            found.extend(listed)
            link = _NEXT_LINK.search(response.headers.get("Link", ""))
            url = urljoin(url, link.group(1)) if link else None
        raise RegistryError(f"{url}: more than {MAX_TAG_PAGES} pages of tags")

    @t.overload
    def manifest(self, reference: str, accept: t.Sequence[str]) -> Fetched: ...

    @t.overload
    def manifest(
        self, reference: str, accept: t.Sequence[str], missing_ok: bool
    ) -> Fetched | None: ...

    def manifest(self, reference, accept, missing_ok=False):
        """The manifest or index `reference` (a tag or digest) names; a digest is checked.
        With `missing_ok`, None when the registry answers 404."""
        url = self._url("manifests", reference)
        response = self._get(url, {"Accept": ", ".join(accept)}, stream=True)
        with response:
            if response.status_code == 404 and missing_ok:
                return None
            if response.status_code != 200:
                raise RegistryError(f"{url}: HTTP {response.status_code}")
            data = b""
            for chunk in response.iter_content(CHUNK):
                data += chunk
                if len(data) > MAX_MANIFEST_SIZE:
                    raise RegistryError(f"{url}: larger than {MAX_MANIFEST_SIZE} bytes")
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if DIGEST.fullmatch(reference) and digest != reference:
            raise RegistryError(f"{url}: the bytes served have digest {digest}")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        return Fetched(data, media_type, digest)

    def blob(self, digest: str, size: int, target: Path) -> None:
        """Stream blob `digest` to `target`, refusing it unless its size and sha256 match."""
        with open(target, "wb") as out:
            for chunk in self._blob_chunks(digest, size):
                out.write(chunk)

    def small_blob(self, digest: str, size: int, limit: int) -> bytes:
        """Blob `digest` in memory (a signature payload), checked as `blob` checks it; one
        whose descriptor says more than `limit` bytes is not fetched."""
        if size > limit:
            url = self._url("blobs", digest)
            raise RegistryError(f"{url}: its descriptor says {size} bytes, more than {limit}")
        return b"".join(self._blob_chunks(digest, size))

    def _blob_chunks(self, digest: str, size: int) -> t.Iterator[bytes]:
        url = self._url("blobs", digest)
        response = self._get(url, stream=True)
        hasher, written = hashlib.sha256(), 0
        with response:
            if response.status_code != 200:
                raise RegistryError(f"{url}: HTTP {response.status_code}")
            for chunk in response.iter_content(CHUNK):
                written += len(chunk)
                if written > size:
                    raise RegistryError(f"{url}: more than the {size} bytes of its descriptor")
                hasher.update(chunk)
                yield chunk
        found = "sha256:" + hasher.hexdigest()
        if written != size or found != digest:
            raise RegistryError(
                f"{url}: {written} bytes with digest {found}, not {size} bytes with {digest}"
            )

    def signatures(self, digest: str) -> list[bytes]:
        """The simple-signing signatures of manifest `digest` from the registry's signature
        extension (`/extensions/v2/<name>/signatures/<digest>`); none when it has none."""
        url = f"{self.base}/extensions/v2/{self.reference.repository}/signatures/{digest}"
        response = self._get(url)
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise RegistryError(f"{url}: HTTP {response.status_code}")
        try:
            listed = response.json()["signatures"]
            return [base64.b64decode(item["content"], validate=True) for item in listed]
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise RegistryError(f"{url}: not a list of signatures ({exc})") from exc
