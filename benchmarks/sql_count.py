"""Count the SQL statements each Pulp process sends, from PostgreSQL's own statement log.

The benchmark stack names every connection after its process (`benchmarks/stack_settings.py`
sets `application_name` to pulpcore-api, pulpcore-content or pulpcore-worker), so the log
line prefix tells whose statement it is. `StatementLog` switches `log_statement = 'all'` on
for the `with` block only (ALTER SYSTEM + reload; no restart) and counts what was logged in it.
"""

import re
import subprocess
import time
from collections import Counter
from pathlib import Path

# psycopg sends simple statements ("statement: BEGIN") and extended-protocol ones ("execute").
_LOGGED = re.compile(r"\] (\S*) LOG:  (?:statement|execute [^:]*): ")
PREFIX = "%m [%p] %a "


class StatementLog:
    def __init__(self, dev_dir: Path, pg_port: int):
        self.log = Path(dev_dir) / "pg" / "server.log"
        self.port = pg_port
        self.mark = 0

    def _psql(self, *statements: str) -> None:
        command = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qAt"]
        for statement in statements:
            command += ["-c", statement]
        subprocess.run(command, check=True, capture_output=True)

    def __enter__(self):
        self._psql(
            "ALTER SYSTEM SET log_statement = 'all'",
            f"ALTER SYSTEM SET log_line_prefix = '{PREFIX}'",
            "SELECT pg_reload_conf()",
        )
        time.sleep(0.5)  # every backend rereads the configuration before its next statement
        self.mark = self.log.stat().st_size
        return self

    def counts(self) -> Counter:
        """{application_name: statements} logged since the block started."""
        with open(self.log, "rb") as log:
            log.seek(self.mark)
            text = log.read().decode("utf-8", "replace")
        return Counter(match.group(1) for match in _LOGGED.finditer(text))

    def __exit__(self, *exc):
        self._psql(
            "ALTER SYSTEM RESET log_statement",
            "ALTER SYSTEM RESET log_line_prefix",
            "SELECT pg_reload_conf()",
        )
