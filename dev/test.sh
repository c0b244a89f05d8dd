#!/usr/bin/env bash
# Runs the whole test suite: (re)starts the stack so it runs the code of this checkout
# (dev/stack.sh restart), then pytest over the unit tests (real PostgreSQL through
# pytest-django) and the functional tests (live stack).
# Extra arguments go to pytest, e.g. `dev/test.sh -x pulp_bootfiles/tests/unit`.
# The 20 slowest steps are listed at the end: CI's run must stay under an hour for both ends
# of the supported range, and a test that starts to wait on something shows there first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/dev/stack.sh" restart
eval "$("$ROOT/dev/stack.sh" env)"
cd "$ROOT"
exec python -m pytest -p no:cacheprovider --reuse-db -ra --durations=20 "$@"
