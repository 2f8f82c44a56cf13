#!/usr/bin/env bash
# Set up (first run) and serve the app with SQLite on http://$HOST:$PORT (default 127.0.0.1:8000).
# gunicorn.conf.py reads HOST, PORT and WEB_CONCURRENCY.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8000}"
shown="$HOST"
case "$HOST" in 0.0.0.0|::) shown=127.0.0.1 ;; *:*) shown="[$HOST]" ;; esac
echo "==> serving on http://$shown:$PORT (listening on $HOST; Ctrl+C to stop)"
exec .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app
