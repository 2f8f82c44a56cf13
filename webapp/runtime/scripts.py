"""Running one Server Script, and the scripts of a document event.

Every run: fresh namespace (script_api), the site's limits, the sandbox, a log row, and on failure
an error that names the script and the line. Runs join the operation's transaction. API scripts
(`/api/method`, run_script, frappe.call) are in runtime/api.py; Permission Query scripts in
runtime/permission_query.py; Scheduler Event scripts in runtime/scheduler.py.
"""

from __future__ import annotations

import time
from typing import Any

from webapp import errors
from webapp.documents.document import AttrDict, Document
from webapp.runtime import cache, logs
from webapp.sandbox import Limits, ReadOnlyNamespace, RunGroup, SandboxError, execute
from webapp.sandbox.export import SCALARS, plain
from webapp.script_api import build_namespace
from webapp.script_api.request import RequestNamespace
from webapp.services import context, run_context, script_settings
from webapp.services.context import acting_user
from webapp.services.run_context import RunContext


# -- one run --------------------------------------------------------------------------------------
def _error_text(result) -> str:
    """The log's error: class, message and line ("ValidationError (line 2)" when it has no message)."""
    if result.error is None:
        return ""
    where = f" (line {result.lineno})" if result.lineno else ""
    message = str(result.error).strip()
    return f"{type(result.error).__name__}: {message}{where}" if message else f"{type(result.error).__name__}{where}"


def _as_error(info: cache.ScriptInfo, result) -> BaseException:
    exc = result.error
    line = f" at line {result.lineno}" if result.lineno else ""
    if isinstance(exc, errors.FrappeError):
        if not exc.message:
            exc.args = (f"{type(exc).__name__} raised by Server Script {info.name!r}{line or ' (line unknown)'}",)
        return exc
    if isinstance(exc, SandboxError):
        # Named once, by the run it stopped: the runs it passes through on its way out (nested
        # runs, a script listing its own doctype) do not wrap the message again.
        if not getattr(exc, "_named", False):
            exc.args = (f"Server Script {info.name!r} stopped{line}: {exc}",)
            exc._named = True  # type: ignore[attr-defined]
        return exc
    error = errors.ScriptError(f"Server Script {info.name!r} failed{line}: {type(exc).__name__}: {exc}")
    error.frappe_exc_type = type(exc).__name__  # clients branch on the original class, as with Frappe
    return error


# -- what leaves a run ----------------------------------------------------------------------------
# Everything the host reads after a run is copied into plain data inside the run, under its budget
# (sandbox/export.py): no code of the script's runs once its run has ended.
_CONVERTERS = {Document: Document.as_dict}
_REPLY_KINDS = ("API", "Scheduler Event")


def plain_value(value: Any, what: str) -> Any:
    """`value` as plain data (dicts as _dict), or a 417 naming what is not."""
    return plain(value, what, converters=_CONVERTERS, dict_type=AttrDict)


def _settle_doc(doc: Document, what: str = "doc") -> None:
    data = doc._data
    for key, value in data.items():
        if type(value) in SCALARS:
            continue
        if type(value) is list and doc._meta.get_field(key) is not None and doc._meta.get_field(key).is_table:
            for i, row in enumerate(value):
                if type(row) is not Document:
                    raise errors.ValidationError(f"{what}.{key}[{i}] is a {type(row).__name__}, not a row of {key}")
                _settle_doc(row, f"{what}.{key}[{i}]")
            continue
        data[key] = plain_value(value, f"{what}.{key}")


def _settler(ctx: RunContext, frappe_ns: Any, doc: Document | None, then: Any):
    """The run's finish step (see sandbox.execute): its reply, flags and document as plain data."""
    def finish(g: dict[str, Any]) -> None:
        if ctx.kind in _REPLY_KINDS:
            flags = frappe_ns.__dict__["flags"]  # `frappe.flags = value` replaces them
            ctx.flags = plain_value(flags, "frappe.flags")
            ctx.response = plain_value(ctx.response, "frappe.response")
        if doc is not None:
            _settle_doc(doc)
        if then is not None:
            then(g)
    return finish


def run(info: cache.ScriptInfo, ctx: RunContext, trigger: str, doc: Document | None = None,
        request_info: ReadOnlyNamespace | None = None, extra: dict[str, Any] | None = None,
        budget: Limits | None = None, group: RunGroup | None = None, engine: Any = None, finish: Any = None):
    """Run one script and log it; raise its error. Inside `group`, as one of the group's runs;
    `engine` is the log's (looked up here when not given). `finish(globals)` runs at the end of the
    run, under its budget: the place to copy out what the caller reads of the script's globals."""
    if info.compiled is None:
        raise errors.ScriptError(f"Server Script {info.name!r} does not compile: {info.compile_error}")
    namespace = build_namespace(ctx, doc, request_info, extra)
    settle = _settler(ctx, namespace["frappe"], doc, finish)
    started = time.time()
    token = run_context.enter(ctx)
    try:
        if group is not None:
            result = group.run(info.compiled, namespace, budget, own=True, finish=settle)
        else:
            result = execute(info.compiled, namespace, budget or script_settings.limits(), own=True, finish=settle)
    finally:
        run_context.leave(token)
    output = result.output
    if output:
        output = output.rstrip("\n")
    if ctx.logs:
        output = "\n".join([output, *ctx.logs] if output else ctx.logs)
    error = result.error
    logs.queue((engine or logs.current_engine(), info.name, info.script_type, trigger, ctx.user, started,
                result.duration_ms, result.status, output, "" if error is None else _error_text(result)))
    if error is not None:
        raise _as_error(info, result)
    return result


# -- document events ------------------------------------------------------------------------------
def on_document_event(doc: Document, event: str, **details: Any) -> None:
    """The app's document listener: the scripts on `doc`'s doctype and this event, in order of name,
    as one run group. An event's details (a rename's old_name, new_name, merge) are globals of
    the scripts beside `doc`."""
    if not doc.meta.script_events:
        return
    scripts = cache.current().events.get((doc.doctype, event))
    if not scripts:
        return
    budget = script_settings.require_enabled()
    user = acting_user()
    about = f"{doc.doctype} {doc.get('name') or '(new)'}"
    engine = logs.current_engine()
    with RunGroup(budget) as group:  # one watchdog registration for the event's scripts, each its own budget
        for info in scripts:
            run(info, RunContext(info.name, "DocType Event", user), f"{info.doctype_event} {about}", doc,
                request_info(), dict(details) if details else None, budget, group, engine)


def request_info() -> ReadOnlyNamespace | None:
    """`frappe.request` for a run inside a web request (a new one per run), else None."""
    fields = context.request_fields()
    return None if fields is None else RequestNamespace("frappe.request", fields)


