"""`frappe.enqueue`: an API script run later, in the job queue, once the operation commits."""

from __future__ import annotations

from typing import Any

from webapp.documents.document import _dict
from webapp.errors import DoesNotExistError, ValidationError
from webapp.script_api import run_context
from webapp.services.context import ensure_writable, transaction_memo

MAX_JOBS_PER_OPERATION = 100


def _ctx():
    ctx = run_context.current()
    if ctx is None:
        raise ValidationError("Only available inside a running script")
    return ctx


def _api_script(method: str):
    """The enabled API script answering `method`, or a clear error naming the method."""
    from webapp.blueprints.api.registry import BUILTIN_METHODS
    from webapp.runtime import cache

    if method in BUILTIN_METHODS:
        raise ValidationError(f"frappe.enqueue runs API Server Scripts; {method!r} is a built-in method "
                              "(call it with frappe.call)")
    smap = cache.current()
    info = smap.api.get(method)
    if info is not None:
        return info
    for other in smap.by_name.values():
        if other.script_type == "API" and other.api_method == method and other.disabled:
            raise ValidationError(f"frappe.enqueue: Server Script {other.name!r} (API Method {method!r}) is disabled")
    raise DoesNotExistError(f"frappe.enqueue: no API Server Script with API Method {method!r}")


def enqueue(method: Any, queue: Any = "default", timeout: Any = None, event: Any = None, is_async: Any = True,
            job_name: Any = None, now: Any = False, enqueue_after_commit: Any = False, at_front: Any = False,
            job_id: Any = None, deduplicate: Any = False, on_success: Any = None, on_failure: Any = None,
            **kwargs: Any) -> Any:
    """Run the API script `method` later in the job queue, as this user, with `kwargs` as its
    form_dict; queued when the operation commits. `now=True` (or `is_async=False`) runs it at once
    as a nested call and returns what `frappe.call` would. Frappe's other job options (timeout,
    job_name, at_front, ...) are accepted; the script's own budget bounds the run."""
    from webapp.runtime import script_jobs, scripts
    from webapp.services import jobs

    ctx = _ctx()
    if not isinstance(method, str) or not method:
        raise ValidationError("frappe.enqueue needs the API Method of an API Server Script, as text")
    if on_success is not None or on_failure is not None:
        raise ValidationError("frappe.enqueue: on_success and on_failure callbacks are not available to Server Scripts")
    if deduplicate:
        raise ValidationError("frappe.enqueue: deduplicate is not available to Server Scripts")
    queue = jobs.check_queue(queue)
    info = _api_script(method)
    if now or not is_async:
        child = scripts.run_nested_api(method, _dict(kwargs), by_method=True)
        if not child.flags:
            return child.response.get("message")
        return _dict(child.flags) if isinstance(child.flags, dict) else child.flags
    ensure_writable("queue a job")
    memo = transaction_memo()
    if memo is not None:
        memo["jobs_queued"] = memo.get("jobs_queued", 0) + 1
        if memo["jobs_queued"] > MAX_JOBS_PER_OPERATION:
            raise ValidationError(f"frappe.enqueue: at most {MAX_JOBS_PER_OPERATION} jobs per operation")
    user = ctx.user
    trigger = script_jobs.trigger_of(method)

    def could_not_queue(exc: BaseException) -> None:
        script_jobs.record_failure(info.name, user, trigger, f"The job could not be queued: {exc}")

    jobs.enqueue("server_script", queue, on_error=could_not_queue, method=method, form_dict=kwargs, user=user)
    return None
