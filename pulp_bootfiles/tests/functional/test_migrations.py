"""
The plugin's migrations on the installed pulpcore / pulp-container line, from an empty database.

CI runs this at both ends of the supported range (dev/test.sh, and dev/lowerbounds.sh for the
lower bounds): every migration must find the core and container nodes it depends on there, and
the models must match the migrations (`makemigrations --check`).
"""

import os
import shutil
import subprocess
import uuid

import pytest

from pulp_bootfiles.tests.functional.pulp_db import connect

pytestmark = pytest.mark.slow

MIGRATIONS = sorted(
    name[:-3]
    for name in os.listdir(os.path.join(os.path.dirname(__file__), "../../app/migrations"))
    if name[0].isdigit() and name.endswith(".py")
)


@pytest.fixture
def empty_database():
    """The name of a new, empty database on the stack's PostgreSQL; dropped afterwards."""
    name = f"bootfiles_migrate_{uuid.uuid4().hex[:8]}"
    with connect() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connect() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manager(database, *args):
    """`pulpcore-manager <args>` against `database` (dynaconf's override of the settings file)."""
    env = {**os.environ, "PULP_DATABASES__default__NAME": database}
    return subprocess.run(
        [shutil.which("pulpcore-manager"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_an_empty_database_migrates_from_zero(empty_database):
    migrated = manager(empty_database, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    plan = manager(empty_database, "showmigrations", "bootfiles")
    assert plan.returncode == 0, plan.stderr[-3000:]
    applied = [line.split("]", 1)[1].strip() for line in plan.stdout.splitlines() if "[X]" in line]
    assert applied == MIGRATIONS, plan.stdout


def test_the_models_match_the_migrations(empty_database):
    # An empty database is enough: makemigrations compares the models with the migration files.
    check = manager(empty_database, "makemigrations", "--check", "--dry-run", "bootfiles")
    assert check.returncode == 0, check.stdout + check.stderr[-3000:]
