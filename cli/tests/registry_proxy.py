"""A registry in front of Pulp's for the pull tests: it forwards GETs (following Pulp's blob
redirects itself), and can flip a byte of one blob, stop at the second blob until released,
or ask for a Bearer token as a token-auth registry does."""

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

TOKEN = "pull-test-token"


class RegistryProxy:
    def __init__(self, upstream: str, credentials=("robot", "s3cret")):
        self.upstream = upstream.rstrip("/")
        self.credentials = credentials
        self.tamper: set[str] = set()  # blob digests served with one byte flipped
        self.hold_second_blob = False
        self.token_auth = False
        self.blobs: list[str] = []  # blob digests asked for, in order
        self.holding = threading.Event()  # set when the second blob request is held
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path.startswith("/token"):
                    return self._token()
                if proxy.token_auth and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    realm = f"http://{proxy.host}/token"
                    challenge = f'Bearer realm="{realm}",service="proxy"'
                    return self._answer(401, b"{}", {"WWW-Authenticate": challenge})
                digest = self.path.rsplit("/", 1)[-1] if "/blobs/" in self.path else None
                if digest:
                    proxy.blobs.append(digest)
                    if proxy.hold_second_blob and len(proxy.blobs) == 2:
                        proxy.holding.set()
                        proxy.release.wait(60)
                        return self._answer(503, b"", {})
                upstream = requests.get(
                    proxy.upstream + self.path,
                    headers={"Accept": self.headers.get("Accept", "*/*")},
                    timeout=60,
                )
                body = upstream.content
                if digest in proxy.tamper and body:
                    body = bytes([body[0] ^ 1]) + body[1:]
                headers = {"Content-Type": upstream.headers.get("Content-Type", "")}
                self._answer(upstream.status_code, body, headers)

            def _token(self):

                user, password = proxy.credentials
                basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                if self.headers.get("Authorization") != basic:
                    return self._answer(401, b"{}", {})
                self._answer(200, f'{{"token": "{TOKEN}"}}'.encode(), {})

            def _answer(self, status, body, headers):
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
