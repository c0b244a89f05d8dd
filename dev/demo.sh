#!/usr/bin/env bash
# The main job on a fresh machine: bring up Pulp with this plugin (dev/stack.sh start), build a
# small Fedora-like sample tree locally, serve it over HTTP, sync it into a repository through
# the REST API and list what arrived.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/dev/stack.sh" start
eval "$("$ROOT/dev/stack.sh" env)"
cd "$ROOT"
exec python dev/demo.py "$@"
