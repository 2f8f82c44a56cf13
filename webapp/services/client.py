"""Frappe's whitelisted client methods (`frappe.client.*`) and `ping`, as functions of their
arguments: reached over HTTP (`/api/method/frappe.client.get`, legacy `POST /` with `cmd=`) and by
scripts' `frappe.call`, with the caller's permissions either way."""

from __future__ import annotations

import json
from typing import Any

from webapp.errors import ValidationError
from webapp.services import documents, permissions
from webapp.services.methods import builtin_method, require_write_verb


def _json_arg(args: dict[str, Any], key: str, required: bool = True) -> Any:
    value = args.get(key)
    if value is None:
        if required:
            raise ValidationError(f"Missing argument {key!r}")
        return None
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValidationError(f"Argument {key!r} is not valid JSON") from None
    return value


def _doc_arg(args: dict[str, Any]) -> dict[str, Any]:
    doc = _json_arg(args, "doc")
    if not isinstance(doc, dict):
        raise ValidationError("Argument 'doc' must be a JSON object with a 'doctype'")
    if not doc.get("doctype"):
        raise ValidationError("Argument 'doc' needs a 'doctype'")
    return doc


def _required(args: dict[str, Any], *keys: str) -> list[Any]:
    missing = [k for k in keys if args.get(k) in (None, "")]
    if missing:
        raise ValidationError(f"Missing argument(s): {', '.join(missing)}")
    return [args[k] for k in keys]


@builtin_method("ping", allow_guest=True)
def ping(_args: dict[str, Any], _http_method: str) -> dict[str, Any]:
    return {"message": "pong"}


@builtin_method("frappe.client.get")
def get(args: dict[str, Any], _http_method: str) -> dict[str, Any]:
    (doctype,) = _required(args, "doctype")
    name = args.get("name") or _json_arg(args, "filters", required=False)
    if not name and documents.meta_of(doctype).issingle:
        name = doctype
    if not name:
        raise ValidationError("frappe.client.get needs 'name' or 'filters'")
    return {"message": documents.get_doc(doctype, name).as_dict()}


@builtin_method("frappe.client.get_list")
def get_list(args: dict[str, Any], _http_method: str) -> dict[str, Any]:
    (doctype,) = _required(args, "doctype")
    return {"message": documents.list_documents(doctype, args)}


@builtin_method("frappe.client.get_value")
def get_value(args: dict[str, Any], _http_method: str) -> dict[str, Any]:
    (doctype,) = _required(args, "doctype")
    fieldname = _json_arg(args, "fieldname", required=False) or "name"
    filters = _json_arg(args, "filters", required=False)
    if filters is None:
        filters = args.get("name")
    if filters in (None, "") and documents.meta_of(doctype).issingle:
        filters = doctype  # a Single's one record
    if filters in (None, ""):
        raise ValidationError("frappe.client.get_value needs 'filters' or 'name'")
    permissions.check(doctype, "read")
    fields = fieldname if isinstance(fieldname, list) else [fieldname]
    row = documents.get_value(doctype, filters, fields, as_dict=True, ignore_permissions=False)
    return {"message": row}


@builtin_method("frappe.client.get_count")
def get_count(args: dict[str, Any], _http_method: str) -> dict[str, Any]:
    (doctype,) = _required(args, "doctype")
    return {"message": documents.get_count(doctype, filters=args.get("filters"))}


@builtin_method("frappe.client.set_value")
def set_value(args: dict[str, Any], http_method: str) -> dict[str, Any]:
    require_write_verb(http_method)
    doctype, name, _fieldname = _required(args, "doctype", "name", "fieldname")
    fieldname = _json_arg(args, "fieldname")
    values = fieldname if isinstance(fieldname, dict) else {fieldname: args.get("value")}
    return {"message": documents.set_value(doctype, name, values).as_dict()}


@builtin_method("frappe.client.insert")
def insert(args: dict[str, Any], http_method: str) -> dict[str, Any]:
    require_write_verb(http_method)
    doc = _doc_arg(args)
    return {"message": documents.create(doc["doctype"], doc).as_dict()}


@builtin_method("frappe.client.save")
def save(args: dict[str, Any], http_method: str) -> dict[str, Any]:
    require_write_verb(http_method)
    return {"message": documents.save_values(_doc_arg(args)).as_dict()}


@builtin_method("frappe.client.submit")
def submit(args: dict[str, Any], http_method: str) -> dict[str, Any]:
    require_write_verb(http_method)
    return {"message": documents.submit_values(_doc_arg(args)).as_dict()}


@builtin_method("frappe.client.cancel")
def cancel(args: dict[str, Any], http_method: str) -> dict[str, Any]:
    require_write_verb(http_method)
    doctype, name = _required(args, "doctype", "name")
    return {"message": documents.cancel_by_name(doctype, name).as_dict()}


@builtin_method("frappe.client.rename_doc")
def rename_doc(args: dict[str, Any], http_method: str) -> dict[str, Any]:
    require_write_verb(http_method)
    doctype, old, new = _required(args, "doctype", "old_name", "new_name")
    merge = str(args.get("merge", "")).lower() in ("1", "true")
    return {"message": documents.rename(doctype, old, new, merge=merge).name}


@builtin_method("frappe.client.delete")
def delete(args: dict[str, Any], http_method: str) -> dict[str, Any]:
    require_write_verb(http_method)
    doctype, name = _required(args, "doctype", "name")
    documents.delete(doctype, name)
    return {"message": "ok"}
