#!/usr/bin/env bash
# The project's own Pulp stack for development, demos and tests, all under .dev/:
# PostgreSQL in a local data dir, then pulpcore-api, -content and -worker with this plugin.
#
#   dev/stack.sh setup    create the venv (.venv, or $BOOTFILES_VENV) and install the plugin
#   dev/stack.sh db       setup, write the settings and start PostgreSQL only (for makemigrations)
#   dev/stack.sh start    setup, start PostgreSQL, migrate, start the Pulp processes, wait
#   dev/stack.sh restart  stop the Pulp processes (PostgreSQL keeps running), then `start`
#   dev/stack.sh crash-worker  SIGKILL the worker and its task (a crash), start a new one
#   dev/stack.sh stop     stop everything started by `start`
#   dev/stack.sh status   show what runs
#   dev/stack.sh env      print the environment to talk to the stack (eval "$(dev/stack.sh env)")
#
# BOOTFILES_CONSTRAINTS=<file>: a pip constraints file for the venv, e.g. the lower bounds of the
# supported range (.ci/lowerbounds_constraints.txt) in a venv and dev dir of their own.
# BOOTFILES_EXTRA_SETTINGS=<file>: Python appended to the generated settings.py (later
# assignments win), e.g. DOMAIN_ENABLED or token auth for the tests' second stack.
# BOOTFILES_CONTENT_READY_PATH [/pulp/content/]: what `start` waits for on the content app
# (with DOMAIN_ENABLED: /pulp/content/default/).
# BOOTFILES_CACHE=1: pulpcore's Redis content cache (CACHE_ENABLED), with Debian's redis-server
# started on 127.0.0.1:BOOTFILES_REDIS_PORT [API port + 10000] beside the Pulp processes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEV=${BOOTFILES_DEV_DIR:-$ROOT/.dev}
VENV=${BOOTFILES_VENV:-$ROOT/.venv}
PGPORT=${BOOTFILES_PGPORT:-54329}
API_PORT=${BOOTFILES_API_PORT:-24817}
CONTENT_PORT=${BOOTFILES_CONTENT_PORT:-24816}
CONTENT_READY_PATH=${BOOTFILES_CONTENT_READY_PATH:-/pulp/content/}
CACHE=${BOOTFILES_CACHE:-0}
# pulpcore-api listens here, behind nginx on API_PORT (start_api). A socket path has a limit of
# 108 bytes; a deep checkout gets one under /tmp instead.
API_SOCKET=$DEV/run/api.sock
if [ ${#API_SOCKET} -gt 100 ]; then
  API_SOCKET=/tmp/bootfiles-api-$(printf %s "$DEV" | sha256sum | cut -c1-16).sock
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
REDIS_PORT=${BOOTFILES_REDIS_PORT:-$((API_PORT + 10000))}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
export PULP_SETTINGS=$DEV/settings.py
PATH=$VENV/bin:$PATH

log() { printf '[stack] %s\n' "$*" >&2; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

system_packages() {
  # Debian tools the plugin and its tests use: rpm (rpmbuild), createrepo_c, skopeo, zstd, QEMU,
  # docker-registry (distribution 2.8: the external registry of the push/sync-back tests).
  local missing=()
  for cmd in rpmbuild:rpm createrepo_c:createrepo-c skopeo:skopeo zstd:zstd cpio:cpio \
      docker-registry:docker-registry; do
    command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd##*:}")
  done
  # Chain of trust tests: gpg makes keys for rpmsign (from rpm), objdump checks test PE files.
  # Foreman contract tests: xorriso writes and extracts real boot.iso images.
  # Registry push tests: podman (4.3 in Debian 12) pushes a manifest list into Pulp.
  for cmd in gpg:gnupg objdump:binutils xorriso:xorriso podman:podman; do
    command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd##*:}")
  done
  # Capsule sync tests: nginx as a TLS front that requires a client certificate; the
  # scaled-out storm test balances two content apps with it. (/usr/sbin is not on every PATH.)
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
  [ -n "$PGBIN" ] || missing+=(postgresql)
  if [ "$CACHE" = 1 ]; then command -v redis-server >/dev/null || missing+=(redis-server); fi
  # The VM boot tests: QEMU, OVMF with Microsoft's keys, iPXE ROMs; dpkg-deb/apt-get fetch the rest.
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  for file in /usr/share/OVMF/OVMF_CODE_4M.secboot.fd:ovmf /usr/lib/ipxe/qemu/pxe-e1000.rom:ipxe-qemu; do
    [ -f "${file%%:*}" ] || missing+=("${file##*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    quiet_registry_service "${missing[@]}"
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
}

quiet_registry_service() {
  # On a systemd machine the Debian packages start a registry on :5000 and nginx on :80 for
  # everyone; the tests start their own on free loopback ports, so stop the ones this script
  # just installed.
  [ -d /run/systemd/system ] || return 0
  local package
  for package in docker-registry nginx; do
    case " $* " in
      *" $package "*) systemctl disable --now "$package.service" >/dev/null 2>&1 || true ;;
    esac
  done
}

setup() {
  system_packages
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp=$VENV/.bootfiles-installed
  local want constraints=()
  [ -n "${BOOTFILES_CONSTRAINTS:-}" ] && constraints=(-c "$BOOTFILES_CONSTRAINTS")
  want=$(cat "$ROOT/pyproject.toml" "$ROOT/cli/pyproject.toml" "$ROOT/cli/pulp-glue-bootfiles/pyproject.toml" \
    "$ROOT/functest_requirements.txt" \
    ${BOOTFILES_CONSTRAINTS:+"$BOOTFILES_CONSTRAINTS"} | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing pulp-bootfiles, pulp-glue-bootfiles, the CLI and the test requirements into $VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${constraints[@]}" \
      -e "$ROOT" -e "$ROOT/cli/pulp-glue-bootfiles" -e "$ROOT/cli" \
      -r "$ROOT/functest_requirements.txt" 2>&1 | grep -v "^WARNING: Location" || true
    "$VENV/bin/python" -c "import pulp_bootfiles, pulpcore, pulp_container, pulpcore.cli.bootfiles" \
      || { log "installation failed"; exit 1; }
    echo "$want" >"$stamp"
  fi
}

write_settings() {
  mkdir -p "$DEV"/{media,tmp,log,run,upload,static}
  [ -f "$DEV/db_symmetric_key" ] || openssl rand -base64 32 >"$DEV/db_symmetric_key"
  [ -f "$DEV/secret_key" ] || openssl rand -hex 32 >"$DEV/secret_key"
  cat >"$DEV/settings.py" <<SETTINGS
# Generated by dev/stack.sh: a local development/test Pulp. Not for production.
SECRET_KEY = "$(cat "$DEV/secret_key")"
DB_ENCRYPTION_KEY = "$DEV/db_symmetric_key"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "pulp",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": $PGPORT,
    }
}
CONTENT_ORIGIN = "http://127.0.0.1:$CONTENT_PORT"
MEDIA_ROOT = "$DEV/media"
STORAGES = {
    "default": {
        "BACKEND": "pulpcore.app.models.storage.FileSystem",
        "OPTIONS": {"location": "$DEV/media"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = "$DEV/static"
WORKING_DIRECTORY = "$DEV/tmp"
FILE_UPLOAD_TEMP_DIR = "$DEV/upload"
ALLOWED_IMPORT_PATHS = ["$DEV"]
# pulpcore's PulpExporter writes only below these (the export/import tests use $DEV/exports).
ALLOWED_EXPORT_PATHS = ["$DEV"]
TOKEN_AUTH_DISABLED = True
ANALYTICS = False
TELEMETRY = False
# Django's advice for test setups: a fast password hasher first. PBKDF2 costs ~0.4 s of CPU on
# every Basic-auth request here, which dominated the functional suite. Stored PBKDF2 hashes
# still verify (and are rehashed on login). Production keeps Django's default.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
SETTINGS
  if [ "$CACHE" = 1 ]; then
    printf '\n# BOOTFILES_CACHE=1: the Redis content cache\nCACHE_ENABLED = True\nREDIS_HOST = "127.0.0.1"\nREDIS_PORT = %s\n' \
      "$REDIS_PORT" >>"$DEV/settings.py"
  fi
  if [ -n "${BOOTFILES_EXTRA_SETTINGS:-}" ]; then
    printf '\n# From %s (BOOTFILES_EXTRA_SETTINGS)\n' "$BOOTFILES_EXTRA_SETTINGS" >>"$DEV/settings.py"
    cat "$BOOTFILES_EXTRA_SETTINGS" >>"$DEV/settings.py"
  fi
}

start_postgres() {
  local data=$DEV/pg
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL in $data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres: "$data"
    as_postgres "$PGBIN/initdb -D '$data' -U postgres --auth=trust -E UTF8 >/dev/null"
  fi
  if ! as_postgres "$PGBIN/pg_ctl -D '$data' status" >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PGPORT"
    as_postgres "$PGBIN/pg_ctl -D '$data' -l '$data/server.log' -w \
      -o \"-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off\" start" >/dev/null
  fi
  if ! "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc \
      "select 1 from pg_database where datname='pulp'" | grep -q 1; then
    "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres pulp
  fi
}

migrate() {
  log "migrating"
  pulpcore-manager migrate --noinput >"$DEV/log/migrate.log" 2>&1 \
    || { tail -n 30 "$DEV/log/migrate.log"; exit 1; }
  pulpcore-manager reset-admin-password --password password >/dev/null
}

is_running() {
  local pidfile=$DEV/run/$1.pid
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start_process() {
  local name=$1; shift
  local pidfile=$DEV/run/$name.pid
  if is_running "$name"; then return; fi
  log "starting $name"
  # A session of its own, so `stop` can end the process and all its children at once; the
  # pid written is the session's (sh execs the command).
  setsid -f sh -c 'echo $$ >"$0"; cd "$1" && shift && exec "$@"' "$pidfile" "$DEV" "$@" \
    >>"$DEV/log/$name.log" 2>&1 </dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$pidfile" ] && break; sleep 0.1; done
}

wait_for() {
  local url=$1 what=$2
  for _ in $(seq 120); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.5
  done
  log "$what did not come up; its log:"; tail -n 40 "$DEV/log/$what.log" >&2; exit 1
}

start() {
  setup
  write_settings
  start_postgres
  migrate
  if [ "$CACHE" = 1 ]; then
    mkdir -p "$DEV/redis"
    start_process redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir "$DEV/redis"
  fi
  start_api
  start_process content pulpcore-content --bind "127.0.0.1:$CONTENT_PORT" --workers 2
  start_process worker pulpcore-worker
  wait_for "http://127.0.0.1:$API_PORT/pulp/api/v3/status/" api
  wait_for "http://127.0.0.1:$CONTENT_PORT$CONTENT_READY_PATH" content
  wait_for_worker
  log "Pulp is up: API http://127.0.0.1:$API_PORT, content http://127.0.0.1:$CONTENT_PORT"
}

start_api() {
  # pulpcore-api's gunicorn sync workers read a request in one blocking call, so they need a
  # front that buffers requests (gunicorn's deployment advice), as every Pulp deployment has.
  # Without one, a client that tries TLS first on a plain-HTTP registry (skopeo, podman:
  # `--tls-verify=false`) holds a worker until its 10 s handshake timeout, for every ping.
  # nginx answers such a handshake at once and buffers bodies; the API listens on a socket.
  local front=$DEV/api-front
  mkdir -p "$front"/{body,proxy,fastcgi,uwsgi,scgi}
  is_running api || rm -f "$API_SOCKET"  # left by a killed API, it would refuse the bind
  start_process api pulpcore-api --bind "unix:$API_SOCKET" --workers 2 --timeout 120
  cat >"$front/nginx.conf" <<NGINX
# Generated by dev/stack.sh: the API's front (see start_api there).
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $front/nginx.pid;
error_log $DEV/log/api-front.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $front/body;
    proxy_temp_path $front/proxy;
    fastcgi_temp_path $front/fastcgi;
    uwsgi_temp_path $front/uwsgi;
    scgi_temp_path $front/scgi;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$API_PORT;
        location / {
            proxy_pass http://unix:$API_SOCKET;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_redirect off;
            proxy_buffering off;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;
        }
    }
}
NGINX
  start_process api-front "$NGINX" -p "$front" -c "$front/nginx.conf" -e "$DEV/log/api-front.log" \
    -g "daemon off;"
}

wait_for_worker() {
  for _ in $(seq 60); do
    curl -fsS "http://127.0.0.1:$API_PORT/pulp/api/v3/status/" | grep -q '"online_workers":\[{' \
      && return
    sleep 0.5
  done
  log "no worker came online"; tail -n 40 "$DEV/log/worker.log" >&2; exit 1
}

crash_worker() {
  # For crash tests: SIGKILL the worker and the task process it runs, as a crash or the OOM
  # killer would, then start a new worker. pulpcore notices a vanished worker only after
  # WORKER_TTL plus a random number of heartbeats (minutes), by deleting its status record;
  # we know it is dead, so do that now (by its name, "<pid>@<host>"). The new worker then
  # marks the task it held failed ("Worker has gone missing") as soon as it starts.
  local pidfile=$DEV/run/worker.pid
  [ -s "$pidfile" ] || { log "no worker is running"; exit 1; }
  local pid
  pid=$(cat "$pidfile")
  kill -KILL -- "-$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidfile"
  log "killed worker $pid"
  # Whatever happens here, a worker must come back for the tests that follow.
  pulpcore-manager shell -c "from pulpcore.app.models import AppStatus
AppStatus.objects.filter(app_type='worker', name__startswith='$pid@').delete()" \
    || log "could not drop the record of worker $pid; pulpcore will, after WORKER_TTL"
  start_process worker pulpcore-worker
  wait_for_worker
}

stop_pulp() {
  # redis too: a restart without BOOTFILES_CACHE must not leave it (or stale entries) behind.
  # All are asked to stop at once, then waited for together: each takes one to three seconds.
  local name pidfile sessions=()
  for name in worker content api-front api redis; do
    pidfile=$DEV/run/$name.pid
    if [ -f "$pidfile" ]; then
      sessions+=("$(cat "$pidfile")")
      kill -TERM -- "-${sessions[-1]}" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
  [ ${#sessions[@]} -gt 0 ] || return 0
  # Wait for every session to exit, so a restart finds its ports free.
  local pid alive
  for _ in $(seq 100); do
    alive=0
    for pid in "${sessions[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${sessions[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}

stop() {
  stop_pulp
  if [ -f "$DEV/pg/PG_VERSION" ]; then
    as_postgres "$PGBIN/pg_ctl -D '$DEV/pg' -m fast stop" >/dev/null 2>&1 || true
  fi
  log "stopped"
}

status() {
  for name in api-front api content worker redis; do
    if is_running "$name"; then
      echo "$name: running (pid $(cat "$DEV/run/$name.pid"))"
    else
      echo "$name: stopped"
    fi
  done
  as_postgres "$PGBIN/pg_ctl -D '$DEV/pg' status" >/dev/null 2>&1 \
    && echo "postgresql: running on $PGPORT" || echo "postgresql: stopped"
}

env_vars() {
  echo "export PULP_SETTINGS='$DEV/settings.py'"
  echo "export PATH='$VENV/bin':\"\$PATH\""
  echo "export BOOTFILES_API='http://127.0.0.1:$API_PORT'"
  echo "export BOOTFILES_CONTENT='http://127.0.0.1:$CONTENT_PORT'"
}

case "${1:-}" in
  setup) setup ;;
  db) setup; write_settings; start_postgres ;;
  start) start ;;
  restart) stop_pulp; start ;;
  crash-worker) crash_worker ;;
  stop) stop ;;
  status) status ;;
  env) env_vars ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
