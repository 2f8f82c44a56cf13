"""The `frappe` functions that ask the app (documents, frappe.db, messages, mail, outbound HTTP,
printing, other scripts): each checks and shapes its arguments here, on the script side, and is
one `parent.call` (webapp/runtime/bridge.py answers it)."""

from __future__ import annotations

from typing import Any

from webapp.attrdict import AttrDict
from webapp.doctypes.system_settings import DEFAULTS as SYSTEM_DEFAULTS
from webapp.errors import DoesNotExistError, ValidationError
from webapp.sandbox.export import plain_text
from webapp.script_api import parent, run
from webapp.script_api.document import METAS, ScriptDocument, as_wire_values, from_wire


def _call(op: str, *args: Any, **kwargs: Any) -> Any:
    return parent.call(op, *as_wire_values(list(args)), **as_wire_values(kwargs))


# -- documents ----------------------------------------------------------------------------------
def get_doc(doctype: Any, name: Any = None, **kwargs: Any) -> ScriptDocument:
    # Like Frappe's server-side get_doc: no read-permission check (writes are still checked).
    if isinstance(doctype, dict):
        return from_wire(_call("get_doc", dict(doctype)))
    if kwargs and name is None:
        name = kwargs
    return from_wire(_call("get_doc", doctype, name, False))


def new_doc(doctype: Any, **_ignored: Any) -> ScriptDocument:
    return from_wire(_call("new_doc", doctype, {}))


def get_cached_doc(doctype: Any, name: Any = None) -> ScriptDocument:
    return get_doc(doctype, name)


def get_last_doc(doctype: Any, filters: Any = None, order_by: str = "creation desc") -> ScriptDocument:
    rows = _list(doctype, {"fields": ["name"], "filters": filters, "order_by": order_by, "limit": 1,
                           "ignore_permissions": True})
    if not rows:
        raise DoesNotExistError(f"No {doctype} found")
    return get_doc(doctype, rows[0]["name"])


def delete_doc(doctype: Any, name: Any, ignore_permissions: bool = False, **_ignored: Any) -> None:
    _call("delete_doc", doctype, name, bool(ignore_permissions))


def _list(doctype: Any, options: dict[str, Any]) -> Any:
    rows = _call("get_list", doctype, options)
    if options.get("as_list") and isinstance(rows, list):
        return [tuple(r) for r in rows]
    return rows


def get_all(doctype: Any, fields: Any = None, filters: Any = None, or_filters: Any = None, order_by: Any = None,
            limit_start: Any = 0, limit_page_length: Any = None, limit: Any = None, pluck: Any = None,
            as_list: bool = False, run: Any = True, **_ignored: Any) -> Any:
    """All matching rows, no permission check (Frappe's get_all); run=False: the query's SQL."""
    return _list(doctype, {"fields": fields, "filters": filters, "or_filters": or_filters, "order_by": order_by,
                           "limit_start": limit_start, "limit_page_length": limit_page_length, "limit": limit,
                           "pluck": pluck, "as_list": bool(as_list), "ignore_permissions": True, "run": bool(run)})


def get_list(doctype: Any, fields: Any = None, filters: Any = None, or_filters: Any = None, order_by: Any = None,
             limit_start: Any = 0, limit_page_length: Any = None, limit: Any = None, pluck: Any = None,
             as_list: bool = False, ignore_permissions: bool = False, run: Any = True, **_ignored: Any) -> Any:
    """Rows the current user may read (Frappe's get_list); run=False: the query's SQL."""
    return _list(doctype, {"fields": fields, "filters": filters, "or_filters": or_filters, "order_by": order_by,
                           "limit_start": limit_start, "limit_page_length": limit_page_length, "limit": limit,
                           "pluck": pluck, "as_list": bool(as_list), "ignore_permissions": bool(ignore_permissions),
                           "run": bool(run)})


def get_meta(doctype: Any) -> AttrDict:
    """A fresh description of the doctype (fields and their types); changing it changes nothing."""
    meta = METAS.get(str(doctype))
    if meta is None:
        raise DoesNotExistError(f"DocType {doctype} not found")
    fields = [AttrDict(fieldname=f.fieldname, fieldtype=f.fieldtype, label=f.label, options=f.options, reqd=int(f.reqd),
                       unique=int(f.unique), read_only=int(f.read_only), default=f.default) for f in meta.fields]
    by_name = {f.fieldname: f for f in fields}
    columns = list(meta.column_names)

    def get_field(fieldname: str) -> AttrDict | None:
        return by_name.get(fieldname)

    def has_field(fieldname: str) -> bool:
        return fieldname in by_name

    def get_valid_columns() -> list[str]:
        return list(columns)

    return AttrDict(name=meta.name, fields=fields, is_submittable=int(meta.is_submittable), istable=int(meta.istable),
                    title_field=meta.title_field, get_field=get_field, has_field=has_field,
                    get_valid_columns=get_valid_columns)


def has_permission(doctype: Any, ptype: str = "read", doc: Any = None, user: str | None = None,
                   **_ignored: Any) -> bool:
    name = doc.name if isinstance(doc, ScriptDocument) else (doc.get("name") if isinstance(doc, dict) else None)
    return bool(_call("has_permission", doctype, ptype, name, user))


def rename_doc(doctype: Any, old: Any, new: Any, merge: bool = False, ignore_permissions: bool = False,
               **_ignored: Any) -> str:
    """Frappe's frappe.rename_doc: the new name (links to the document follow). Frappe's other
    options (force, show_alert, rebuild_search...) are accepted and change nothing."""
    return _call("rename_doc", doctype, old, new, bool(merge), bool(ignore_permissions))["data"]["name"]


# -- frappe.db ------------------------------------------------------------------------------------
def db_get_value(doctype: Any, filters: Any = None, fieldname: Any = "name", as_dict: bool = False,
                 order_by: Any = None, **_ignored: Any) -> Any:
    value = _call("db_get_value", doctype, filters, fieldname, bool(as_dict))
    return tuple(value) if isinstance(value, list) else value


def db_get_values(doctype: Any, filters: Any = None, fieldname: Any = "name", as_dict: bool = False,
                  order_by: Any = None, limit: Any = None, **_ignored: Any) -> list:
    rows = _call("db_get_values", doctype, filters, fieldname, bool(as_dict), order_by, limit)
    return rows if as_dict else [tuple(r) for r in rows]


def db_set_value(doctype: Any, name: Any, fieldname: Any, value: Any = None, update_modified: bool = True,
                 **_ignored: Any) -> None:
    """Write straight to the row, no hooks (Frappe's db.set_value)."""
    values = dict(fieldname) if isinstance(fieldname, dict) else {fieldname: value}
    _call("db_set_value", doctype, name, values, bool(update_modified))


def db_exists(doctype: Any, name: Any = None, **_ignored: Any) -> Any:
    return _call("db_exists", doctype, name)


def db_count(doctype: Any, filters: Any = None, **_ignored: Any) -> int:
    return _call("db_count", doctype, filters)


def db_escape(value: Any, percent: bool = True) -> str:
    text = str(value).replace("\\", "\\\\").replace("'", "''")
    if percent:
        text = text.replace("%", "%%")
    return f"'{text}'"


def db_commit() -> None:
    _call("db_commit")


def db_rollback() -> None:
    _call("db_rollback")


def sql(query: Any, values: Any = None, as_dict: Any = False, as_list: Any = False, pluck: Any = False,
        **_ignored: Any) -> list:
    """frappe.db.sql: one read-only query; rows as tuples, `_dict`s (as_dict) or lists (as_list)."""
    if not isinstance(query, str):
        raise ValidationError("frappe.db.sql needs the query as a string")
    if values is not None and not isinstance(values, (dict, list, tuple)):
        values = [values]  # Frappe accepts one bare value
    rows = _call("sql", query, values, bool(as_dict), bool(as_list), bool(pluck))
    if as_dict or pluck or as_list:
        return rows
    return [tuple(r) for r in rows]


def get_single_value(doctype: Any, fieldname: Any, cache: bool = True) -> Any:
    """`frappe.db.get_single_value("My Settings", "field")`, typed (System Settings: the site's)."""
    return _call("get_single_value", doctype, fieldname)


def set_single_value(doctype: Any, fieldname: Any, value: Any = None, **_ignored: Any) -> None:
    """`frappe.db.set_single_value("My Settings", "field", value)` (or a dict of fields): straight to
    tabSingles, no hooks, as in Frappe."""
    values = dict(fieldname) if isinstance(fieldname, dict) else {str(fieldname): value}
    _call("set_single_value", doctype, values)


def get_single(doctype: Any) -> ScriptDocument:
    """`frappe.get_single("My Settings")`: the Single's document (doc.save() saves it)."""
    return get_doc(doctype)


def site_url() -> str:
    """This site's address (the request's, else the default), asked once per run."""
    if run.current() is None:
        return "http://127.0.0.1:8000"
    return run.asked("site_url", lambda: _call("site_url"))


def request_host() -> str:
    if run.current() is None:
        return ""
    return run.asked("request_host", lambda: _call("request_host"))


def tz_data(name: str) -> bytes | None:
    """The TZif data of a time zone (the app reads the zone files a script host may not open)."""
    return _call("tz_data", name)


def user_info(user: Any) -> AttrDict:
    return AttrDict(_call("user_info", user))


def _settings() -> dict[str, Any]:
    if run.current() is None:  # a helper used outside a run (the app's own code): Frappe's defaults
        return dict(SYSTEM_DEFAULTS, time_zone="UTC")
    return run.asked("system_settings", lambda: _call("system_settings"))


def system_setting(key: str) -> Any:
    settings = _settings()
    if key not in settings:
        raise ValidationError(f"System Settings has no field {key!r}; fields: {', '.join(sorted(settings))}")
    return settings[key]


def get_system_settings(key: Any) -> Any:
    """`frappe.get_system_settings("date_format")`."""
    return system_setting(str(key))


def get_default(key: Any, *_ignored: Any, **_ignored_too: Any) -> Any:
    """`frappe.db.get_default(key)`: the site-wide defaults Frappe keeps from System Settings."""
    return _settings().get(str(key))


# -- the user, messages, mail, printing, outbound HTTP ---------------------------------------------
def _text(msg: Any) -> str:
    return plain_text(msg)


def msgprint(msg: Any, title: Any = None, indicator: Any = None, **_ignored: Any) -> None:
    _call("msgprint", _text(msg), None if title is None else _text(title),
          None if indicator is None else _text(indicator))


def log_error(title: Any = None, message: Any = None, **_ignored: Any) -> None:
    title, message = _text(title or "Error"), _text(message or "")
    run.require().logs.append(f"[log_error] {title}: {message}")
    _call("log_error", title, message)


def errprint(msg: Any) -> None:
    run.require().logs.append(f"[errprint] {_text(msg)}")


def log(*parts: Any) -> None:
    run.require().logs.append(" ".join(str(p) for p in parts))


def get_roles(user: Any = None) -> list[str]:
    return _call("get_roles", user or run.require().user)


def get_fullname(user: Any = None) -> str:
    return _call("get_fullname", user or run.require().user)


def sendmail(recipients: Any = None, subject: Any = "No Subject", message: Any = "No Message", *, sender: Any = "",
             cc: Any = None, bcc: Any = None, reference_doctype: Any = None, reference_name: Any = None,
             send_after: Any = None, content: Any = None, doctype: Any = None, name: Any = None,
             attachments: Any = None, template: Any = None, **_ignored: Any) -> None:
    """Queue an email (an Email Queue row in this operation's transaction; sent by the job queue).

    Positional order as Frappe documents it (recipients, subject, message); everything else by
    keyword, with Frappe's names (`sender`, `cc`, `bcc`, `reference_doctype`, `reference_name`,
    `send_after`, `content` for message, `doctype`/`name` for the reference). Other Frappe options
    (`delayed`, `now`, `as_markdown`, ...) are accepted and change nothing."""
    run.require()
    if attachments:
        raise ValidationError("frappe.sendmail: attachments are not supported")
    if template:
        raise ValidationError("frappe.sendmail: email templates are not supported; render the message with "
                              "frappe.render_template and pass it as message")
    _call("sendmail", {"recipients": recipients, "subject": subject,
                       "message": content if content is not None else message, "sender": sender, "cc": cc,
                       "bcc": bcc, "reference_doctype": reference_doctype or doctype,
                       "reference_name": reference_name or name, "send_after": send_after})


def get_print(doctype: Any = None, name: Any = None, print_format: Any = None, style: Any = None,
              as_pdf: bool = False, doc: Any = None, **_ignored: Any) -> str:
    """The HTML of the print view (`/printview`); there are no print formats or PDF here."""
    if isinstance(doc, ScriptDocument):
        doctype, name = doc.doctype, doc.name
    if not doctype or not name:
        raise ValidationError("get_print needs a doctype and a name (or doc=)")
    if as_pdf:
        raise ValidationError("get_print: PDF output is not available here; use the HTML (as_pdf=False)")
    if print_format not in (None, "", "Standard"):
        raise ValidationError(f"get_print: there are no print formats here, only the standard view "
                              f"(print_format={print_format!r})")
    return _call("get_print", str(doctype), str(name))


def attach_print(doctype: Any, name: Any, file_name: Any = None, print_format: Any = None, **kwargs: Any) -> AttrDict:
    """{"fname": "<name>.html", "fcontent": the print view's HTML as bytes} (Frappe's shape; Frappe
    attaches a PDF when its print settings say so, HTML otherwise)."""
    html = get_print(doctype, name, print_format=print_format, doc=kwargs.get("doc"))
    return AttrDict(fname=f"{file_name or name}.html", fcontent=html.encode("utf-8"))


def _request(method: str, url: Any, headers: Any = None, params: Any = None, data: Any = None,
             json: Any = None) -> Any:
    return _call("http", method, url, {"headers": headers, "params": params, "data": data, "json": json})


def make_get_request(url: Any, params: Any = None, headers: Any = None, **_ignored: Any) -> Any:
    return _request("GET", url, headers=headers, params=params)


def make_post_request(url: Any, data: Any = None, json: Any = None, headers: Any = None, params: Any = None,
                      **_ignored: Any) -> Any:
    return _request("POST", url, headers=headers, params=params, data=data, json=json)


def make_put_request(url: Any, data: Any = None, json: Any = None, headers: Any = None, params: Any = None,
                     **_ignored: Any) -> Any:
    return _request("PUT", url, headers=headers, params=params, data=data, json=json)


def make_patch_request(url: Any, data: Any = None, json: Any = None, headers: Any = None, params: Any = None,
                       **_ignored: Any) -> Any:
    return _request("PATCH", url, headers=headers, params=params, data=data, json=json)


def make_delete_request(url: Any, data: Any = None, json: Any = None, headers: Any = None, params: Any = None,
                        **_ignored: Any) -> Any:
    return _request("DELETE", url, headers=headers, params=params, data=data, json=json)


HTTP_NAMES = ("make_get_request", "make_post_request", "make_put_request", "make_patch_request",
              "make_delete_request")


# -- other scripts and built-in methods -------------------------------------------------------------
def run_script(name: Any, **kwargs: Any) -> Any:
    """Run another API script with form_dict updated by kwargs; returns that script's frappe.flags."""
    form = dict(run.require().form_dict)
    form.update(kwargs)
    return _call("run_script", str(name), form)


def call(method: Any, *args: Any, **kwargs: Any) -> Any:
    """An API script or a built-in frappe.client.* method, under the caller's permissions."""
    form = dict(run.require().form_dict)
    form.update(kwargs)
    return _call("call", str(method), kwargs, form)


def enqueue(method: Any, queue: Any = "default", timeout: Any = None, event: Any = None, is_async: Any = True,
            job_name: Any = None, now: Any = False, enqueue_after_commit: Any = False, at_front: Any = False,
            job_id: Any = None, deduplicate: Any = False, on_success: Any = None, on_failure: Any = None,
            **kwargs: Any) -> Any:
    """Run the API script `method` (or a whitelisted built-in method) later in the job queue, as
    this user, with `kwargs` as its form_dict; queued when the operation commits. `now=True` (or
    `is_async=False`) runs it at once as a nested call and returns what `frappe.call` would.
    Frappe's other job options (timeout, job_name, at_front, ...) are accepted; the script's own
    budget bounds the run."""
    run.require()
    if not isinstance(method, str) or not method:
        raise ValidationError("frappe.enqueue needs the API Method of an API Server Script, as text")
    if on_success is not None or on_failure is not None:
        raise ValidationError("frappe.enqueue: on_success and on_failure callbacks are not available to Server Scripts")
    if deduplicate:
        raise ValidationError("frappe.enqueue: deduplicate is not available to Server Scripts")
    return _call("enqueue", method, queue, bool(now or not is_async), kwargs)
