"""Server Scripts' site settings: whether they run at all (`server_script_enabled`) and the budget
of each run (`server_script_timeout`, `server_script_max_memory_mb`), read from site_config.json
once per request or transaction, not once per run."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app

from webapp import errors
from webapp.sandbox import Limits
from webapp.services import context, run_context

ENABLE_HINT = ("Server Scripts are disabled on this site. A System Manager can enable them in System settings "
               "(/app/system-settings) or with: .venv/bin/flask --app wsgi set-config server_script_enabled true")


ISOLATIONS = ("process", "inline")


def enabled() -> bool:
    return settings()[0]


def isolation() -> str:
    """Where scripts run (`server_script_isolation`): "process" (a script host, the default) or
    "inline" (in the worker itself); anything else is taken as "process"."""
    return settings()[2]


def require_enabled() -> Limits:
    """Refuse when Server Scripts are disabled; else the run budget."""
    is_enabled, budget, _ = settings()
    if not is_enabled:
        raise errors.ServerScriptDisabledError(ENABLE_HINT)
    return budget


_limits_memo: tuple[Any, Limits] | None = None


def limits() -> Limits:
    """The run budget from site_config.json."""
    return settings()[1]


def settings() -> tuple[bool, Limits, str]:
    """`server_script_enabled`, the run budget and the isolation: site_config.json read once per
    request (or per transaction outside a request), not once per script run."""
    memo = context.operation_memo()
    if memo is not None:
        found = memo.get("script_settings")
        if found is not None:
            return found
    conf = current_app.extensions["site_config"].as_dict()
    mode = conf.get("server_script_isolation")
    found = (bool(conf["server_script_enabled"]),
             _limits(conf["server_script_timeout"], conf["server_script_max_memory_mb"]),
             mode if mode in ISOLATIONS else "process")
    if memo is not None:
        memo["script_settings"] = found
    return found


def _limits(timeout: Any, memory: Any) -> Limits:
    """Limits for the configured values (rebuilt only when they change)."""
    global _limits_memo
    key = (timeout, memory)
    memo = _limits_memo
    if memo is not None and memo[0] == key:
        return memo[1]
    try:
        timeout_s = float(timeout or 5)
        memory_mb = int(memory or 128)
    except (TypeError, ValueError):
        timeout_s, memory_mb = 5.0, 128
    value = Limits(timeout_s=max(0.05, timeout_s), memory_mb=max(8, memory_mb))
    _limits_memo = (key, value)
    return value


def read_budget() -> float:
    """Seconds a guarded read may take: what is left of the running script's budget, or outside a
    script run, the site's script timeout."""
    timeout = limits().timeout_s
    ctx = run_context.current()
    if ctx is None or not ctx.deadline:
        return timeout
    return min(timeout, ctx.deadline - time.monotonic())
