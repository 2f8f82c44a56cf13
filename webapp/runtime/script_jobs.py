"""`frappe.enqueue` jobs: an API Server Script run later, in the job queue, as the user who queued it.

The job is checked again when it runs (the feature still enabled, the user still enabled, the
script still there and enabled), runs under the same sandbox and budget as any run, in its own
transaction (committed when the script succeeds, rolled back when it fails), and leaves a Server
Script Log row whatever happens, so a job that could not run is visible in the execution log too.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from webapp import errors
from webapp.documents.document import _dict
from webapp.runtime import cache, logs, scripts
from webapp.script_api.run_context import RunContext
from webapp.services.context import acting_as, transaction

log = logging.getLogger(__name__)


def trigger_of(method: str) -> str:
    return f"enqueue {method}"


def record_failure(name: str, user: str, trigger: str, error: str) -> None:
    """A log row for a job that did not get to run its script."""
    logs.record(server_script=name, script_type="API", trigger=trigger, user=user, started=dt.datetime.now(),
                duration_ms=0.0, status="Error", output="", error=error)


def _user_may_act(user: str) -> bool:
    if user in ("Guest", "Administrator"):
        return True
    from webapp.services.users import get_user

    u = get_user(user)
    return u is not None and bool(u.enabled)


def _find(method: str) -> cache.ScriptInfo | None:
    """The API script answering `method`, enabled or not (a disabled one is named in the log)."""
    smap = cache.current()
    info = smap.api.get(method)
    if info is not None:
        return info
    return next((i for i in smap.by_name.values() if i.script_type == "API" and i.api_method == method), None)


def run_api_script(method: str, form_dict: dict[str, Any], user: str) -> str:
    """The job body; returns the run's status (Success or Error), which RQ keeps as the result."""
    trigger = trigger_of(method)
    with acting_as(user):
        name = method
        try:
            with transaction():
                info = _find(method)
                name = info.name if info is not None else method
                if not _user_may_act(user):
                    raise errors.PermissionError(f"User {user} is disabled or deleted: the job was not run")
                scripts.require_enabled()
                if info is None:
                    raise errors.DoesNotExistError(f"No API Server Script with API Method {method!r}")
                if info.disabled:
                    raise errors.ValidationError(f"Server Script {info.name!r} is disabled")
                ctx = RunContext(script=info.name, kind="API", user=user, form_dict=_dict(form_dict))
                try:
                    scripts.run(info, ctx, trigger=trigger)
                except BaseException:
                    name = ""  # run() has written the log row itself
                    raise
        except Exception as exc:  # noqa: BLE001 - a job's failure goes to the execution log, not up
            if name:
                record_failure(name, user, trigger, f"{type(exc).__name__}: {errors.message_of(exc)}")
            log.info("job %s as %s failed: %s", trigger, user, exc)
            return "Error"
    return "Success"
