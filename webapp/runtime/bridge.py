"""The app's side of the script boundary: every operation a script can ask for, by name.

A script reaches data and the outside world only through `script_api.parent.call(op, ...)`, which
arrives here as `dispatch(op, args, kwargs)`: from a script host process over its channel, or in
the worker itself. Each operation runs in the web worker's thread, inside the operation's own
transaction, as the user the run acts for (`services.context.acting_user`), with the same
permission checks as any other door, and answers with plain data. Documents cross as their data
(`wire`: {"doctype", "data", "new", "ref"}); `ref` names one of the app's live documents handed to
a run (the document of an event), so that `doc.save()` on the script side saves that very one.
"""

from __future__ import annotations

import contextvars
import importlib.resources
import logging
import os
import time
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from webapp import hooks
from webapp.attrdict import AttrDict
from webapp.doctypes import registry
from webapp.doctypes.meta import DocType
from webapp.documents.document import Document
from webapp.documents.query import postgres_names
from webapp.errors import DoesNotExistError, ValidationError
from webapp.extensions import db
from webapp.sandbox.export import plain
from webapp.script_api.document import meta_to_wire, plain_data
from webapp.services import (
    context,
    documents,
    mail,
    messages,
    outbound,
    permissions,
    printing,
    readonly_sql,
    run_context,
    system_settings,
    users,
)
from webapp.services.context import ensure_writable

log = logging.getLogger("webapp.scripts")


# -- live documents handed to runs ------------------------------------------------------------------
_refs: contextvars.ContextVar[dict[int, Document] | None] = contextvars.ContextVar("script_doc_refs", default=None)


@contextmanager
def handing(doc: Document | None) -> Iterator[int | None]:
    """`doc` may be referred to by the run (and the runs nested in it) as the ref this yields."""
    if doc is None:
        yield None
        return
    refs = _refs.get()
    token = None
    if refs is None:
        refs = {}
        token = _refs.set(refs)
    ref = len(refs) + 1
    refs[ref] = doc
    try:
        yield ref
    finally:
        refs.pop(ref, None)
        if token is not None:
            _refs.reset(token)


def _live(ref: Any) -> Document:
    refs = _refs.get() or {}
    doc = refs.get(ref) if type(ref) is int else None
    if doc is None:
        raise ValidationError("That document is no longer being worked on")
    return doc


def wire_of(doc: Document, ref: int | None = None) -> dict[str, Any]:
    return {"doctype": doc.doctype, "data": plain_data(doc), "new": doc.is_new(), "ref": ref}


def apply(doc: Document, data: dict[str, Any]) -> None:
    """Set the values a script sent on one of the app's documents (its lifecycle then checks them)."""
    if not isinstance(data, dict):
        raise ValidationError("A document's values must be a dict")
    for key, value in data.items():
        if key == "doctype":
            continue
        doc.set(key, value)


def _doc_from_wire(wire: Any) -> tuple[Document, int | None]:
    """The app's document a script's copy stands for, with the script's values on it."""
    if not isinstance(wire, dict) or not isinstance(wire.get("doctype"), str) or not isinstance(wire.get("data"), dict):
        raise ValidationError("Not a document")
    data = wire["data"]
    ref = wire.get("ref")
    if ref is not None:
        doc = _live(ref)
        if doc.doctype != wire["doctype"]:
            raise ValidationError("That document is of another doctype")
        apply(doc, data)
        return doc, ref
    if wire.get("new"):
        return documents.new_doc(wire["doctype"], {k: v for k, v in data.items() if k != "doctype"}), None
    name = data.get("name")
    if not name:
        raise ValidationError(f"A saved {wire['doctype']} needs its name")
    doc = documents.get_doc(wire["doctype"], name, check_permission=False)
    apply(doc, data)
    return doc, None


def run_deadline() -> float:
    """When the run in progress must end (monotonic seconds; an hour away outside a run)."""
    ctx = run_context.current()
    return ctx.deadline if ctx is not None and ctx.deadline else time.monotonic() + 3600.0


def _budget_left() -> float:
    return run_deadline() - time.monotonic()


# -- documents ----------------------------------------------------------------------------------
def metas_of(meta: DocType) -> list[dict[str, Any]]:
    """A doctype's metadata and its child tables', as plain data."""
    out = [meta_to_wire(meta)]
    for f in meta.table_fields:
        child = registry.get(f.options or "")
        if child is not None:
            out.append(meta_to_wire(child))
    return out


def get_metas(doctype: Any) -> list[dict[str, Any]]:
    """The doctype's metadata and its child tables'."""
    return metas_of(documents.meta_of(str(doctype)))  # refuses doctypes kept from scripts (Email Queue)


def get_doc(doctype: Any, name: Any = None, check_permission: bool = False) -> dict[str, Any]:
    if isinstance(doctype, dict):
        return wire_of(documents.get_doc(dict(doctype)))
    return wire_of(documents.get_doc(str(doctype), name, check_permission=bool(check_permission)))


def new_doc(doctype: Any, values: Any = None) -> dict[str, Any]:
    return wire_of(documents.new_doc(str(doctype), dict(values or {})))


def get_list(doctype: Any, options: dict[str, Any]) -> Any:
    """frappe.get_list / get_all / db.get_list: rows as dicts (tuples with as_list, values with
    pluck), or with run=False the query's SQL."""
    o = dict(options or {})
    fields = o.get("fields")
    if isinstance(fields, str) and not fields.strip().startswith("["):
        fields = [f.strip() for f in fields.split(",")] if fields.strip() != "*" else ["*"]
    length = o.get("limit") if o.get("limit") is not None else o.get("limit_page_length")
    return documents.get_list(str(doctype), fields=fields, filters=o.get("filters"), or_filters=o.get("or_filters"),
                              order_by=o.get("order_by"), limit_start=o.get("limit_start", 0),
                              limit_page_length=length, pluck=o.get("pluck"), as_list=bool(o.get("as_list")),
                              ignore_permissions=bool(o.get("ignore_permissions")), default_page_length=0,
                              run=bool(o.get("run", True)))


def delete_doc(doctype: Any, name: Any, ignore_permissions: bool = False) -> None:
    documents.delete(str(doctype), str(name), ignore_permissions=bool(ignore_permissions))


def has_permission(doctype: Any, ptype: Any = "read", docname: Any = None, user: Any = None) -> bool:
    doc = None
    if docname:
        doc = documents.get_doc(str(doctype), str(docname), check_permission=False)
    return permissions.has_permission(str(doctype), str(ptype), doc, user)


def rename_doc(doctype: Any, old: Any, new: Any, merge: bool = False, ignore_permissions: bool = False) -> dict:
    return wire_of(documents.rename(str(doctype), old, new, merge=bool(merge),
                                    ignore_permissions=bool(ignore_permissions)))


def doc_insert(wire: Any, ignore_permissions: bool = False, ignore_mandatory: bool = False) -> dict[str, Any]:
    doc, ref = _doc_from_wire(wire)
    return wire_of(documents.insert(doc, ignore_permissions=bool(ignore_permissions),
                                    ignore_mandatory=bool(ignore_mandatory)), ref)


def doc_save(wire: Any, ignore_permissions: bool = False) -> dict[str, Any]:
    doc, ref = _doc_from_wire(wire)
    return wire_of(documents.save(doc, ignore_permissions=bool(ignore_permissions)), ref)


def doc_submit(wire: Any, ignore_permissions: bool = False) -> dict[str, Any]:
    doc, ref = _doc_from_wire(wire)
    return wire_of(documents.submit(doc, ignore_permissions=bool(ignore_permissions)), ref)


def doc_cancel(wire: Any, ignore_permissions: bool = False) -> dict[str, Any]:
    doc, ref = _doc_from_wire(wire)
    return wire_of(documents.cancel(doc, ignore_permissions=bool(ignore_permissions)), ref)


def doc_db_set(wire: Any, values: Any, update_modified: bool = True) -> dict[str, Any]:
    """doc.db_set: the values as written (coerced), no lifecycle."""
    if not isinstance(wire, dict) or not isinstance(values, dict):
        raise ValidationError("db_set needs a document and its values")
    ref = wire.get("ref")
    if ref is not None:
        doc = _live(ref)
    else:
        doc = Document(documents.meta_of(str(wire.get("doctype"))))
        doc._data["name"] = (wire.get("data") or {}).get("name")
    before = dict(doc._data)
    documents.db_set(doc, dict(values), update_modified=bool(update_modified))
    return {k: v for k, v in doc._data.items() if k in values or (k in ("modified", "modified_by") and
                                                                   before.get(k) != v)}


def doc_check_permission(doctype: Any, name: Any, ptype: Any = "read") -> None:
    doc = documents.get_doc(str(doctype), name, check_permission=False) if name else None
    permissions.check(str(doctype), str(ptype), doc=doc)


def doc_before(ref: Any) -> dict[str, Any] | None:
    """The event document as it was stored before this save (Frappe's get_doc_before_save)."""
    before = _live(ref).get_doc_before_save()
    return wire_of(before) if before is not None else None


# -- frappe.db ------------------------------------------------------------------------------------
def db_get_value(doctype: Any, filters: Any = None, fieldname: Any = "name", as_dict: bool = False) -> Any:
    return documents.get_value(str(doctype), filters, fieldname, as_dict=bool(as_dict))


def db_get_values(doctype: Any, filters: Any = None, fieldname: Any = "name", as_dict: bool = False,
                  order_by: Any = None, limit: Any = None) -> list:
    fields = fieldname if isinstance(fieldname, (list, tuple)) else [fieldname]
    if filters is not None and not isinstance(filters, (dict, list)):
        filters = {"name": filters}
    rows = documents.get_list(str(doctype), fields=list(fields), filters=filters, order_by=order_by,
                              limit_page_length=limit or 0, ignore_permissions=True)
    return rows if as_dict else [list(r.values()) for r in rows]


def db_set_value(doctype: Any, name: Any, values: Any, update_modified: bool = True) -> None:
    """Write straight to the row, no hooks (Frappe's db.set_value); a doctype whose rules live in
    its lifecycle (Server Script) is saved properly instead."""
    ensure_writable("change data")
    if not isinstance(values, dict):
        raise ValidationError("set_value needs a field name and a value, or a dict of them")
    meta = documents.meta_of(str(doctype))
    if meta.issingle:  # frappe.db.set_value("My Settings", None or "My Settings", field, value)
        documents.set_single_value(meta.name, dict(values))
        return
    if isinstance(name, dict):
        names = documents.get_list(meta.name, fields=["name"], filters=name, limit_page_length=0,
                                   ignore_permissions=True, pluck="name")
    else:
        names = [name]
    for n in names:
        if not meta.direct_writes:
            documents.set_value(meta.name, n, dict(values), ignore_permissions=True)
            continue
        doc = Document(meta)
        doc._data["name"] = n
        documents.db_set(doc, dict(values), update_modified=bool(update_modified))


def db_exists(doctype: Any, name: Any = None) -> Any:
    if isinstance(doctype, dict):
        values = dict(doctype)
        dt = values.pop("doctype", None)
        if not dt:
            raise ValidationError("exists({...}) needs a 'doctype' key")
        return documents.exists(str(dt), values)
    return documents.exists(str(doctype), name)


def db_count(doctype: Any, filters: Any = None) -> int:
    return documents.get_count(str(doctype), filters=filters, ignore_permissions=True)


def db_commit() -> None:
    ensure_writable("commit")
    context.run_before_commit()
    db.session.commit()
    context.committed_midway()  # jobs queued so far go now, as in Frappe


def db_rollback() -> None:
    db.session.rollback()
    context.rolled_back_midway()  # and jobs queued so far are dropped


def sql(query: Any, values: Any = None, as_dict: bool = False, as_list: bool = False, pluck: bool = False) -> list:
    """frappe.db.sql: one read-only query under the database guard, within the run's time left."""
    if not isinstance(query, str):
        raise ValidationError("frappe.db.sql needs the query as a string")
    if len(query) > readonly_sql.MAX_QUERY_CHARS:
        raise ValidationError(f"frappe.db.sql: query too long (over {readonly_sql.MAX_QUERY_CHARS} characters)")
    if values is not None and not isinstance(values, dict):
        values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
    if db.session.get_bind().dialect.name == "postgresql":
        query = postgres_names(query)  # Frappe's `backquotes` and bare tabToDo, as its Postgres layer reads them
    deadline = run_deadline()
    columns, rows = readonly_sql.run_query(query, values, "frappe.db.sql", deadline - time.monotonic(),
                                           lambda: time.monotonic() >= deadline)
    if pluck:
        return [r[0] for r in rows]
    if as_dict:
        return [dict(zip(columns, r, strict=False)) for r in rows]
    return [list(r) for r in rows]


# -- the user, messages, mail, printing, the request ----------------------------------------------
def msgprint(message: Any, title: Any = None, indicator: Any = None) -> None:
    messages.add_message(str(message), title=None if title is None else str(title),
                         indicator=None if indicator is None else str(indicator))


def log_error(title: Any, message: Any) -> None:
    ctx = run_context.current()
    where = f"Server Script {ctx.script!r}" if ctx else "script"
    log.error("%s: %s: %s", where, title, message)


def get_roles(user: Any) -> list[str]:
    return sorted(r for r in users.roles_of(str(user)) if r != "All") if user != "Guest" else ["Guest"]


def get_fullname(user: Any) -> str:
    u = users.get_user(str(user))
    if u is None:
        if user == "Guest":
            return "Guest"
        raise DoesNotExistError(f"User {user} not found")
    return u.display_name


def user_info(user: Any) -> dict[str, Any]:
    u = users.get_user(str(user))
    if u is None:
        return {"email": str(user), "image": "", "name": str(user)}
    return {"email": u.email, "image": "", "name": u.display_name}


def sendmail(options: Any) -> None:
    o = dict(options or {})
    mail.queue_email(o.get("recipients"), subject=o.get("subject", "No Subject"),
                     message=o.get("message", "No Message"), sender=o.get("sender") or "", cc=o.get("cc"),
                     bcc=o.get("bcc"), reference_doctype=o.get("reference_doctype"),
                     reference_name=o.get("reference_name"), send_after=o.get("send_after"))


def http(method: Any, url: Any, options: Any = None) -> Any:
    o = dict(options or {})
    return outbound.make_request(str(method), url, headers=o.get("headers"), params=o.get("params"),
                                 data=o.get("data"), json=o.get("json"), budget_s=_budget_left())


def get_print(doctype: Any, name: Any) -> str:
    return printing.render(str(doctype), str(name))


def get_system_settings() -> dict[str, Any]:
    """The System Settings values scripts may read (formats, precision, time zone...); never the
    rest of the site config."""
    return {key: system_settings.system_setting(key) for key in system_settings.DEFAULTS}


def get_single_value(doctype: Any, fieldname: Any) -> Any:
    """A Single's value (System Settings: the site's, from site_config.json)."""
    if str(doctype) == system_settings.SYSTEM_SETTINGS and registry.get(str(doctype)) is None:
        return system_settings.get_single_value(str(doctype), str(fieldname))
    return documents.get_single_value(str(doctype), str(fieldname))


def set_single_value(doctype: Any, values: Any) -> None:
    if str(doctype) == system_settings.SYSTEM_SETTINGS and registry.get(str(doctype)) is None:
        raise ValidationError("System Settings are changed by a System Manager in the desk (/app/system-settings), "
                              "not by scripts")
    if not isinstance(values, dict):
        raise ValidationError("set_single_value needs a field name and a value, or a dict of them")
    documents.set_single_value(str(doctype), dict(values))


def request_field(name: Any) -> Any:
    """A field of the web request the run happens in (frappe.request), or None outside one."""
    fields = context.request_fields()
    if fields is None:
        return None
    load = fields.get(str(name))
    if load is None:
        raise AttributeError(f"'frappe.request' has no attribute '{name}'")
    value = load()
    return value if not callable(value) else None


def site_url() -> str:
    """The address of this site (the request's, else http://127.0.0.1:8000)."""
    fields = context.request_fields()
    return str(fields["host_url"]()).rstrip("/") if fields is not None else "http://127.0.0.1:8000"


def request_host() -> str:
    fields = context.request_fields()
    return str(fields["host"]()) if fields is not None else ""


MAX_COMMIT_HOOKS = 100  # per operation
_HOOK_KINDS = ("after_commit", "before_commit", "after_rollback")


def tz_data(name: Any) -> bytes | None:
    """A time zone's TZif data by its IANA name (None for an unknown one), for a script host."""
    name = str(name)
    if not name or len(name) > 64 or ".." in name or name.startswith("/") or not all(
            c.isalnum() or c in "/_-+" for c in name):
        return None
    try:
        with importlib.resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as zone_file:
            return zone_file.read(1024 * 1024)
    except (OSError, ModuleNotFoundError, ValueError):
        pass
    for base in zoneinfo.TZPATH:
        path = os.path.join(base, *name.split("/"))
        if os.path.isfile(path):
            with open(path, "rb") as zone_file:
                return zone_file.read(1024 * 1024)
    return None


def commit_hook(side: ScriptSide, kind: Any, callback: Any) -> None:
    """frappe.db.after_commit.add(fn) and its siblings: the script side keeps the function (by the
    number `callback`); when the transaction commits (or rolls back) the app asks it to run it, as
    a run of its own with a fresh budget. Once the transaction has ended the script side forgets it."""
    if kind not in _HOOK_KINDS or type(callback) is not int:
        raise ValidationError(f"Unknown transaction hook {kind!r}")
    memo = context.transaction_memo()
    if memo is not None:
        memo["script_hooks"] = memo.get("script_hooks", 0) + 1
        if memo["script_hooks"] > MAX_COMMIT_HOOKS:
            raise ValidationError(f"frappe.db.{kind}: at most {MAX_COMMIT_HOOKS} callbacks per operation")
    ctx = run_context.current()
    user, script = context.acting_user(), ctx.script if ctx else ""
    register = {"after_commit": context.after_commit, "before_commit": context.before_commit,
                "after_rollback": context.after_rollback}[kind]
    side.keep_callback(callback)
    register(lambda: side.run_callback(callback, user, script, raise_errors=kind == "before_commit"))
    # A callback that will not run (its transaction went the other way) is forgotten; one that runs
    # is forgotten by running.
    (context.after_commit if kind == "after_rollback" else context.after_rollback)(
        lambda: side.forget_callback(callback))


class ScriptSide:
    """What the bridge may ask of the script side that made a call (its transport implements it)."""

    def keep_callback(self, callback: int) -> None:
        """The script side holds `callback` until its transaction ends (run_callback or
        forget_callback then comes, once)."""

    def run_callback(self, callback: int, user: str, script: str, raise_errors: bool) -> None:
        raise NotImplementedError

    def forget_callback(self, callback: int) -> None:
        raise NotImplementedError


# -- the table ------------------------------------------------------------------------------------
OPS: dict[str, Callable[..., Any]] = {
    "get_metas": get_metas, "get_doc": get_doc, "new_doc": new_doc, "get_list": get_list,
    "delete_doc": delete_doc, "has_permission": has_permission, "rename_doc": rename_doc,
    "doc_insert": doc_insert, "doc_save": doc_save, "doc_submit": doc_submit, "doc_cancel": doc_cancel,
    "doc_db_set": doc_db_set, "doc_check_permission": doc_check_permission, "doc_before": doc_before,
    "db_get_value": db_get_value, "db_get_values": db_get_values, "db_set_value": db_set_value,
    "db_exists": db_exists, "db_count": db_count, "db_commit": db_commit, "db_rollback": db_rollback, "sql": sql,
    "msgprint": msgprint, "log_error": log_error, "get_roles": get_roles, "get_fullname": get_fullname,
    "user_info": user_info, "sendmail": sendmail, "http": http, "get_print": get_print,
    "system_settings": get_system_settings, "get_single_value": get_single_value,
    "set_single_value": set_single_value, "request_field": request_field,
    "site_url": site_url, "request_host": request_host, "tz_data": tz_data,
}
# Operations of the script runtime itself (run_script, call, enqueue) are the app's `script_ops`
# hook (webapp/hooks.py), wired in create_app().
# Operations that act on the script side that asked (its transport is passed first).
SIDE_OPS: dict[str, Callable[..., Any]] = {"commit_hook": commit_hook}
MAX_ANSWER_BYTES = 64 * 1024 * 1024


def dispatch(side: ScriptSide, op: str, args: Any, kwargs: Any) -> Any:
    """Answer one call of a script: its result as plain data (dicts as AttrDict), or its error."""
    if type(op) is not str or type(args) not in (list, tuple) or type(kwargs) is not dict:
        raise ValidationError("A script's call must name an operation, with a list and a dict of arguments")
    handler = OPS.get(op) or hooks.current().script_ops.get(op)
    if handler is not None:
        result = handler(*args, **kwargs)
    elif op in SIDE_OPS:
        result = SIDE_OPS[op](side, *args, **kwargs)
    else:
        raise ValidationError(f"A script asked for an operation that does not exist: {op!r}")
    return plain(result, f"the answer to {op}", converters={Document: wire_of}, dict_type=AttrDict,
                 max_bytes=MAX_ANSWER_BYTES)


__all__ = ["OPS", "SIDE_OPS", "ScriptSide", "apply", "dispatch", "handing", "wire_of"]
