"""Running Server Scripts: document events, API methods, and calls between scripts.

Every run: fresh namespace (script_api), the site's limits, the sandbox, a log row, and on failure
an error that names the script and the line. Runs join the operation's transaction.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, current_app, g, has_request_context, request

from webapp import errors
from webapp.documents.document import Document, _dict
from webapp.runtime import cache, logs
from webapp.sandbox import Limits, ReadOnlyNamespace, RunGroup, SandboxError, execute
from webapp.sandbox.export import SCALARS, plain
from webapp.script_api import build_namespace, run_context
from webapp.script_api.request import RequestNamespace
from webapp.script_api.run_context import RunContext
from webapp.services.context import acting_user, transaction, transaction_memo

ENABLE_HINT = ("Server Scripts are disabled on this site. A System Manager can enable them with: "
               "flask --app wsgi set-config server_script_enabled true")
READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
_SKIP_DOCTYPES = ("Server Script", "Server Script Log")


def enabled() -> bool:
    return settings()[0]


def require_enabled() -> Limits:
    """Refuse when Server Scripts are disabled; else the run budget."""
    is_enabled, budget = settings()
    if not is_enabled:
        raise errors.ServerScriptDisabledError(ENABLE_HINT)
    return budget


_limits_memo: tuple[Any, Limits] | None = None


def limits() -> Limits:
    """The run budget from site_config.json."""
    return settings()[1]


def settings() -> tuple[bool, Limits]:
    """`server_script_enabled` and the run budget: site_config.json read once per request (or per
    transaction outside a request), not once per script run."""
    memo: Any = g if has_request_context() else transaction_memo()
    if memo is not None:
        found = memo.get("_script_settings")
        if found is not None:
            return found
    conf = current_app.extensions["site_config"].as_dict()
    found = (bool(conf["server_script_enabled"]),
             _limits(conf["server_script_timeout"], conf["server_script_max_memory_mb"]))
    if memo is g:
        g._script_settings = found
    elif memo is not None:
        memo["_script_settings"] = found
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


# -- one run --------------------------------------------------------------------------------------
def _error_text(result) -> str:
    if result.error is None:
        return ""
    where = f" (line {result.lineno})" if result.lineno else ""
    return f"{type(result.error).__name__}: {result.error}{where}"


def _as_error(info: cache.ScriptInfo, result) -> BaseException:
    exc = result.error
    line = f" at line {result.lineno}" if result.lineno else ""
    if isinstance(exc, errors.FrappeError):
        if not exc.message:
            exc.args = (f"{type(exc).__name__} raised by Server Script {info.name!r}{line}",)
        return exc
    if isinstance(exc, SandboxError):
        # Named once, by the run it stopped: the runs it passes through on its way out (nested
        # runs, a script listing its own doctype) do not wrap the message again.
        if not getattr(exc, "_named", False):
            exc.args = (f"Server Script {info.name!r} stopped{line}: {exc}",)
            exc._named = True  # type: ignore[attr-defined]
        return exc
    return errors.ScriptError(f"Server Script {info.name!r} failed{line}: {type(exc).__name__}: {exc}")


# -- what leaves a run ----------------------------------------------------------------------------
# Everything the host reads after a run is copied into plain data inside the run, under its budget
# (sandbox/export.py): no code of the script's runs once its run has ended.
_CONVERTERS = {Document: Document.as_dict}
_REPLY_KINDS = ("API", "Scheduler Event")


def plain_value(value: Any, what: str) -> Any:
    """`value` as plain data (dicts as _dict), or a 417 naming what is not."""
    return plain(value, what, converters=_CONVERTERS, dict_type=_dict)


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
            result = execute(info.compiled, namespace, budget or limits(), own=True, finish=settle)
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
def on_document_event(doc: Document, event: str) -> None:
    if doc.doctype in _SKIP_DOCTYPES:
        if doc.doctype == "Server Script":
            from webapp.runtime import script_doctype

            script_doctype.on_event(doc, event)
        return
    scripts = cache.current().events.get((doc.doctype, event))
    if not scripts:
        return
    budget = require_enabled()
    user = acting_user()
    about = f"{doc.doctype} {doc.get('name') or '(new)'}"
    engine = logs.current_engine()
    with RunGroup(budget) as group:  # one watchdog registration for the event's scripts, each its own budget
        for info in scripts:
            run(info, RunContext(info.name, "DocType Event", user), f"{info.doctype_event} {about}", doc,
                request_info(), None, budget, group, engine)


# -- API scripts ----------------------------------------------------------------------------------
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
               "transfer-encoding", "upgrade", "set-cookie", "content-length", "host"}
_SPECIAL_KEYS = {"http_status_code", "headers", "type", "filename", "filecontent", "content_type", "location"}


def request_info() -> ReadOnlyNamespace | None:
    return RequestNamespace("frappe.request") if has_request_context() else None


def handle_api(method: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """The /api/method/<method> fallback for API scripts; None when no script has that method."""
    info = cache.current().api.get(method)
    if info is None:
        return None
    require_enabled()
    user = acting_user()
    check_guest(info, user)
    if info.enable_rate_limit:
        from webapp.net import client_address
        from webapp.services import ratelimit

        ratelimit.hit(ratelimit.per_seconds(max(1, info.rate_limit_count), max(1, info.rate_limit_seconds)),
                      "server-script", method, client_address(),
                      message=f"Rate limit for {method} exceeded: {info.rate_limit_count} calls per "
                              f"{info.rate_limit_seconds} seconds")
    ctx = RunContext(script=info.name, kind="API", user=user, form_dict=_dict(args))
    read_only = request.method in READ_ONLY_METHODS
    with transaction(read_only=read_only,
                     reason=f"A {request.method} request cannot change data: call /api/method/{method} with POST"):
        run(info, ctx, trigger=f"{method} {request.method}", request_info=request_info())
    return build_reply(ctx)


def check_guest(info: cache.ScriptInfo, user: str) -> None:
    """An API script without Allow Guest is not for Guest, whichever door it is reached by (a
    request, or run_script / frappe.call / frappe.enqueue from a script running as Guest)."""
    if user == "Guest" and not info.allow_guest:
        what = info.api_method or info.name
        raise errors.PermissionError(f"Not permitted: log in to call {what} (it does not allow guests)")


def run_nested_api(name: str, form: _dict, by_method: bool = False) -> RunContext:
    smap = cache.current()
    info = smap.api.get(name) if by_method else (smap.by_name.get(name) or smap.api.get(name))
    if info is None or info.script_type != "API":
        raise errors.DoesNotExistError(f"No API Server Script {name!r}")
    if info.disabled:
        raise errors.ValidationError(f"Server Script {name!r} is disabled")
    user = acting_user()
    check_guest(info, user)
    ctx = RunContext(script=info.name, kind="API", user=user, form_dict=form)
    with transaction():
        run(info, ctx, trigger=f"run_script {name}", request_info=request_info())
    return ctx


def build_reply(ctx: RunContext) -> dict[str, Any]:
    resp = ctx.response
    body = {k: v for k, v in resp.items() if k not in _SPECIAL_KEYS}
    if ctx.flags:
        body["message"] = _dict(ctx.flags) if isinstance(ctx.flags, dict) else ctx.flags
    status = resp.get("http_status_code")
    kind = resp.get("type")
    if status is not None:
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise errors.ValidationError("frappe.response['http_status_code'] must be a whole number from 200 to 599")
    if kind in (None, "json") and status is None and not resp.get("headers"):
        return body
    response = _typed_response(kind, body, resp)
    if status is not None:
        response.status_code = status
    _apply_headers(response, resp.get("headers"))
    if 300 <= response.status_code < 400 and "Location" not in response.headers:
        raise errors.ValidationError("A redirect status needs a Location: set frappe.response['type'] = 'redirect' "
                                     "and frappe.response['location'] = '/path'")
    _harden(response)
    return {"_response": response}


# A script's reply other than JSON is shown as a sandboxed document: no script of its runs on this
# origin, whatever content type or disposition the script chose.
SCRIPT_REPLY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _harden(response: Response) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype != "application/json":
        response.headers["Content-Security-Policy"] = SCRIPT_REPLY_CSP


def _typed_response(kind: Any, body: dict[str, Any], resp: dict[str, Any]) -> Response:
    from flask import json as fjson

    from webapp.errors import server_messages_json

    if kind in (None, "json"):
        msgs = server_messages_json()
        if msgs:
            body["_server_messages"] = msgs
        return Response(fjson.dumps(body), mimetype="application/json")
    if kind == "text":
        return Response(str(resp.get("message", "")), mimetype="text/plain")
    if kind == "csv":
        import csv
        import io

        data = resp.get("message", "")
        if isinstance(data, (list, tuple)):
            buf = io.StringIO()
            csv.writer(buf).writerows(data)
            data = buf.getvalue()
        r = Response(str(data), mimetype="text/csv")
        if resp.get("filename"):
            filename = str(resp["filename"])
            r.headers["Content-Disposition"] = _attachment(filename if filename.endswith(".csv") else filename + ".csv")
        return r
    if kind == "download":
        content = resp.get("filecontent", b"")
        content = content.encode() if isinstance(content, str) else bytes(content)
        ctype = str(resp.get("content_type") or "application/octet-stream")
        if "\n" in ctype or "\r" in ctype:
            raise errors.ValidationError("Invalid content_type")
        r = Response(content, mimetype=ctype)
        r.headers["Content-Disposition"] = _attachment(str(resp.get("filename") or "download"))
        return r
    if kind == "redirect":
        return Response("", status=302, headers={"Location": same_site_location(resp.get("location"))})
    raise errors.ValidationError(f"Unknown frappe.response['type'] {kind!r}; use text, csv, download or redirect")


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    safe = "".join(c for c in filename if c.isprintable() and c not in '"\\/\r\n')[:200] or "download"
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(safe)}"


def same_site_location(location: Any) -> str:
    """A redirect target on this site: a path, never another host (one rule for every door)."""
    text = "" if location is None else str(location).strip()
    if (not text.startswith("/") or text.startswith("//") or "\\" in text
            or any(c in text for c in "\r\n\t\0") or any(ord(c) < 32 for c in text)):
        raise errors.ValidationError(f"A redirect must go to a path on this site, e.g. /app/todo (not {text[:100]!r})")
    return text


# Headers whose value the sandbox decides (set after the script's own).
_OURS = {"x-content-type-options", "content-security-policy", "content-security-policy-report-only"}


def _apply_headers(response: Response, headers: Any) -> None:
    if not headers:
        return
    if not isinstance(headers, dict):
        raise errors.ValidationError("frappe.response['headers'] must be a dict")
    for key, value in headers.items():
        k, v = str(key), str(value)
        lower = k.lower()
        if lower in _HOP_BY_HOP or lower in _OURS or any(c in k + v for c in "\r\n\0") or not k.strip():
            raise errors.ValidationError(f"Header {k!r} cannot be set by a script")
        if lower == "location":
            v = same_site_location(v)
        elif lower == "refresh":
            raise errors.ValidationError("Header 'Refresh' cannot be set by a script: use frappe.response['type'] = "
                                         "'redirect' with a path on this site")
        response.headers[k] = v
