# Appended to the benchmark stack's settings.py (BOOTFILES_EXTRA_SETTINGS, benchmarks/run.sh):
# every Pulp process names its PostgreSQL connections after itself (pulpcore-api,
# pulpcore-content, pulpcore-worker), so pulp_db.StatementLog (tests/functional) can tell whose
# statements the server logged. Only the benchmarks' private stack reads this.
import os as _os  # noqa: E402
import sys as _sys  # noqa: E402

DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = _os.path.basename(  # noqa: F821
    _sys.argv[0]
)[:63]
