"""API scripts: `/api/method/<api_method>` (the app's method hook), the calls scripts make to each
other (`run_script`, `frappe.call`, `frappe.enqueue(now=True)`), and the reply a script sets up in
`frappe.response`, checked and given back as a `Reply` value (the API blueprint renders it)."""

from __future__ import annotations

import csv
import io
from typing import Any

from webapp import errors
from webapp.documents.document import AttrDict
from webapp.runtime import cache
from webapp.runtime.scripts import run
from webapp.services import methods, ratelimit
from webapp.services.context import acting_user, transaction
from webapp.services.methods import MethodCall, Reply
from webapp.services.run_context import RunContext
from webapp.services.script_settings import require_enabled

READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
               "transfer-encoding", "upgrade", "set-cookie", "content-length", "host"}
# Headers whose value the sandbox decides (the API blueprint sets them on every script reply).
_OURS = {"x-content-type-options", "content-security-policy", "content-security-policy-report-only"}
_SPECIAL_KEYS = {"http_status_code", "headers", "type", "filename", "filecontent", "content_type", "location"}


def check_guest(info: cache.ScriptInfo, user: str) -> None:
    """An API script without Allow Guest is not for Guest, whichever door it is reached by (a
    request, or run_script / frappe.call / frappe.enqueue from a script running as Guest)."""
    if user == "Guest" and not info.allow_guest:
        what = info.api_method or info.name
        raise errors.PermissionError(f"Not permitted: log in to call {what} (it does not allow guests)")


def handle(call: MethodCall) -> Reply | dict[str, Any] | None:
    """The app's method hook for API scripts; None when no script answers `call.name`."""
    method = call.name
    info = cache.current().api.get(method)
    if info is None:
        return None
    require_enabled()
    user = acting_user()
    check_guest(info, user)
    if info.enable_rate_limit:
        ratelimit.hit(ratelimit.per_seconds(max(1, info.rate_limit_count), max(1, info.rate_limit_seconds)),
                      "server-script", method, call.client,
                      message=f"Rate limit for {method} exceeded: {info.rate_limit_count} calls per "
                              f"{info.rate_limit_seconds} seconds")
    ctx = RunContext(script=info.name, kind="API", user=user, form_dict=AttrDict(call.args))
    verb = call.http_method
    with transaction(read_only=verb in READ_ONLY_METHODS,
                     reason=f"A {verb} request cannot change data: call /api/method/{method} with POST"):
        run(info, ctx, trigger=f"{method} {verb}")
    return build_reply(ctx)


def run_nested(name: str, form: AttrDict, by_method: bool = False) -> RunContext:
    """Run the API script `name` (or the one answering the method `name`) from inside a script, as
    the same user and in the same operation; its context holds what it set."""
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
        run(info, ctx, trigger=f"run_script {name}")
    return ctx


# -- the reply --------------------------------------------------------------------------------------
def build_reply(ctx: RunContext) -> Reply | dict[str, Any]:
    """What the script set up in frappe.response (and frappe.flags), checked: plain JSON as a dict,
    anything else as a Reply. The values are plain data already (copied inside the run)."""
    resp = ctx.response
    body = {k: v for k, v in resp.items() if k not in _SPECIAL_KEYS}
    if ctx.flags:
        body["message"] = ctx.flags
    status = resp.get("http_status_code")
    kind = resp.get("type")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599):
        raise errors.ValidationError("frappe.response['http_status_code'] must be a whole number from 200 to 599")
    headers = _headers(resp.get("headers"))
    if kind in (None, "json") and status is None and not headers:
        return body
    reply = _typed(kind, body, resp)
    if status is not None:
        reply.status = status
    reply.headers.update(headers)
    if reply.status is not None and 300 <= reply.status < 400 and reply.location is None and not any(
            k.lower() == "location" for k in reply.headers):
        raise errors.ValidationError("A redirect status needs a Location: set frappe.response['type'] = 'redirect' "
                                     "and frappe.response['location'] = '/path'")
    return reply


def _typed(kind: Any, body: dict[str, Any], resp: dict[str, Any]) -> Reply:
    if kind in (None, "json"):
        return Reply(body)
    if kind == "text":
        return Reply(str(resp.get("message", "")), "text")
    if kind == "csv":
        data = resp.get("message", "")
        if isinstance(data, list):
            buf = io.StringIO()
            csv.writer(buf).writerows(data)
            data = buf.getvalue()
        filename = str(resp["filename"]) if resp.get("filename") else None
        if filename and not filename.endswith(".csv"):
            filename += ".csv"
        return Reply(str(data), "csv", filename=filename)
    if kind == "download":
        content = resp.get("filecontent", b"")
        content = content.encode() if isinstance(content, str) else bytes(content)
        ctype = str(resp.get("content_type") or "application/octet-stream")
        if "\n" in ctype or "\r" in ctype:
            raise errors.ValidationError("Invalid content_type")
        return Reply(content, "download", content_type=ctype, filename=str(resp.get("filename") or "download"))
    if kind == "redirect":
        return Reply(None, "redirect", status=302, location=same_site_location(resp.get("location")))
    raise errors.ValidationError(f"Unknown frappe.response['type'] {kind!r}; use text, csv, download or redirect")


def same_site_location(location: Any) -> str:
    """A redirect target on this site: a path, never another host (one rule for every door)."""
    text = "" if location is None else str(location).strip()
    if (not text.startswith("/") or text.startswith("//") or "\\" in text
            or any(ord(c) < 32 or c == "\x7f" for c in text)):
        raise errors.ValidationError(f"A redirect must go to a path on this site, e.g. /app/todo (not {text[:100]!r})")
    return text


def _headers(headers: Any) -> dict[str, str]:
    if not headers:
        return {}
    if not isinstance(headers, dict):
        raise errors.ValidationError("frappe.response['headers'] must be a dict")
    out: dict[str, str] = {}
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
        out[k] = v
    return out


# -- calls from inside a script (bridge operations) -------------------------------------------------
def run_script_op(name: Any, form: Any) -> Any:
    """`run_script(name, **kwargs)`: another API script, with the caller's form_dict updated by
    kwargs (the script side merges them); that script's frappe.flags."""
    return run_nested(str(name), AttrDict(form if isinstance(form, dict) else {})).flags


def call_op(method: Any, kwargs: Any, form: Any) -> Any:
    """`frappe.call(method, **kwargs)`: an API script (with the caller's form_dict updated by
    kwargs), or a built-in method a client of this run's user could call (`frappe.client.*`,
    `ping`), under that user's permissions."""
    method = str(method)
    if methods.is_builtin(method):
        return methods.call_builtin_from_script(method, dict(kwargs or {}), acting_user())
    smap = cache.current()
    if method not in smap.api and not any(
            i.api_method == method for i in smap.by_name.values() if i.script_type == "API"):
        raise errors.PermissionError(f"frappe.call: {method!r} is not a whitelisted method: call the API Method "
                                     "of an API Server Script, or a built-in method (ping, frappe.client.*)")
    child = run_nested(method, AttrDict(form if isinstance(form, dict) else {}), by_method=True)
    return child.flags or child.response.get("message")  # plain data, copied inside the child's run
