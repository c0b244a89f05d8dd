"""A second Pulp stack for the tests that need settings the main one does not use.

It runs dev/stack.sh with its own dev dir and ports, and BOOTFILES_EXTRA_SETTINGS for
domains and token auth; PostgreSQL, migrations and the Pulp processes are its own.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from pulp_bootfiles.tests.fixtures.token_keys import write_token_keys

ROOT = Path(__file__).resolve().parents[4]
STACK_SH = ROOT / "dev" / "stack.sh"
# "PGPORT,API_PORT,CONTENT_PORT" to fix the ports; free ones are picked otherwise.
PORTS_VARIABLE = "BOOTFILES_SECOND_STACK_PORTS"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def choose_ports():
    fixed = os.environ.get(PORTS_VARIABLE)
    if fixed:
        pg, api, content = (int(port) for port in fixed.split(","))
        return pg, api, content
    return free_port(), free_port(), free_port()


class SecondStack:
    """`start()` brings it up (a few tens of seconds: a fresh database), `stop()` removes it."""

    # What dev/stack.sh waits for on the content app (with DOMAIN_ENABLED, a domain's root).
    content_ready_path = "/pulp/content/default/"

    def __init__(self, ports=None):
        # Not under pytest's tmp dir: PostgreSQL runs as `postgres` and must reach its data.
        self.dev_dir = Path(tempfile.mkdtemp(prefix="bootfiles-second-stack-"))
        self.dev_dir.chmod(0o755)
        self.pg_port, self.api_port, self.content_port = ports or choose_ports()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.content = f"http://127.0.0.1:{self.content_port}"
        self.registry = f"127.0.0.1:{self.api_port}"

    def _extra_settings(self):
        private, public = write_token_keys(self.dev_dir)
        path = self.dev_dir / "extra_settings.py"
        path.write_text(
            "DOMAIN_ENABLED = True\n"
            "TOKEN_AUTH_DISABLED = False\n"
            f'TOKEN_SERVER = "{self.api}/token/"\n'
            'TOKEN_SIGNATURE_ALGORITHM = "ES256"\n'
            f'PRIVATE_KEY_PATH = "{private}"\n'
            f'PUBLIC_KEY_PATH = "{public}"\n'
        )
        return path

    def _run(self, command, extra_settings=None):
        env = {
            **os.environ,
            "BOOTFILES_VENV": sys.prefix,
            "BOOTFILES_DEV_DIR": str(self.dev_dir),
            "BOOTFILES_PGPORT": str(self.pg_port),
            "BOOTFILES_API_PORT": str(self.api_port),
            "BOOTFILES_CONTENT_PORT": str(self.content_port),
            "BOOTFILES_CONTENT_READY_PATH": self.content_ready_path,
        }
        if extra_settings:
            env["BOOTFILES_EXTRA_SETTINGS"] = str(extra_settings)
        return subprocess.run(
            [str(STACK_SH), command], env=env, capture_output=True, text=True, timeout=600
        )

    def start(self):
        result = self._run("start", self._extra_settings())
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(f"the second stack did not start:\n{result.stderr[-4000:]}")

    def stop(self):
        self._run("stop")
        shutil.rmtree(self.dev_dir, ignore_errors=True)
