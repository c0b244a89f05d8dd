"""Direct reads of the stack's database, for what the REST API deliberately hides (incomplete
repository versions) and for holding locks that pause a task at a chosen point."""

import contextlib
import os
import re
import runpy
import time
from pathlib import Path

import psycopg


def connect(settings_file=None):
    """An autocommit connection to the database of the stack `settings_file` (by default
    PULP_SETTINGS) describes."""
    settings_file = settings_file or os.environ["PULP_SETTINGS"]
    database = runpy.run_path(str(settings_file))["DATABASES"]["default"]
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


class StatementLog:
    """
    Every SQL statement PostgreSQL logs while a `with` block runs, from the stack's own server
    log (`<dev dir>/pg/server.log`): `log_statement = 'all'` is switched on for the block only
    (ALTER SYSTEM and a reload, no restart). Each line names the connection's application, so
    a stack whose processes name their connections (the benchmarks' `stack_settings.py`) tells
    whose statement it is.
    """

    PREFIX = "%m [%p] %a "
    # psycopg sends simple statements ("statement: BEGIN") and extended-protocol ones ("execute").
    LOGGED = re.compile(r"\] (\S*) LOG:  (?:statement|execute [^:]*): (.*)")

    def __init__(self, connect, log: Path):
        self._connect, self._log, self._start = connect, Path(log), 0

    def _set(self, *statements):
        with self._connect() as connection:
            for statement in statements:
                connection.execute(statement)
            connection.execute("SELECT pg_reload_conf()")

    def __enter__(self):
        self._set(
            "ALTER SYSTEM SET log_statement = 'all'",
            f"ALTER SYSTEM SET log_line_prefix = '{self.PREFIX}'",
        )
        time.sleep(0.5)  # backends reread the configuration before their next statement
        self._start = self._log.stat().st_size
        return self

    def entries(self) -> list[tuple[str, str]]:
        """(application name, statement) of each statement logged so far in the block."""
        with open(self._log, "rb") as log:
            log.seek(self._start)
            return self.LOGGED.findall(log.read().decode("utf-8", "replace"))

    def __exit__(self, *exc):
        self._set("ALTER SYSTEM RESET log_statement", "ALTER SYSTEM RESET log_line_prefix")


@contextlib.contextmanager
def statements_logged():
    """Log every SQL statement of the stack PULP_SETTINGS describes while the block runs;
    yields a function returning the statements logged so far."""
    settings = runpy.run_path(os.environ["PULP_SETTINGS"])
    with StatementLog(connect, Path(settings["MEDIA_ROOT"]).parent / "pg" / "server.log") as log:
        yield lambda: [statement for _application, statement in log.entries()]
