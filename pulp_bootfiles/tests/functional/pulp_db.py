"""Direct reads of the stack's database, for what the REST API deliberately hides (incomplete
repository versions) and for holding locks that pause a task at a chosen point."""

import contextlib
import os
import re
import runpy
import time
from pathlib import Path

import psycopg


def connect():
    """An autocommit connection to the database of the stack PULP_SETTINGS describes."""
    database = runpy.run_path(os.environ["PULP_SETTINGS"])["DATABASES"]["default"]
    return psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        user=database["USER"],
        dbname=database["NAME"],
        autocommit=True,
    )


def pk_of(href):
    """'/pulp/api/v3/repositories/bootfiles/bootfiles/<uuid>/' -> '<uuid>'."""
    return href.rstrip("/").rsplit("/", 1)[1]


def incomplete_versions(connection, repository_href):
    """Repository versions of the repository that were started and never completed."""
    return connection.execute(
        "SELECT number FROM core_repositoryversion WHERE repository_id = %s AND NOT complete",
        [pk_of(repository_href)],
    ).fetchall()


def wait_for_lock_waiter(connection, timeout=60):
    """Wait until another session of the database waits for a lock (a task hit ours)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Inside a transaction, pg_stat_activity is a snapshot taken once: take a new one.
        connection.execute("SELECT pg_stat_clear_snapshot()")
        (waiting,) = connection.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        if waiting:
            return
        time.sleep(0.1)
    raise AssertionError(f"no task waited for the lock within {timeout} s")


@contextlib.contextmanager
def statements_logged():
    """Log every SQL statement while the block runs; yields a function returning the
    statements logged so far (PostgreSQL's log of the stack, `<dev dir>/pg/server.log`)."""
    settings = runpy.run_path(os.environ["PULP_SETTINGS"])
    log = Path(settings["MEDIA_ROOT"]).parent / "pg" / "server.log"
    with connect() as connection:
        connection.execute("ALTER SYSTEM SET log_statement = 'all'")
        connection.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)  # backends reread the configuration before their next statement
        start = log.stat().st_size
        try:
            yield lambda: re.findall(
                r"LOG:  (?:statement|execute [^:]*): (.*)", log.read_bytes()[start:].decode()
            )
        finally:
            connection.execute("ALTER SYSTEM RESET log_statement")
            connection.execute("SELECT pg_reload_conf()")
