#!/usr/bin/env bash
# Set up everything the app needs on a fresh machine: virtualenv, pinned Python packages, the
# CodeMirror bundle (npm ci + esbuild), the sandbox's compiled guards (Cython), and the database. Idempotent; safe to run again.
# Usage: scripts/setup.sh [requirements-file]
set -euo pipefail
cd "$(dirname "$0")/.."
REQS="${1:-requirements.txt}"
PY="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtualenv .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(cat requirements.txt "$REQS" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing $REQS"
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$REQS"
  touch "$stamp"
fi

if [ -f package.json ]; then
  lockstamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$lockstamp" ]; then
    echo "==> installing front-end packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$lockstamp"
  fi
  echo "==> building the editor and chart bundles"
  npm run --silent build
fi

echo "==> compiling the sandbox speedups (Cython; the app runs without them, slower)"
if [ "${CI:-}" = "true" ]; then
  .venv/bin/python scripts/build_speedups.py --require
else
  .venv/bin/python scripts/build_speedups.py
fi

echo "==> preparing the database"
.venv/bin/flask --app wsgi init-db
