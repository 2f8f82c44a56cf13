"""`frappe.client.*` methods (also reachable via legacy `POST /` with `cmd=`)."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from webapp.blueprints.api.registry import builtin_method
from webapp.errors import ValidationError
from webapp.services import documents
from webapp.services.context import transaction


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


def _write_method() -> None:
    if request.method == "GET":
        raise ValidationError("This method changes data; call it with POST")


@builtin_method("frappe.client.get")
def get(args: dict[str, Any]) -> dict[str, Any]:
    (doctype,) = _required(args, "doctype")
    name = args.get("name") or _json_arg(args, "filters", required=False)
    if not name:
        raise ValidationError("frappe.client.get needs 'name' or 'filters'")
    return {"message": documents.get_doc(doctype, name).as_dict()}


@builtin_method("frappe.client.get_list")
def get_list(args: dict[str, Any]) -> dict[str, Any]:
    (doctype,) = _required(args, "doctype")
    rows = documents.get_list(
        doctype, fields=args.get("fields"), filters=args.get("filters"), or_filters=args.get("or_filters"),
        order_by=args.get("order_by"), limit_start=args.get("limit_start", 0),
        limit_page_length=args.get("limit_page_length", args.get("limit", 20)),
        as_list=str(args.get("as_list", "")).lower() in ("1", "true"),
    )
    return {"message": rows}


@builtin_method("frappe.client.get_value")
def get_value(args: dict[str, Any]) -> dict[str, Any]:
    (doctype,) = _required(args, "doctype")
    fieldname = _json_arg(args, "fieldname", required=False) or "name"
    filters = _json_arg(args, "filters", required=False)
    if filters is None:
        filters = args.get("name")
    if filters in (None, ""):
        raise ValidationError("frappe.client.get_value needs 'filters' or 'name'")
    from webapp.services import permissions

    permissions.check(doctype, "read")
    fields = fieldname if isinstance(fieldname, list) else [fieldname]
    row = documents.get_value(doctype, filters, fields, as_dict=True, ignore_permissions=False)
    return {"message": row}


@builtin_method("frappe.client.get_count")
def get_count(args: dict[str, Any]) -> dict[str, Any]:
    (doctype,) = _required(args, "doctype")
    return {"message": documents.get_count(doctype, filters=args.get("filters"))}


@builtin_method("frappe.client.set_value")
def set_value(args: dict[str, Any]) -> dict[str, Any]:
    _write_method()
    doctype, name, fieldname = _required(args, "doctype", "name", "fieldname")
    fieldname = _json_arg(args, "fieldname")
    values = fieldname if isinstance(fieldname, dict) else {fieldname: args.get("value")}
    return {"message": documents.set_value(doctype, name, values).as_dict()}


@builtin_method("frappe.client.insert")
def insert(args: dict[str, Any]) -> dict[str, Any]:
    _write_method()
    doc = _doc_arg(args)
    return {"message": documents.create_from_api(doc["doctype"], doc).as_dict()}


@builtin_method("frappe.client.save")
def save(args: dict[str, Any]) -> dict[str, Any]:
    _write_method()
    values = _doc_arg(args)
    if not values.get("name"):
        return {"message": documents.create_from_api(values["doctype"], values).as_dict()}
    with transaction():
        doc = documents.get_doc(values["doctype"], values["name"])
        doc.update({k: v for k, v in documents._clean_values(values).items() if k != "name"})
        return {"message": documents.save(doc).as_dict()}


@builtin_method("frappe.client.submit")
def submit(args: dict[str, Any]) -> dict[str, Any]:
    _write_method()
    values = _doc_arg(args)
    with transaction():
        if values.get("name") and documents.exists(values["doctype"], values["name"]):
            doc = documents.get_doc(values["doctype"], values["name"])
            doc.update({k: v for k, v in documents._clean_values(values).items() if k != "name"})
        else:
            doc = documents.new_doc(values["doctype"],
                                    {k: v for k, v in documents._clean_values(values).items() if k != "modified"})
        return {"message": documents.submit(doc).as_dict()}


@builtin_method("frappe.client.cancel")
def cancel(args: dict[str, Any]) -> dict[str, Any]:
    _write_method()
    doctype, name = _required(args, "doctype", "name")
    with transaction():
        return {"message": documents.cancel(documents.get_doc(doctype, name)).as_dict()}


@builtin_method("frappe.client.delete")
def delete(args: dict[str, Any]) -> dict[str, Any]:
    _write_method()
    doctype, name = _required(args, "doctype", "name")
    documents.delete(doctype, name)
    return {"message": "ok"}
