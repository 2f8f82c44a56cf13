"""`frappe.db`: reads and simple writes through the documents service; `sql` is read-only."""

from __future__ import annotations

from typing import Any

from webapp.documents.document import Document
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.script_api import documents as doc_api
from webapp.services import documents as svc
from webapp.services.context import committed_midway, ensure_writable, rolled_back_midway, run_before_commit


def get_value(doctype: str, filters: Any = None, fieldname: Any = "name", as_dict: bool = False,
              order_by: Any = None, **_ignored: Any) -> Any:
    return svc.get_value(doctype, filters, fieldname, as_dict=as_dict)


def get_values(doctype: str, filters: Any = None, fieldname: Any = "name", as_dict: bool = False,
               order_by: Any = None, limit: Any = None, **_ignored: Any) -> list:
    fields = fieldname if isinstance(fieldname, (list, tuple)) else [fieldname]
    if filters is not None and not isinstance(filters, (dict, list)):
        filters = {"name": filters}
    rows = svc.get_list(doctype, fields=list(fields), filters=filters, order_by=order_by,
                        limit_page_length=limit or 0, ignore_permissions=True)
    return rows if as_dict else [tuple(r.values()) for r in rows]


def set_value(doctype: str, name: Any, fieldname: Any, value: Any = None, update_modified: bool = True,
              **_ignored: Any) -> None:
    """Write straight to the row, no hooks (Frappe's db.set_value)."""
    ensure_writable("change data")
    values = dict(fieldname) if isinstance(fieldname, dict) else {fieldname: value}
    meta = svc.meta_of(doctype)
    if meta.issingle:  # frappe.db.set_value("My Settings", None or "My Settings", field, value)
        svc.set_single_value(meta.name, values)
        return
    if not meta.direct_writes:
        # A straight row write would skip the doctype's own rules (only System Managers change
        # Server Scripts, a script must compile, every worker must reload): save it properly.
        names = [name] if not isinstance(name, dict) else svc.get_list(
            doctype, fields=["name"], filters=name, limit_page_length=0, ignore_permissions=True, pluck="name")
        for n in names:
            svc.set_value(doctype, n, values, ignore_permissions=True)
        return
    if isinstance(name, dict):
        names = svc.get_list(doctype, fields=["name"], filters=name, limit_page_length=0, ignore_permissions=True,
                             pluck="name")
    else:
        names = [name]
    for n in names:
        doc = Document(meta)
        doc._data["name"] = n
        svc.db_set(doc, values, update_modified=update_modified)


def exists(doctype: str, name: Any = None, **_ignored: Any) -> Any:
    if isinstance(doctype, dict):
        values = dict(doctype)
        dt = values.pop("doctype", None)
        if not dt:
            raise ValidationError("exists({...}) needs a 'doctype' key")
        return svc.exists(dt, values)
    return svc.exists(doctype, name)


def count(doctype: str, filters: Any = None, **_ignored: Any) -> int:
    return svc.get_count(doctype, filters=filters, ignore_permissions=True)


get_all = doc_api.get_all
get_list = doc_api.get_list


def escape(value: Any, percent: bool = True) -> str:
    text = str(value).replace("\\", "\\\\").replace("'", "''")
    if percent:
        text = text.replace("%", "%%")
    return f"'{text}'"


def commit() -> None:
    ensure_writable("commit")
    run_before_commit()
    db.session.commit()
    committed_midway()  # jobs queued so far go now, as in Frappe


def rollback() -> None:
    db.session.rollback()
    rolled_back_midway()  # and jobs queued so far are dropped

