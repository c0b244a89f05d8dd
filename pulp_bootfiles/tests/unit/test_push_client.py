"""The push client against a small registry that asks for a Bearer token, as quay and Pulp do."""

import base64
import hashlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest

from pulp_bootfiles.app.oci.push_out.registry_client import PushRefused, RegistryClient

TOKEN = "t0ken"
BASIC = "Basic " + base64.b64encode(b"robot:secret").decode()


class _TokenRegistry(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status, headers=None, body=b""):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self):
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        realm = f"http://{self.headers['Host']}/token"
        challenge = f'Bearer realm="{realm}",service="test-registry"'
        self._answer(401, {"WWW-Authenticate": challenge})
        return False

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/token":
            self.server.token_queries.append(parse_qs(url.query))
            if self.headers.get("Authorization") != BASIC:
                return self._answer(401)
            return self._answer(200, body=json.dumps({"token": TOKEN}).encode())
        self._answer(404)

    def do_HEAD(self):
        if self._authorized():
            self._answer(404)

    def do_POST(self):
        if self._authorized():
            self._answer(202, {"Location": "/v2/fedora/netboot/blobs/uploads/u1?state=x"})

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not self._authorized():
            return
        url = urlparse(self.path)
        self.server.stored[url.path] = (parse_qs(url.query), body)
        self._answer(201)


@pytest.fixture
def registry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenRegistry)
    server.token_queries, server.stored = [], {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def remote(server, password="secret"):
    host, port = server.server_address
    return SimpleNamespace(
        url=f"http://{host}:{port}",
        upstream_name="fedora/netboot",
        username="robot",
        password=password,
        headers=None,
        tls_validation=True,
        ca_cert=None,
        client_cert=None,
        client_key=None,
        proxy_url=None,
    )


def test_a_blob_is_streamed_after_a_push_scoped_token(registry):
    data = b"kernel bytes " * 1000
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with RegistryClient(remote(registry)) as client:
        assert client.has_blob(digest) is False
        client.upload_blob(digest, len(data), io.BytesIO(data))
        client.put_manifest("40-amd64", b'{"schemaVersion":2}', "application/x-test")

    (query,) = registry.token_queries
    assert query == {"service": ["test-registry"], "scope": ["repository:fedora/netboot:pull,push"]}
    upload_query, body = registry.stored["/v2/fedora/netboot/blobs/uploads/u1"]
    assert upload_query == {"state": ["x"], "digest": [digest]}
    assert body == data
    assert registry.stored["/v2/fedora/netboot/manifests/40-amd64"][1] == b'{"schemaVersion":2}'


def test_a_refused_token_fails_naming_the_realm(registry):
    with RegistryClient(remote(registry, password="wrong")) as client:
        with pytest.raises(PushRefused, match=r"token for fedora/netboot: http://.*/token .*401"):
            client.has_blob("sha256:" + "0" * 64)
