"""A local HTTP server for fixture trees, run in a thread of the test process.

Tests can make it misbehave the way mirrors do (`inject`): redirect to another host (or to
itself, in a loop), answer 500/503, reset the connection in the middle of a body, stall, send
more bytes than the Content-Length it announced, or hold a request until the test lets it go.
"""

import functools
import hashlib
import os
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

FAULT_KINDS = ("redirect", "status", "reset", "stall", "overlong", "hold")
SURPLUS = b"\x00\xffsurplus bytes past the Content-Length\r\n" * 8


@dataclass
class Fault:
    """
    How to answer the requests whose path matches `match` (a regular expression).

    `fraction` picks a deterministic share of the matching paths (by a hash of the path), and
    each picked path misbehaves on its first `times` requests (None: always), so a download
    that retries enough gets through. Kinds:

    - redirect: 302 to `location` + the request path (another host, like Fedora's mirrors;
      this server's own base URL makes a redirect loop)
    - status: answer `status` (500, 503, ...)
    - reset: send the headers and half the body, then reset the connection
    - stall: send the headers and half the body, then go silent for `seconds`
    - overlong: a kept-alive HTTP/1.1 answer with the file's Content-Length, then the file and
      SURPLUS bytes, in one write (so they reach the client with the response)
    - hold: signal `reached`, then wait until `release` is set (at most `seconds`)
    """

    kind: str
    match: str
    fraction: float = 1.0
    times: int | None = None
    status: int = 503
    location: str = ""
    seconds: float = 30.0
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    hits: dict = field(default_factory=dict)  # path -> requests it misbehaved on

    def __post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; use one of {FAULT_KINDS}")

    def picks(self, path):
        """Whether this request of `path` misbehaves (counted; call once per request)."""
        if not re.search(self.match, path):
            return False
        share = int.from_bytes(hashlib.sha256(path.encode()).digest()[:4], "big") / 2**32
        if share >= self.fraction:
            return False
        if self.times is not None and self.hits.get(path, 0) >= self.times:
            return False
        self.hits[path] = self.hits.get(path, 0) + 1
        return True


class _Handler(SimpleHTTPRequestHandler):
    # Requests are counted so tests can show what a sync did (or did not) download.
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        fault = self.server.fault_for(self.path)
        try:
            if fault is None:
                super().do_GET()
            else:
                getattr(self, f"_{fault.kind}")(fault)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a timeout): nothing left to answer

    def _redirect(self, fault):
        self.send_response(302)
        self.send_header("Location", fault.location.rstrip("/") + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _status(self, fault):
        self.send_error(fault.status, "injected fault")

    def _half_body(self):
        """Send the headers of the real file and the first half of its bytes."""
        path = self.translate_path(self.path)
        size = os.path.getsize(path) if os.path.isfile(path) else 1024
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with open(path, "rb") if os.path.isfile(path) else open(os.devnull, "rb") as data:
            self.wfile.write(data.read(size // 2).ljust(size // 2, b"\0"))
        self.wfile.flush()

    def _reset(self, fault):
        self._half_body()
        # SO_LINGER 0: close() sends a TCP RST instead of an orderly FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _stall(self, fault):
        self._half_body()
        time.sleep(fault.seconds)
        self.close_connection = True

    def _overlong(self, fault):
        with open(self.translate_path(self.path), "rb") as file:
            data = file.read()
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        self.wfile.write(head + data + SURPLUS)
        self.close_connection = True

    def _hold(self, fault):
        fault.reached.set()
        fault.release.wait(fault.seconds)
        super().do_GET()


class FixtureServer:
    """Serves `root` on `host` at a free port; `requests` lists the paths asked for."""

    def __init__(self, root, host="127.0.0.1"):
        handler = functools.partial(_Handler, directory=str(root))
        self.httpd = ThreadingHTTPServer((host, 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []
        self.httpd.faults = []
        self.httpd.lock = threading.Lock()
        self.httpd.fault_for = self._fault_for
        self.root = root
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self):
        host, port = self.httpd.server_address
        return f"http://{host}:{port}"

    @property
    def requests(self):
        return self.httpd.requests

    def url(self, path):
        return f"{self.base_url}/{path.lstrip('/')}"

    def inject(self, *faults):
        """Make requests misbehave as `faults` say (the first fault that picks a request wins)."""
        with self.httpd.lock:
            self.httpd.faults.extend(faults)
        return faults[0] if len(faults) == 1 else faults

    def clear_faults(self):
        with self.httpd.lock:
            for fault in self.httpd.faults:
                fault.release.set()  # let held requests go
            self.httpd.faults.clear()

    def _fault_for(self, path):
        with self.httpd.lock:
            return next((fault for fault in self.httpd.faults if fault.picks(path)), None)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.clear_faults()
        self.httpd.shutdown()
        self.httpd.server_close()
