"""Servers the benchmarks start on loopback and stop again: nginx (the upstream mirror) and
Debian's docker-registry (distribution 2.8, the reference registry for pulls).

Each runs in the foreground as a child of the benchmark, from a config generated in a directory
of its own, on a free 127.0.0.1 port; leaving the `with` block ends exactly that process.
"""

import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pulp_glue.bootfiles.netboot.bootconfigs import PROBE_NAME_PATTERN

from pulp_bootfiles.tests.fixtures.processes import stop

NGINX_CONF = """\
daemon off;
user root;
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format bench '$request_method $uri $status $body_bytes_sent';
    access_log {dir}/access.log bench;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""

# docker-registry's config; `storage` is the driver's block (DockerRegistry.storage()).
REGISTRY_CONF = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
{storage}  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: pulp-bootfiles-benchmark
"""
REGISTRY_FILESYSTEM = """\
  filesystem:
    rootdirectory: {dir}/storage
  delete:
    enabled: true
"""


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, log: Path, timeout=30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited ({process.returncode}):\n{log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:  # any HTTP answer means the server is up
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@dataclass(frozen=True)
class LogEntry:
    method: str
    path: str
    status: int
    bytes: int


class _Server:
    """Start a command in `directory` and stop it (that process only) on exit."""

    name = "server"

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def __enter__(self):
        log = self.dir / f"{self.name}.out"
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        try:
            _wait_http(self.health_url, self.process, log)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        stop(self.process, timeout=20)


class Nginx(_Server):
    """nginx serving `root` as static files; its access log says what clients fetched."""

    name = "nginx"

    def __init__(self, directory: Path, root: Path):
        super().__init__(directory)
        self.root = Path(root).resolve()
        self.access_log = self.dir / "access.log"
        self.health_url = self.url + "/"

    def command(self):
        conf = self.dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.dir, port=self.port, root=self.root))
        return ["nginx", "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c", str(conf)]

    def log_mark(self) -> int:
        """A position in the access log; `entries_since` reads what came after it."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def entries_since(self, mark: int) -> list[LogEntry]:
        with open(self.access_log, "rb") as log:
            log.seek(mark)
            lines = log.read().decode().splitlines()
        entries = []
        for line in lines:
            method, path, status, size = line.split(" ")
            entries.append(LogEntry(method, path, int(status), int(size)))
        return entries


PROBE_FRONT_CONF = """\
daemon off;
user root;
worker_processes 2;
pid DIR/nginx.pid;
error_log DIR/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path DIR/client_body;
    proxy_temp_path DIR/proxy;
    fastcgi_temp_path DIR/fastcgi;
    uwsgi_temp_path DIR/uwsgi;
    scgi_temp_path DIR/scgi;
    keepalive_requests 10000;
    upstream pulp-content { server UPSTREAM; keepalive 64; }
    server {
        listen 127.0.0.1:PORT;
        location ~ "^/pulp/content/BASE_PATH/(.+/)?PROBE_NAMES$" { return 404; }
        location / {
            proxy_pass http://pulp-content;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_redirect off;
            proxy_buffering off;
        }
    }
}
"""


class ProbeFront(_Server):
    """nginx in front of a content app, answering the probe names under one base path itself
    (404) and passing everything else on: the tuning `docs/admin/sizing.md` describes. The
    names are `bootconfigs.is_probe_miss`'s, which pulp_bootfiles never serves; other plugins
    may, so the location is scoped to the bootfiles base path."""

    name = "nginx-front"

    def __init__(self, directory: Path, upstream: str, base_path: str):
        super().__init__(directory)
        self.upstream, self.base_path = upstream, base_path
        self.health_url = self.url + "/pulp/content/"

    def command(self):
        conf = self.dir / "nginx.conf"
        text = PROBE_FRONT_CONF
        for token, value in (
            ("PROBE_NAMES", PROBE_NAME_PATTERN),
            ("BASE_PATH", re.escape(self.base_path)),
            ("UPSTREAM", self.upstream),
            ("PORT", str(self.port)),
            ("DIR", str(self.dir)),
        ):
            text = text.replace(token, value)
        conf.write_text(text)
        return ["nginx", "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c", str(conf)]


class DockerRegistry(_Server):
    """docker-registry (distribution 2.8) with filesystem storage, no auth, plain HTTP."""

    name = "docker-registry"

    def __init__(self, directory: Path):
        super().__init__(directory)
        self.health_url = self.url + "/v2/"
        self.host = f"127.0.0.1:{self.port}"

    def storage(self) -> str:
        """The config's storage block: files under this server's directory."""
        return REGISTRY_FILESYSTEM.format(dir=self.dir)

    def command(self):
        conf = self.dir / "config.yml"
        conf.write_text(REGISTRY_CONF.format(storage=self.storage(), port=self.port))
        return ["docker-registry", "serve", str(conf)]


def copy_preserving_digests(source_host: str, destination_host: str, name: str, tag: str) -> None:
    """`skopeo copy --preserve-digests` of one tag between two plain-HTTP registries."""
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--preserve-digests",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            f"docker://{source_host}/{name}:{tag}",
            f"docker://{destination_host}/{name}:{tag}",
        ],
        check=True,
    )
