"""Debian's docker-registry (distribution 2.8) on a free loopback port, with its own storage."""

import socket
import subprocess
import time
from pathlib import Path

import bcrypt
import requests

from pulp_bootfiles.tests.fixtures.processes import stop

_CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
auth:
  htpasswd:
    realm: bootfiles-tests
    path: {root}/htpasswd
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DockerRegistry:
    """
    A registry under `root` that needs `username`/`password` (htpasswd, bcrypt), as a context.

    Not the Debian service (which listens on :5000 with /etc/docker/registry): its own config,
    port and storage, so it neither disturbs nor depends on anything installed system-wide.
    """

    def __init__(self, root, username="pusher", password="s3cret-push"):
        self.root = Path(root)
        self.username, self.password = username, password
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=5)).decode()
        (self.root / "htpasswd").write_text(f"{self.username}:{hashed}\n")
        config = self.root / "config.yml"
        config.write_text(_CONFIG.format(root=self.root, port=self.port))
        log = open(self.root / "registry.log", "wb")  # noqa: SIM115 (closed in __exit__)
        self._log = log
        self.process = subprocess.Popen(
            ["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log_text()}")
            try:
                if requests.get(f"{self.url}/v2/", timeout=2).status_code == 401:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"docker-registry did not answer on {self.url}: {self.log_text()}")

    def log_text(self):
        return (self.root / "registry.log").read_text(errors="replace")[-2000:]

    def get(self, path, **kwargs):
        return requests.get(
            f"{self.url}/v2/{path}", auth=(self.username, self.password), timeout=30, **kwargs
        )

    def __exit__(self, *exc):
        stop(self.process, timeout=10)
        self._log.close()
