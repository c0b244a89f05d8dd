#!/usr/bin/env bash
# Runs a command against the lower bounds of the supported range: a venv (.venv-lower) and a
# dev dir (.dev-lower, its own PostgreSQL on port 54339) of their own, installed from
# .ci/lowerbounds_constraints.txt (the oldest pulpcore, pulp-container and pulp-cli the plugin
# declares it supports). e.g. `dev/lowerbounds.sh dev/test.sh -m functional`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BOOTFILES_VENV=${BOOTFILES_VENV:-$ROOT/.venv-lower}
export BOOTFILES_DEV_DIR=${BOOTFILES_DEV_DIR:-$ROOT/.dev-lower}
export BOOTFILES_PGPORT=${BOOTFILES_PGPORT:-54339}
export BOOTFILES_CONSTRAINTS=$ROOT/.ci/lowerbounds_constraints.txt
exec "$@"
