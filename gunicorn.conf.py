"""gunicorn's settings, read by `gunicorn wsgi:app` run from this folder and by scripts/run.sh.

HOST and PORT choose the address (default 127.0.0.1:8000; HOST=0.0.0.0 listens on every
interface). WEB_CONCURRENCY sets the worker processes (default 1: without REDIS_URL, rate-limit
counters and caches live in the process, so more than one worker needs Redis).
"""

import os


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SystemExit(f"PORT must be a number from 1 to 65535, not {value!r}")
    return int(value)


def _workers(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"WEB_CONCURRENCY must be a whole number of workers (1 or more), not {value!r}")
    return int(value)


host = os.environ.get("HOST", "").strip() or "127.0.0.1"
port = _port(os.environ.get("PORT", "").strip() or "8000")
bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]  # an IPv6 address goes in brackets
workers = _workers(os.environ.get("WEB_CONCURRENCY", "").strip() or "1")
threads = 4
timeout = 60
