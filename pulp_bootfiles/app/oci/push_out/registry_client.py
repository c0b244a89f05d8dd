"""
A small OCI distribution-spec client for pushing: blob uploads and manifest PUTs.

It speaks as an OCI remote tells it to: its URL and repository name, its credentials (answering
the registry's Basic or Bearer token challenge), TLS material and proxy. Blobs are streamed
from a file object, never read into memory.
"""

import contextlib
import re
import tempfile
from urllib.parse import urlencode, urljoin, urlparse, urlunparse

import requests

# Key="value" pairs of a WWW-Authenticate challenge.
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_TIMEOUT = (30, 600)


class PushRefused(Exception):
    """The registry refused a request; the message says which and what it answered."""


class RegistryClient(contextlib.AbstractContextManager):
    """Push access to the repository `remote.upstream_name` at the registry `remote.url`."""

    def __init__(self, remote):
        self.remote = remote
        self.name = remote.upstream_name
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "pulp-bootfiles"})
        for header in remote.headers or []:
            self.session.headers.update(header)
        self._files = contextlib.ExitStack()
        self._tls(remote)
        if remote.proxy_url:
            proxy = urlparse(remote.proxy_url)
            if remote.proxy_username:
                netloc = f"{remote.proxy_username}:{remote.proxy_password}@{proxy.netloc}"
                proxy = proxy._replace(netloc=netloc)
            self.session.proxies = {"http": urlunparse(proxy), "https": urlunparse(proxy)}

    def _pem_file(self, text):
        file = self._files.enter_context(tempfile.NamedTemporaryFile("w", suffix=".pem"))
        file.write(text)
        file.flush()
        return file.name

    def _tls(self, remote):
        if not remote.tls_validation:
            self.session.verify = False
        elif remote.ca_cert:
            self.session.verify = self._pem_file(remote.ca_cert)
        if remote.client_cert and remote.client_key:
            self.session.cert = (
                self._pem_file(remote.client_cert),
                self._pem_file(remote.client_key),
            )

    def __exit__(self, *exc):
        self.session.close()
        self._files.close()

    def url(self, path):
        return urljoin(self.remote.url, f"/v2/{self.name}/{path}")

    def request(self, method, url, what, expect, rewind=None, **kwargs):
        """
        Send a request, answering one auth challenge; the response if its status is in `expect`.

        `rewind` is called before a retry, so a streamed body is sent again from its start.
        """
        response = self.session.request(method, url, timeout=_TIMEOUT, **kwargs)
        if response.status_code == 401 and self._answer(response):
            if rewind:
                rewind()
            response = self.session.request(method, url, timeout=_TIMEOUT, **kwargs)
        if response.status_code not in expect:
            raise PushRefused(
                f"{what}: {method} {url} answered HTTP {response.status_code} "
                f"{response.text[:300].strip()}"
            )
        return response

    def _answer(self, response):
        """Set the session's Authorization for the registry's challenge; False if it has none."""
        challenge = response.headers.get("WWW-Authenticate", "")
        scheme = challenge.split(" ", 1)[0].lower()
        if scheme == "basic" and self.remote.username:
            self.session.auth = (self.remote.username, self.remote.password)
            return True
        if scheme == "bearer":
            params = dict(_CHALLENGE_PARAM.findall(challenge))
            realm = params.pop("realm", None)
            if not realm:
                return False
            params.setdefault("scope", f"repository:{self.name}:pull,push")
            auth = (self.remote.username, self.remote.password) if self.remote.username else None
            token = self.session.get(f"{realm}?{urlencode(params)}", auth=auth, timeout=_TIMEOUT[0])
            if token.status_code != 200:
                raise PushRefused(
                    f"token for {self.name}: {realm} answered HTTP {token.status_code}"
                )
            body = token.json()
            self.session.auth = None
            bearer = body.get("token") or body.get("access_token")
            self.session.headers["Authorization"] = f"Bearer {bearer}"
            return True
        return False

    def has_blob(self, digest):
        response = self.request("HEAD", self.url(f"blobs/{digest}"), digest, expect=(200, 404))
        return response.status_code == 200

    def upload_blob(self, digest, size, fileobj):
        """Upload a blob in one streamed PUT (the spec's monolithic upload after a POST)."""
        start = self.request("POST", self.url("blobs/uploads/"), digest, expect=(202,))
        location = urljoin(self.url(""), start.headers["Location"])
        separator = "&" if urlparse(location).query else "?"
        self.request(
            "PUT",
            f"{location}{separator}{urlencode({'digest': digest})}",
            digest,
            expect=(201,),
            rewind=lambda: fileobj.seek(0),
            data=fileobj,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
        )

    def put_manifest(self, reference, data, media_type):
        """PUT the exact manifest bytes under `reference` (a digest or a tag)."""
        return self.request(
            "PUT",
            self.url(f"manifests/{reference}"),
            f"manifest {reference}",
            expect=(201,),
            data=data,
            headers={"Content-Type": media_type},
        )
