"""The script side: the `frappe` namespace given to scripts (the README's Script API table), built
fresh for every run.

This package runs where scripts run (a script host process, or the web worker itself) and imports
nothing of the app but pure parts (the sandbox, the error classes, the document class, doctype
metadata): whatever reaches data or the outside world is a `parent.call` that the app answers
(webapp/runtime/bridge.py). The static part (functions, utils, exceptions) is built once per
process as read-only namespaces; each run adds its own flags, response, form_dict, session and
request, so nothing one script changes is seen by the next.
"""

from __future__ import annotations

import json as _json
import mimetypes
from functools import lru_cache
from typing import Any

from webapp import errors
from webapp.attrdict import AttrDict
from webapp.jsonenc import to_jsonable
from webapp.sandbox import ReadOnlyNamespace, mark_writable
from webapp.sandbox.guards import check_parse_size
from webapp.script_api import calls, commit_hooks, dates, extras, messages, shaping, text, utils
from webapp.script_api import qb as qb_api
from webapp.script_api.document import ScriptDocument
from webapp.script_api.render import render_template
from webapp.script_api.request import RequestNamespace
from webapp.script_api.run import Run

# Scripts may change the documents and attribute dicts they hold; nothing else of ours.
mark_writable(ScriptDocument)
mark_writable(AttrDict)

EXCEPTIONS = {name: getattr(errors, name) for name in errors.SCRIPT_EXCEPTIONS}

API_KINDS = ("API", "Scheduler Event")


class FrappeNamespace(ReadOnlyNamespace):
    """A run's `frappe`: read-only but for `frappe.flags`, which Frappe scripts assign to return a
    value (`frappe.flags = "hello"` replies {"message": "hello"}; run_script returns it).

    System Settings values (`frappe.date_format` ...) are read when a script reads them."""

    _SETTINGS_PROPERTIES = ("date_format", "time_format", "number_format", "lang", "full_name")

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "flags":
            super().__setattr__(name, value)
        if isinstance(value, dict):
            value = value if type(value) is AttrDict else AttrDict(value)
        elif value is not None and type(value) not in (str, int, float, bool, list):
            raise TypeError(f"frappe.flags can be set to a dict, _dict, string, number or list, "
                            f"not a {type(value).__name__}")
        self.__dict__["flags"] = value

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._SETTINGS_PROPERTIES})

    @property
    def date_format(self) -> str:
        return calls.system_setting("date_format")

    @property
    def time_format(self) -> str:
        return calls.system_setting("time_format")

    @property
    def number_format(self) -> str:
        return calls.system_setting("number_format")

    @property
    def lang(self) -> str:
        return calls.system_setting("language")

    @property
    def full_name(self) -> str:
        return calls.get_fullname(self.__dict__["user"])


mark_writable(FrappeNamespace)


def as_json(obj: Any, indent: int | None = 1) -> str:
    return _json.dumps(obj, indent=indent, sort_keys=True, default=to_jsonable, separators=(",", ": "))


def bold(text: Any) -> str:
    return f"<strong>{utils.escape_html(text)}</strong>"


def scrub(txt: Any) -> str:
    """Frappe's scrub: "Sales Invoice" -> "sales_invoice"."""
    return str(txt or "").replace(" ", "_").replace("-", "_").lower()


def guess_mimetype(url: Any, strict: bool = True) -> tuple:
    return mimetypes.guess_type(str(url), strict=bool(strict))


def _json_namespace() -> ReadOnlyNamespace:
    def dumps(obj: Any, indent: Any = None, sort_keys: bool = False, default: Any = None, **_ignored: Any) -> str:
        return _json.dumps(obj, indent=indent, sort_keys=sort_keys, default=to_jsonable)

    def loads(text: Any, **_ignored: Any) -> Any:
        check_parse_size(text, "json.loads()")
        return _json.loads(text)

    return ReadOnlyNamespace("json", dumps=dumps, loads=loads, JSONDecodeError=_json.JSONDecodeError)


@lru_cache(maxsize=1)
def _static() -> dict[str, Any]:
    utils_ns = ReadOnlyNamespace("frappe.utils", {
        **{name: getattr(module, name) for module in (utils, dates, text) for name in module.NAMES},
        **{name: getattr(extras, name) for name in extras.UTILS_NAMES}})
    db_common = {
        "get_value": calls.db_get_value, "get_values": calls.db_get_values, "set_value": calls.db_set_value,
        "exists": calls.db_exists, "count": calls.db_count, "get_all": calls.get_all, "get_list": calls.get_list,
        "escape": calls.db_escape, "get_single_value": calls.get_single_value, "get_default": calls.get_default,
        "set_single_value": calls.set_single_value,
        "after_commit": commit_hooks.after_commit, "before_commit": commit_hooks.before_commit,
        "after_rollback": commit_hooks.after_rollback, "sql": calls.sql,
    }
    db_event = ReadOnlyNamespace("frappe.db", db_common)
    db_api_kind = ReadOnlyNamespace("frappe.db", db_common, commit=calls.db_commit, rollback=calls.db_rollback)
    base = {
        "get_doc": calls.get_doc, "new_doc": calls.new_doc, "get_cached_doc": calls.get_cached_doc,
        "get_last_doc": calls.get_last_doc, "delete_doc": calls.delete_doc, "rename_doc": calls.rename_doc,
        "get_all": calls.get_all, "get_list": calls.get_list, "get_meta": calls.get_meta,
        "has_permission": calls.has_permission,
        "msgprint": calls.msgprint, "throw": messages.throw, "log_error": calls.log_error,
        "errprint": calls.errprint, "utils": utils_ns, "_": messages.translate, "bold": bold, "as_json": as_json,
        "parse_json": utils.parse_json, "_dict": AttrDict, "call": calls.call,
        "get_roles": calls.get_roles, "get_fullname": calls.get_fullname,
        "render_template": render_template, "enqueue": calls.enqueue, "sendmail": calls.sendmail,
        "get_system_settings": calls.get_system_settings, "get_single": calls.get_single,
        "format_value": shaping.format_value,
        "format_date": dates.global_date_format, "get_url": utils.get_url,
        "copy_doc": shaping.copy_doc, "get_mapped_doc": shaping.get_mapped_doc, "get_print": calls.get_print,
        "attach_print": calls.attach_print, "log": calls.log, "scrub": scrub, "qb": qb_api.qb,
        "website": extras.website, "sanitize_html": extras.sanitize_html, "get_gravatar": extras.get_gravatar,
        "get_hooks": extras.get_hooks, "json_handler": extras.json_handler,
        **EXCEPTIONS,
    }
    for name in calls.HTTP_NAMES:
        base[name] = getattr(calls, name)
    # The names every run gets beside `frappe` (read-only objects and functions: shared by reference).
    globals_ = {"json": _json_namespace(), "_dict": AttrDict, "run_script": calls.run_script, "log": calls.log,
                "as_json": as_json, "_": messages.translate, "setattr": shaping.safe_setattr,
                "delattr": shaping.safe_delattr, "scrub": scrub, "guess_mimetype": guess_mimetype,
                "orjson": extras.orjson, "style": extras.STYLE, "dev_server": 0}
    # `frappe` of each kind of run, its shared part held by a class: a run's own `frappe` holds
    # only the per-run names (see build_namespace).
    kinds = {kind: FrappeNamespace._shared_part("frappe", {**base, "db": db_api_kind if kind in API_KINDS
                                                             else db_event})
             for kind in ("DocType Event", "API", "Scheduler Event", "Permission Query")}
    return {"globals": globals_, "kinds": kinds}


_sessions: dict[str, ReadOnlyNamespace] = {}


def _session(user: str) -> ReadOnlyNamespace:
    """`frappe.session` (read-only, so one per user is shared by that user's runs)."""
    found = _sessions.get(user)
    if found is None:
        if len(_sessions) > 1000:
            _sessions.clear()
        found = _sessions[user] = ReadOnlyNamespace("frappe.session", user=user, sid=None)
    return found


def build_namespace(ctx: Run, doc: ScriptDocument | None = None, in_request: bool = False,
                    extra: dict[str, Any] | None = None) -> dict[str, Any]:
    static = _static()
    ns = static["globals"].copy()
    user = ctx.user
    ns["frappe"] = static["kinds"][ctx.kind]._with({
        "flags": ctx.flags, "response": ctx.response, "form_dict": ctx.form_dict,
        "session": _session(user), "user": user, "request": RequestNamespace("frappe.request") if in_request else None})
    ns["args"] = ctx.form_dict
    if doc is not None:
        ns["doc"] = doc
    if extra:
        ns.update(extra)
    return ns
