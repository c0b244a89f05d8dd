#!/usr/bin/env bash
# Runs the whole test suite: brings the stack up (dev/stack.sh start), then pytest over the
# unit tests (real PostgreSQL through pytest-django) and the functional tests (live stack).
# Extra arguments go to pytest, e.g. `dev/test.sh -k sync -x`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/dev/stack.sh" start
eval "$("$ROOT/dev/stack.sh" env)"
cd "$ROOT"
exec python -m pytest -p no:cacheprovider --reuse-db -ra pulp_bootfiles/tests "$@"
