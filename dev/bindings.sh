#!/usr/bin/env bash
# Python and Ruby client bindings for pulp_bootfiles (and pulpcore, whose TasksApi is how Katello
# waits for tasks), generated the way Pulp generates its own (pulp-openapi-generator's
# gen-client.sh): openapi-generator on the schema the live API gives with
# `?bindings&component=<name>`, Pulp's generator versions and package names.
#
#   dev/bindings.sh OUT
#
# Writes, under OUT:
#   schema/<component>.json          the schemas as the API gave them
#   python/<package>-client/         pip-installable: pulp_bootfiles-client, pulpcore-client
#   ruby/<gem>/                      gem sources (load with `ruby -I OUT/ruby/<gem>/lib`)
#   gems/<gem>-<version>.gem         the gems built from them
#   venv/                            a venv with both Python clients installed
# A rerun with the same schemas, generators and script does nothing (OUT/stamp).
#
# BOOTFILES_API [http://127.0.0.1:24817], BOOTFILES_API_AUTH [admin:password]: the live stack.
# BOOTFILES_VENV [.venv]: the Python whose pip fetches the generator and makes OUT/venv.
# Needs Java and Ruby with faraday and marcel: installed from Debian when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "${1:?usage: dev/bindings.sh OUT}"
OUT=$(cd "$1" && pwd)
API=${BOOTFILES_API:-http://127.0.0.1:24817}
AUTH=${BOOTFILES_API_AUTH:-admin:password}
VENV=${BOOTFILES_VENV:-$ROOT/.venv}
COMPONENTS=(bootfiles core)
# The generator versions Pulp pins for pulpcore >= 3.85 (pulp-openapi-generator gen-client.sh).
PYTHON_GENERATOR=7.14.0
RUBY_GENERATOR=7.10.0
# Debian packages: the generator's JVM, Ruby and the gems the faraday-library client requires.
DEBIAN_PACKAGES=(default-jre-headless ruby ruby-faraday ruby-marcel)

log() { printf '[bindings %ss] %s\n' "$SECONDS" "$*" >&2; }

system_packages() {
  local missing=() package
  for package in "${DEBIAN_PACKAGES[@]}"; do
    # Any Java will do for the generator.
    if [ "$package" = default-jre-headless ] && command -v java >/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

generator_jar() {
  # openapi-generator from PyPI (the package bundles the jar): Maven Central is not needed.
  local version=$1 dir=$OUT/tools/openapi-generator-$1
  if [ ! -f "$dir/openapi_generator_cli/openapi-generator.jar" ]; then
    log "installing openapi-generator $version"
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --target "$dir" \
      "openapi-generator-cli==$version" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  fi
  local jar=$dir/openapi_generator_cli/openapi-generator.jar
  [ -f "$jar" ] || { log "no openapi-generator $version jar at $jar"; exit 1; }
  echo "$jar"
}

fetch_schemas() {
  mkdir -p "$OUT/schema"
  local component
  for component in "${COMPONENTS[@]}"; do
    curl -sSf -u "$AUTH" -o "$OUT/schema/$component.json" \
      "$API/pulp/api/v3/docs/api.json?bindings&component=$component" \
      || { log "cannot read the $component schema from $API"; exit 1; }
  done
}

write_configs() {
  # One openapi-generator batch config per client, with gen-client.sh's options and schema
  # patches: an SPDX licence name for Python, no cookie auth for Ruby.
  "$VENV/bin/python" - "$OUT" "${COMPONENTS[@]}" <<'PY'
import json
import pathlib
import sys

from packaging.version import Version

out = pathlib.Path(sys.argv[1])
for component in sys.argv[2:]:
    schema = json.loads((out / "schema" / f"{component}.json").read_text())
    version = str(Version(schema["info"]["x-pulp-app-versions"][component]))
    package = f"pulp_{component}" if component != "core" else "pulpcore"
    common = {"validateSpec": False, "strictSpecBehavior": False}

    python_schema = json.loads(json.dumps(schema))
    python_schema["info"]["license"]["name"] = "GPL-2.0-or-later"
    (out / "work" / f"python-{component}.json").write_text(json.dumps(python_schema))
    python = {
        **common,
        "generatorName": "python",
        "inputSpec": str(out / "work" / f"python-{component}.json"),
        "outputDir": str(out / "python" / f"{package}-client"),
        "additionalProperties": {
            "packageName": f"pulpcore.client.{package}",
            "projectName": f"{package}-client",
            "packageVersion": version,
        },
    }
    (out / "work" / f"python-{component}.config.json").write_text(json.dumps(python))

    ruby_schema = json.loads(json.dumps(schema))
    ruby_schema.get("components", {}).get("securitySchemes", {}).pop("cookieAuth", None)
    for operations in ruby_schema["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "security" in operation:
                operation["security"] = [s for s in operation["security"] if "cookieAuth" not in s]
    (out / "work" / f"ruby-{component}.json").write_text(json.dumps(ruby_schema))
    ruby = {
        **common,
        "generatorName": "ruby",
        "library": "faraday",
        "inputSpec": str(out / "work" / f"ruby-{component}.json"),
        "outputDir": str(out / "ruby" / f"{package}_client"),
        "additionalProperties": {
            "gemName": f"{package}_client",
            "gemLicense": "GPLv2+",
            "gemVersion": version,
            "gemHomepage": f"https://github.com/pulp/{package}",
        },
    }
    (out / "work" / f"ruby-{component}.config.json").write_text(json.dumps(ruby))
PY
}

generate() {
  # Both languages at once, each one JVM for its clients (2 cores; start-up is the slow part).
  local python_jar ruby_jar
  python_jar=$(generator_jar "$PYTHON_GENERATOR")
  ruby_jar=$(generator_jar "$RUBY_GENERATOR")
  rm -rf "$OUT/python" "$OUT/ruby" "$OUT/gems" "$OUT/venv"
  log "generating the clients: Python (openapi-generator $PYTHON_GENERATOR), Ruby ($RUBY_GENERATOR)"
  java -jar "$python_jar" batch --fail-fast "$OUT"/work/python-*.config.json \
    >"$OUT/work/python.log" 2>&1 &
  local python_pid=$!
  java -jar "$ruby_jar" batch --fail-fast "$OUT"/work/ruby-*.config.json \
    >"$OUT/work/ruby.log" 2>&1 \
    || { log "Ruby generation failed: see $OUT/work/ruby.log"; exit 1; }
  wait "$python_pid" || { log "Python generation failed: see $OUT/work/python.log"; exit 1; }
}

replace_line() {
  # replace_line FILE OLD NEW: the whole line OLD becomes NEW; fails if FILE has no such line.
  grep -qxF -- "$2" "$1" || { log "$1: no line '$2' to replace"; exit 1; }
  OLD=$2 NEW=$3 "$VENV/bin/python" -c 'import os, pathlib, sys
path = pathlib.Path(sys.argv[1])
lines = path.read_text().split("\n")
path.write_text("\n".join(os.environ["NEW"] if l == os.environ["OLD"] else l for l in lines))' "$1"
}

finish_python() {
  local client package
  for client in "$OUT"/python/*-client; do
    package=$(basename "$client" -client)
    # Two settings Pulp's own templates change, so the clients behave as Pulp's do. Pulp's hrefs
    # are path parameters ("{..._href}sync/"): their slashes must stay slashes, which the stock
    # configuration percent-encodes. The distribution is named <package>-client, as on PyPI.
    replace_line "$client/pulpcore/client/$package/configuration.py" \
      "        self.safe_chars_for_path_param = ''" "        self.safe_chars_for_path_param = '/'"
    replace_line "$client/pyproject.toml" "name = \"pulpcore.client.$package\"" \
      "name = \"$package-client\""
    # pulpcore and pulpcore.client are shared by every client and by the pulpcore server.
    for init in "$client/pulpcore/__init__.py" "$client/pulpcore/client/__init__.py"; do
      printf 'from pkgutil import extend_path\n\n__path__ = extend_path(__path__, __name__)\n' \
        >"$init"
    done
  done
  log "installing the Python clients into $OUT/venv"
  "$VENV/bin/python" -m venv "$OUT/venv"
  "$OUT/venv/bin/pip" install -q --disable-pip-version-check "$OUT"/python/*-client 2>&1 \
    | grep -v "^WARNING: Location" >&2 || true
  "$OUT/venv/bin/python" -c "import pulpcore.client.pulp_bootfiles, pulpcore.client.pulpcore" \
    || { log "the Python clients do not import from $OUT/venv"; exit 1; }
}

finish_ruby() {
  local gem requires=()
  mkdir -p "$OUT/gems"
  for gem in "$OUT"/ruby/*_client; do
    (cd "$gem" && gem build "$(basename "$gem").gemspec" >"$OUT/work/gem.log" 2>&1 \
      && mv ./*.gem "$OUT/gems/") \
      || { log "gem build failed in $gem: see $OUT/work/gem.log"; exit 1; }
    requires+=(-I "$gem/lib" -r "$(basename "$gem")")
  done
  ruby "${requires[@]}" -e 'exit 0' || { log "the Ruby clients do not load"; exit 1; }
}

system_packages
mkdir -p "$OUT/work"
fetch_schemas
stamp=$(cat "$OUT"/schema/*.json "$0" | sha256sum | cut -c1-16)
if [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ] && [ -x "$OUT/venv/bin/python" ]; then
  log "up to date in $OUT"
  exit 0
fi
write_configs
generate
finish_python
finish_ruby
echo "$stamp" >"$OUT/stamp"
log "done: $OUT"
