"""`frappe.enqueue`: an API Server Script run later, in the job queue, as the user who queued it.

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
from webapp.documents.document import AttrDict
from webapp.runtime import api, cache, logs, scripts
from webapp.services import jobs, methods, script_settings
from webapp.services.context import acting_as, acting_user, ensure_writable, transaction, transaction_memo
from webapp.services.run_context import RunContext
from webapp.services.users import get_user

log = logging.getLogger(__name__)
MAX_JOBS_PER_OPERATION = 100


def trigger_of(method: str) -> str:
    return f"enqueue {method}"


def record_failure(name: str, user: str, trigger: str, error: str) -> None:
    """A log row for a job that did not get to run its script."""
    logs.record(server_script=name, script_type="API", trigger=trigger, user=user, started=dt.datetime.now(),
                duration_ms=0.0, status="Error", output="", error=error)


def _user_may_act(user: str) -> bool:
    if user in ("Guest", "Administrator"):
        return True
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
                script_settings.require_enabled()
                if info is None and methods.is_builtin(method):
                    methods.call_builtin_from_script(method, dict(form_dict), user)  # failures: logged below
                    return "Success"
                if info is None:
                    raise errors.DoesNotExistError(f"No API Server Script with API Method {method!r}")
                if info.disabled:
                    raise errors.ValidationError(f"Server Script {info.name!r} is disabled")
                ctx = RunContext(script=info.name, kind="API", user=user, form_dict=AttrDict(form_dict))
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


# -- frappe.enqueue (a bridge operation) --------------------------------------------------------------
def _api_script(method: str) -> cache.ScriptInfo:
    """The enabled API script answering `method`, or a clear error naming the method."""
    smap = cache.current()
    info = smap.api.get(method)
    if info is not None:
        return info
    for other in smap.by_name.values():
        if other.script_type == "API" and other.api_method == method and other.disabled:
            raise errors.ValidationError(f"frappe.enqueue: Server Script {other.name!r} (API Method {method!r}) "
                                         "is disabled")
    raise errors.PermissionError(f"frappe.enqueue: {method!r} is not a whitelisted method: give the API Method of "
                                 "an API Server Script, or a built-in method (ping, frappe.client.*)")


def enqueue_op(method: Any, queue: Any = "default", now: Any = False, kwargs: Any = None) -> Any:
    """Run the API script `method` (or a whitelisted built-in method) later in the job queue, as
    this user, with `kwargs` as its form_dict; queued when the operation commits. `now` runs it at
    once as a nested call and returns what `frappe.call` would."""
    if not isinstance(method, str) or not method:
        raise errors.ValidationError("frappe.enqueue needs the API Method of an API Server Script, as text")
    kwargs = dict(kwargs or {})
    queue = jobs.check_queue(queue)
    user = acting_user()
    if methods.is_builtin(method):
        methods.check_builtin_for_script(method, user)
        if now:
            return methods.call_builtin_from_script(method, kwargs, user)
        log_as = method
    else:
        info = _api_script(method)
        api.check_guest(info, user)
        if now:
            child = api.run_nested(method, AttrDict(kwargs), by_method=True)
            return child.flags or child.response.get("message")  # plain data, copied inside the child's run
        log_as = info.name
    ensure_writable("queue a job")
    memo = transaction_memo()
    if memo is not None:
        memo["jobs_queued"] = memo.get("jobs_queued", 0) + 1
        if memo["jobs_queued"] > MAX_JOBS_PER_OPERATION:
            raise errors.ValidationError(f"frappe.enqueue: at most {MAX_JOBS_PER_OPERATION} jobs per operation")
    trigger = trigger_of(method)

    def could_not_queue(exc: BaseException) -> None:
        record_failure(log_as, user, trigger, f"The job could not be queued: {exc}")

    jobs.enqueue("server_script", queue, on_error=could_not_queue, method=method, form_dict=kwargs, user=user)
    return None
