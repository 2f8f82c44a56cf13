#!/usr/bin/env bash
# Set up and run the whole test suite: on SQLite, then on PostgreSQL + Redis when they are
# reachable (in CI, CI=true, they are started if needed and must be there: nothing is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
export WEBAPP_INSTANCE_PATH="${WEBAPP_INSTANCE_PATH:-$PWD/instance-test}"
bash scripts/setup.sh requirements-dev.txt >/dev/null
unset WEBAPP_INSTANCE_PATH

if [ "${CI:-}" = "true" ]; then
  export REQUIRE_ALL_TESTS=1
  if ! command -v chromium >/dev/null 2>&1; then
    echo "==> installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  fi
  if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  fi
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi

echo "==> lint (ruff)"
.venv/bin/ruff check .

JOBS="${TEST_JOBS:-2}"
echo "==> tests on SQLite"
env -u TEST_DATABASE_URL -u REDIS_URL -u DATABASE_URL .venv/bin/pytest -n "$JOBS" -q "$@"

# Scripts run in a script host process by default; the in-worker path (server_script_isolation:
# inline) passes the same suite (the browser tests drive the same server code, so they run once).
echo "==> tests on SQLite, scripts inline"
env -u TEST_DATABASE_URL -u REDIS_URL -u DATABASE_URL TEST_SCRIPT_ISOLATION=inline \
  .venv/bin/pytest -n "$JOBS" -q -m "not e2e" "$@"

PG_URL="${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
R_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "==> tests on PostgreSQL + Redis"
  env -u DATABASE_URL TEST_DATABASE_URL="$PG_URL" REDIS_URL="$R_URL" .venv/bin/pytest -n "$JOBS" -q "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL or Redis is not reachable in CI" >&2
  exit 1
else
  echo "==> SKIPPED the PostgreSQL + Redis run: no PostgreSQL at 127.0.0.1:5432 or no Redis at 127.0.0.1:6379"
fi
