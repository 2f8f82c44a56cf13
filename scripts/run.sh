#!/usr/bin/env bash
# Set up (first run) and serve the app on http://127.0.0.1:8000 with SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
echo "==> serving on http://127.0.0.1:8000 (Ctrl+C to stop)"
# One worker process: without REDIS_URL, rate-limit counters and caches live in the process.
exec .venv/bin/gunicorn --bind 127.0.0.1:8000 --workers 1 --threads 4 --timeout 60 wsgi:app
