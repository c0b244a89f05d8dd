"""
Property-based checks of the bootfiles REST API against its own OpenAPI schema (schemathesis).

Every bootfiles operation in `pulpcore-manager openapi` is called with generated requests,
valid and invalid; no response may be a 5xx or break the schema (status code, body, content
type), so bindings generated from the schema work. The seed is fixed: the same requests each
time, so a failure is reproducible and CI does not flake. Pulp documents no 4xx responses
anywhere, so undocumented 400/404 codes are not counted (no status_code_conformance); the
three pulpcore-wide quirks worked around are listed in schemathesis_hooks.py. Objects the
generated POSTs create are deleted afterwards.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

API = "/pulp/api/v3/"
COLLECTIONS = [
    "remotes/bootfiles/bootfiles/",
    "repositories/bootfiles/bootfiles/",
    "distributions/bootfiles/bootfiles/",
]
CHECKS = "not_a_server_error,content_type_conformance,response_schema_conformance"


def _all_hrefs(pulp, collection):
    return {obj["pulp_href"] for obj in pulp.list(API + collection)}


@pytest.fixture
def delete_what_it_creates(pulp):
    before = {c: _all_hrefs(pulp, c) for c in COLLECTIONS}
    yield
    # Distributions first: they reference repositories.
    for collection in reversed(COLLECTIONS):
        for href in _all_hrefs(pulp, collection) - before[collection]:
            response = pulp.delete(href)
            if response.status_code == 202:
                pulp.wait(response.json()["task"])


def test_bootfiles_api_conforms_to_its_schema(pulp, delete_what_it_creates):
    # The schemathesis CLI from this interpreter's environment (its pytest plugin does not
    # support the pytest in use). `pk_path` makes the schema list real paths
    # (/remotes/bootfiles/bootfiles/{pulp_id}/) instead of the `{href}` templates of the
    # bindings, so generated requests reach the right views.
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    user, password = pulp.session.auth
    env = dict(os.environ, SCHEMATHESIS_HOOKS="pulp_bootfiles.tests.functional.schemathesis_hooks")
    result = subprocess.run(
        [
            st, "run", f"{pulp.base}{API}docs/api.json?pk_path=1",
            "--include-path-regex", "/bootfiles/",
            "--auth", f"{user}:{password}",
            "--checks", CHECKS,
            "--phases", "examples,fuzzing",
            "--max-examples", "5",
            "--seed", "20261126",
            "--wait-for-schema", "120",
            "--workers", "1",
            "--request-timeout", "120",
            "--no-color",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
