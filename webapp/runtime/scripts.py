"""Running Server Scripts: one script, or the scripts of one document event as a group.

A run is described as plain data (a `spec`: which scripts, who runs them, what they are given) and
handed to the script side (webapp/script_api/runner.py) through the site's transport
(webapp/runtime/transport.py): a script host process, or the web worker itself. While it runs,
every call the script makes arrives at webapp/runtime/bridge.py and runs here, in this thread, in
the operation's transaction, as the acting user. The script side answers with what happened
(`done`, plain data): each run becomes a log row; a failure is raised as an error that names the
script and the line; what the script set up (frappe.flags / response, the event's document) is
applied here. API scripts (`/api/method`, run_script, frappe.call) are runtime/api.py; Permission
Query scripts runtime/permission_query.py; Scheduler Event scripts runtime/scheduler.py.
"""

from __future__ import annotations

import time
from typing import Any

from webapp import errors
from webapp.attrdict import AttrDict
from webapp.doctypes import registry
from webapp.documents.document import Document
from webapp.runtime import bridge, cache, logs, transport
from webapp.sandbox import Limits, SandboxError
from webapp.script_api.wire import error_from_wire
from webapp.services import context, run_context, script_settings
from webapp.services.context import acting_user
from webapp.services.run_context import RunContext

REPLY_KINDS = ("API", "Scheduler Event")


# -- errors -----------------------------------------------------------------------------------------
def _error_text(error: dict[str, Any], lineno: int | None) -> str:
    """The log's error: class, message and line ("ValidationError (line 2)" when it has no message)."""
    where = f" (line {lineno})" if lineno else ""
    name, message = error["type"], str(error.get("message") or "").strip()
    return f"{name}: {message}{where}" if message else f"{name}{where}"


def _as_error(name: str, error: dict[str, Any], lineno: int | None) -> BaseException:
    exc = error_from_wire(error)
    line = f" at line {lineno}" if lineno else ""
    if isinstance(exc, errors.FrappeError):
        if not exc.message:
            exc.args = (f"{type(exc).__name__} raised by Server Script {name!r}{line or ' (line unknown)'}",)
        return exc
    if isinstance(exc, SandboxError):
        # Named once, by the run it stopped: the runs it passes through on its way out (nested
        # runs, a script listing its own doctype) do not wrap the message again.
        if not getattr(exc, "_named", False):
            exc.args = (f"Server Script {name!r} stopped{line}: {exc}",)
            exc._named = True  # type: ignore[attr-defined]
        return exc
    original = error["type"]
    failed = errors.ScriptError(f"Server Script {name!r} failed{line}: {original}: {error.get('message') or ''}"
                                .rstrip(": "))
    failed.frappe_exc_type = original  # clients branch on the original class, as with Frappe
    return failed


# -- runs ---------------------------------------------------------------------------------------------
def _script(info: cache.ScriptInfo) -> dict[str, Any]:
    if info.compiled is None:
        raise errors.ScriptError(f"Server Script {info.name!r} does not compile: {info.compile_error}")
    return {"name": info.name, "filename": info.filename, "sha256": info.compiled.sha256, "source": info.source}


def execute(infos: list[cache.ScriptInfo], ctx: RunContext, triggers: list[str], *, doc: Document | None = None,
            extra: dict[str, Any] | None = None, budget: Limits | None = None,
            conditions: bool = False) -> dict[str, Any]:
    """Run `infos` (one script, or an event's group) for `ctx` and log each run; raise the first
    failure. Returns the script side's `done` (see script_api/runner.py)."""
    _, site_budget, isolation = script_settings.settings()
    budget = budget or site_budget
    outer = run_context.current()
    now = time.monotonic()
    ctx.deadline = now + budget.timeout_s * len(infos)
    if outer is not None and outer.deadline:
        ctx.deadline = min(ctx.deadline, outer.deadline)  # a nested run shares what is left
    spec: dict[str, Any] = {
        "kind": ctx.kind, "user": ctx.user, "timeout_s": budget.timeout_s, "memory_mb": budget.memory_mb,
        "scripts": [_script(info) for info in infos], "form_dict": dict(ctx.form_dict),
        "extra": extra, "request": context.request_fields() is not None, "conditions": conditions,
        "metas_version": registry.current().version,
    }
    engine = logs.current_engine()
    token = run_context.enter(ctx)
    try:
        with bridge.handing(doc) as ref:
            if doc is not None:
                spec["doc"] = bridge.wire_of(doc, ref)
                spec["metas"] = bridge.metas_of(doc.meta)
            done = transport.of(isolation).execute(spec, ctx.deadline)
    finally:
        run_context.leave(token)
    failure: BaseException | None = None
    # Records name their script: a run the host was stopped in comes alone (runtime/hosts.py).
    ran = {info.name: (info, trigger) for info, trigger in zip(infos, triggers, strict=True)}
    for record in done["runs"]:
        info, trigger = ran[record["name"]]
        output = (record.get("output") or "").rstrip("\n")
        lines = record.get("logs") or []
        if lines:
            output = "\n".join([output, *lines] if output else lines)
        error = record.get("error")
        logs.queue((engine, info.name, info.script_type, trigger, ctx.user, record["started"],
                    record["duration_ms"], record["status"], output,
                    "" if error is None else _error_text(error, record.get("lineno"))))
        if error is not None:
            failure = _as_error(info.name, error, record.get("lineno"))
    if failure is not None:
        raise failure
    if ctx.kind in REPLY_KINDS:
        flags = done.get("flags")
        ctx.flags = AttrDict(flags) if type(flags) is dict else flags
        ctx.response = AttrDict(done.get("response") or {})
    if doc is not None and done.get("doc"):
        bridge.apply(doc, done["doc"])
    return done


def run(info: cache.ScriptInfo, ctx: RunContext, trigger: str, doc: Document | None = None,
        extra: dict[str, Any] | None = None, budget: Limits | None = None, conditions: bool = False) -> dict[str, Any]:
    """Run one script and log it; raise its error."""
    return execute([info], ctx, [trigger], doc=doc, extra=extra, budget=budget, conditions=conditions)


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
    about = f"{doc.doctype} {doc.get('name') or '(new)'}"
    ctx = RunContext(scripts[0].name, "DocType Event", acting_user())
    execute(scripts, ctx, [f"{info.doctype_event} {about}" for info in scripts], doc=doc,
            extra=dict(details) if details else None, budget=budget)
