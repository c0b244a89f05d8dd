"""Pulp scaled out for boot storms: a stack whose default storage is S3 (moto), one more
pulpcore-content and one more pulpcore-worker on the same settings and database, and nginx
spreading plain-HTTP requests and the registry's reads over both content apps (round robin),
as a load balancer would.

Shared by test_scale_out.py and the benchmarks' scaled-out storm (benchmarks/bench_scale_out.py).
"""

import collections
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from pulp_bootfiles.tests.functional.second_stack.object_store import S3_STORAGE
from pulp_bootfiles.tests.functional.second_stack.stack import SecondStack, free_port

STATUS = "/pulp/api/v3/status/"
# "<upstream tried>, ... <upstream that answered> <status> <uri>" (log_format balanced)
LOG_LINE = re.compile(r"(?:\S+, )*(?P<upstream>\S+) (?P<status>\d{3}) (?P<uri>.*)")
NGINX_CONF = """\
daemon off;
user root;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format balanced '$upstream_addr $status $uri';
    access_log {dir}/nginx-access.log balanced;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # Idle kept-alive connections are closed before the apps' own 2 s (gunicorn's keep-alive)
    # would close them under a request nginx just sent (which nginx then retries on the other
    # app, counted twice).
    upstream pulp_content {{
{servers}
        keepalive 32;
        keepalive_timeout 1s;
    }}
    upstream pulp_api {{
        server {api};
        keepalive 8;
        keepalive_timeout 1s;
    }}
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    server {{
        listen 127.0.0.1:{port};
        location /pulp/content/ {{
            proxy_pass http://pulp_content;
        }}
        # The registry: its reads (of bootfiles distributions) on the content apps, every
        # other method (pushes, deletes) to pulp_container's registry beside the API.
        location /v2/ {{
{registry}
        }}
        location /extensions/v2/ {{
{registry}
        }}
        location / {{
            return 404;
        }}
    }}
}}
"""
REGISTRY_LOCATION = """\
            if ($request_method !~ "^(GET|HEAD)$") {
                proxy_pass http://pulp_api;
            }
            proxy_pass http://pulp_content;"""


class S3Stack(SecondStack):
    """A stack of its own (database, ports) whose default storage is `object_store`'s bucket;
    no domains and no token auth, unlike the second stack."""

    content_ready_path = "/pulp/content/"

    def __init__(self, object_store):
        super().__init__(ports=(free_port(), free_port(), free_port()))
        self.object_store = object_store

    def _extra_settings(self):
        storage = {"BACKEND": S3_STORAGE, "OPTIONS": self.object_store.storage_settings()}
        path = self.dev_dir / "extra_settings.py"
        path.write_text(f'STORAGES["default"] = {storage!r}\n')
        return path


def _online_workers(api: str) -> int:
    return len(requests.get(api + STATUS, timeout=30).json()["online_workers"])


def _wait(ready, what: str, processes, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{what}: {process.args[0]} exited ({process.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen in {timeout:.0f} s")
        time.sleep(0.5)


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=5)
        return True
    except requests.ConnectionError:
        return False


class ScaledOut:
    """Beside `stack`'s own content app and worker, one more of each, and nginx balancing over
    both content apps at `url`. A context manager; leaving it stops what it started (their
    logs stay in `directory`)."""

    def __init__(self, stack: SecondStack):
        self.stack = stack
        self.contents = [stack.content, f"http://127.0.0.1:{free_port()}"]
        self.url = f"http://127.0.0.1:{free_port()}"
        self.directory = stack.dev_dir / "scale-out"
        self.processes = []

    def _start(self, name: str, *command: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "PULP_SETTINGS": str(self.stack.dev_dir / "settings.py"),
            "PATH": f"{Path(sys.prefix) / 'bin'}:{os.environ['PATH']}",
        }
        with open(self.directory / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                command,
                cwd=self.stack.dev_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: stopped with all its children
            )
        self.processes.append(process)
        return process

    def _nginx_conf(self) -> Path:
        servers = "\n".join(
            f"        server {content.removeprefix('http://')};" for content in self.contents
        )
        conf = self.directory / "nginx.conf"
        port = self.url.rpartition(":")[2]
        api = self.stack.api.removeprefix("http://")
        conf.write_text(
            NGINX_CONF.format(
                dir=self.directory,
                servers=servers,
                api=api,
                port=port,
                registry=REGISTRY_LOCATION,
            )
        )
        return conf

    def __enter__(self):
        self.directory.mkdir(exist_ok=True)
        try:
            workers = _online_workers(self.stack.api)
            bind = self.contents[1].removeprefix("http://")
            self._start("content-2", "pulpcore-content", "--bind", bind, "--workers", "2")
            self._start("worker-2", "pulpcore-worker")
            error_log = str(self.directory / "nginx-error.log")
            conf = str(self._nginx_conf())
            self._start("nginx", "nginx", "-p", str(self.directory), "-e", error_log, "-c", conf)
            _wait(lambda: _answers(self.contents[1]), "the second content app", self.processes)
            _wait(lambda: _answers(self.url), "nginx", self.processes)
            _wait(
                lambda: _online_workers(self.stack.api) > workers,
                "the second worker coming online",
                self.processes,
            )
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        # SIGTERM first: a worker removes its own status record on the way out.
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes = []

    def answers_by_upstream(self, prefixes: tuple[str, ...] = ()) -> collections.Counter:
        """How many requests each upstream ("127.0.0.1:port") answered (the last nginx tried),
        counting only paths that start with one of `prefixes` if any are given."""
        log = self.directory / "nginx-access.log"
        lines = log.read_text().splitlines() if log.exists() else []
        entries = (LOG_LINE.match(line) for line in lines)
        return collections.Counter(
            entry["upstream"]
            for entry in entries
            if entry and (not prefixes or entry["uri"].startswith(prefixes))
        )
