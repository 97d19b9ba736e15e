#!/usr/bin/env bash
# The README's first command as a newcomer meets it: `make run` in a throw-away environment that
# has the runtime dependencies alone (no test extra), on an empty SQLite database and a free port.
# Fails unless every module of the service imports there, the demo login is printed, and the
# dashboard's sign-in page, the API's OpenAPI document and the demo shop's join page answer 200.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log="$tmp/make-run.log"
pid=""
finish() {
  status=$?
  if [ -n "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ "$status" -ne 0 ] && [ -f "$log" ]; then echo "--- make run printed:"; grep -v "^WARNING: Location" "$log" | tail -n 40; fi
  rm -rf "$tmp"
  exit "$status"
}
trap finish EXIT

fail() { echo "first run: $*" >&2; exit 1; }

# Only what a stranger's shell has: no database, mail or Tessera settings from this machine.
unset DATABASE_URL PUBLIC_URL SECRET_KEY SMTP_HOST TESSERA_ENV TEST_DATABASE_URL
export DATABASE_URL="sqlite:///$tmp/tessera.db" PORT="$port"
setsid make run VENV="$tmp/venv" >"$log" 2>&1 &
pid=$!

base="http://127.0.0.1:$port"
up() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$base/healthz" 2>/dev/null; }
for _ in $(seq 1 600); do
  up && break
  kill -0 "$pid" 2>/dev/null || fail "make run stopped before serving"
  sleep 0.5
done
up || fail "nothing answered on $base within 5 minutes"

"$tmp/venv/bin/python" - <<'PY' || fail "a module of the service does not import with the runtime dependencies alone"
import importlib, pkgutil
import app, passes
names = ["config", "wsgi"]
for package in (app, passes):
    names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
print(f"first run: {len(names)} modules import with the runtime dependencies alone")
PY
if "$tmp/venv/bin/python" -c 'import pytest' 2>/dev/null; then fail "the throw-away environment has the test extra"; fi

grep -q "demo login: demo@tessera.local / tessera-demo" "$log" || fail "make run did not print the demo login"
for path in /dashboard/login /api/v1/openapi.json /join/caffe-rossi; do
  code=$(python3 - "$base$path" <<'PY'
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
PY
)
  [ "$code" = "200" ] || fail "GET $path answered $code, not 200"
  echo "first run: GET $path 200"
done
echo "first run: make run works from a fresh environment with the runtime dependencies alone"
