"""Document functions of the `frappe` namespace, all through the documents service."""

from __future__ import annotations

from typing import Any

from webapp.documents.document import AttrDict, Document
from webapp.errors import DoesNotExistError
from webapp.services import documents as svc
from webapp.services import permissions


def get_doc(doctype: Any, name: Any = None, **kwargs: Any) -> Document:
    # Like Frappe's server-side get_doc: no read-permission check (writes are still checked).
    if isinstance(doctype, dict):
        return svc.get_doc(dict(doctype))
    if kwargs and name is None:
        name = kwargs
    return svc.get_doc(doctype, name, check_permission=False)


def new_doc(doctype: str, **kwargs: Any) -> Document:
    return svc.new_doc(doctype)


def get_cached_doc(doctype: Any, name: Any = None) -> Document:
    return get_doc(doctype, name)


def get_last_doc(doctype: str, filters: Any = None, order_by: str = "creation desc") -> Document:
    rows = svc.get_list(doctype, fields=["name"], filters=filters, order_by=order_by, limit_page_length=1,
                        ignore_permissions=True)
    if not rows:
        raise DoesNotExistError(f"No {doctype} found")
    return get_doc(doctype, rows[0]["name"])


def delete_doc(doctype: str, name: str, ignore_permissions: bool = False, **_ignored: Any) -> None:
    svc.delete(doctype, name, ignore_permissions=ignore_permissions)


def _list(doctype: str, fields: Any, filters: Any, or_filters: Any, order_by: Any, limit_start: Any,
          limit_page_length: Any, limit: Any, pluck: Any, as_list: bool, ignore_permissions: bool,
          run: Any = True) -> list | str:
    if isinstance(fields, str) and not fields.strip().startswith("["):
        fields = [f.strip() for f in fields.split(",")] if fields.strip() != "*" else ["*"]
    length = limit if limit is not None else limit_page_length
    return svc.get_list(doctype, fields=fields, filters=filters, or_filters=or_filters, order_by=order_by,
                        limit_start=limit_start, limit_page_length=length, pluck=pluck, as_list=as_list,
                        ignore_permissions=ignore_permissions, default_page_length=0, run=bool(run))


def get_all(doctype: str, fields: Any = None, filters: Any = None, or_filters: Any = None, order_by: Any = None,
            limit_start: Any = 0, limit_page_length: Any = None, limit: Any = None, pluck: Any = None,
            as_list: bool = False, run: Any = True, **_ignored: Any) -> list | str:
    """All matching rows, no permission check (Frappe's get_all); run=False: the query's SQL."""
    return _list(doctype, fields, filters, or_filters, order_by, limit_start, limit_page_length, limit, pluck,
                 as_list, ignore_permissions=True, run=run)


def get_list(doctype: str, fields: Any = None, filters: Any = None, or_filters: Any = None, order_by: Any = None,
             limit_start: Any = 0, limit_page_length: Any = None, limit: Any = None, pluck: Any = None,
             as_list: bool = False, ignore_permissions: bool = False, run: Any = True, **_ignored: Any) -> list | str:
    """Rows the current user may read (Frappe's get_list); run=False: the query's SQL."""
    return _list(doctype, fields, filters, or_filters, order_by, limit_start, limit_page_length, limit, pluck,
                 as_list, ignore_permissions=bool(ignore_permissions), run=run)


def get_meta(doctype: str) -> AttrDict:
    """A fresh description of the doctype (fields and their types); changing it changes nothing."""
    meta = svc.meta_of(doctype)
    fields = [AttrDict(fieldname=f.fieldname, fieldtype=f.fieldtype, label=f.label, options=f.options, reqd=int(f.reqd),
                    unique=int(f.unique), read_only=int(f.read_only), default=f.default) for f in meta.fields]
    by_name = {f.fieldname: f for f in fields}

    def get_field(fieldname: str) -> AttrDict | None:
        return by_name.get(fieldname)

    def has_field(fieldname: str) -> bool:
        return fieldname in by_name

    return AttrDict(name=meta.name, fields=fields, is_submittable=int(meta.is_submittable), istable=int(meta.istable),
                 title_field=meta.title_field, get_field=get_field, has_field=has_field,
                 get_valid_columns=lambda: list(meta.column_names))


def has_permission(doctype: str, ptype: str = "read", doc: Any = None, user: str | None = None, **_ignored: Any) -> bool:
    if isinstance(doc, str):
        doc = None
    return permissions.has_permission(doctype, ptype, doc, user)


def rename_doc(doctype: str, old: Any, new: Any, merge: bool = False, ignore_permissions: bool = False,
               **_ignored: Any) -> str:
    """Frappe's frappe.rename_doc: the new name (links to the document follow). Frappe's other
    options (force, show_alert, rebuild_search...) are accepted and change nothing."""
    return svc.rename(doctype, old, new, merge=bool(merge), ignore_permissions=bool(ignore_permissions)).name
