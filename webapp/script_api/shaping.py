"""Shaping documents and values: `frappe.copy_doc`, `frappe.get_mapped_doc`, `frappe.format_value`,
and the `setattr` / `delattr` builtins (documents and `_dict` only)."""

from __future__ import annotations

import re
from typing import Any

from webapp.attrdict import AttrDict
from webapp.doctypes.meta import CHILD_FIELDS, STANDARD_FIELDS
from webapp.errors import PermissionError, ValidationError
from webapp.sandbox.guards import attr_name_allowed
from webapp.script_api import calls, dates, utils
from webapp.script_api.document import ScriptDocument as Document
from webapp.script_api.text import compare

# Never copied or mapped: who made the document and when, its name and state.
_NO_COPY = frozenset(STANDARD_FIELDS) | frozenset(CHILD_FIELDS) | {"amended_from", "doctype"}


def _values(doc: Document) -> dict[str, Any]:
    return {k: v for k, v in doc.as_dict().items() if k not in _NO_COPY and not isinstance(v, list)}


def copy_doc(doc: Any, ignore_no_copy: bool = True) -> Document:
    """A new, unsaved document with the values (and child rows) of `doc`."""
    if isinstance(doc, dict):
        doc = _new(str(doc.get("doctype")), {k: v for k, v in doc.items() if k != "doctype"})
    if not isinstance(doc, Document):
        raise ValidationError("copy_doc needs a document")
    new = _new(doc.doctype, _values(doc))
    for f in doc.meta.table_fields:
        new.set(f.fieldname, [_values(row) for row in doc.get(f.fieldname) or []])
    return new


def _new(doctype: str, values: dict[str, Any] | None = None) -> Document:
    doc = calls.new_doc(doctype)
    if values:
        doc.update(values)
    return doc


def _check_validation(source: Document, rules: Any) -> None:
    for field, (op, value) in (rules or {}).items():
        if not compare(source.get(field), op, value):
            raise ValidationError(f"Cannot map because the following condition fails: {field} {op} {value!r}")


def _map_values(source: Document, target: Document, table_map: dict) -> None:
    field_map = dict(table_map.get("field_map") or {})
    no_map = set(table_map.get("field_no_map") or [])
    for key, value in _values(source).items():
        if key in no_map or key in field_map:
            continue
        if target.meta.get_field(key) is not None and not target.meta.get_field(key).is_table:
            target.set(key, value)
    for src, dst in field_map.items():
        if src not in no_map and target.meta.has_field(dst):
            target.set(dst, source.get(src))


def get_mapped_doc(from_doctype: str, from_docname: str, table_maps: dict, target_doc: Any = None,
                   postprocess: Any = None, ignore_permissions: bool = False, **_ignored: Any) -> Document:
    """Frappe's mapper: a new `table_maps[from_doctype]["doctype"]` document filled from the source
    (same-named fields, `field_map`, not `field_no_map`), with the child rows of the tables named
    in `table_maps` (each row passing its `condition`), then `postprocess(source, target)`."""
    if not isinstance(table_maps, dict) or from_doctype not in table_maps:
        raise ValidationError(f"get_mapped_doc: table_maps needs an entry for {from_doctype!r}")
    source = calls.get_doc(from_doctype, from_docname)
    if not ignore_permissions and not calls.has_permission(from_doctype, "read", source):
        raise PermissionError(f"Not permitted to read {from_doctype} {from_docname}")
    main = table_maps[from_doctype]
    _check_validation(source, main.get("validation"))
    if target_doc is None:
        target = _new(str(main.get("doctype") or from_doctype))
    elif isinstance(target_doc, Document):
        target = target_doc
    else:
        raise ValidationError("get_mapped_doc: target_doc must be a document")
    if not ignore_permissions:
        if not calls.has_permission(target.doctype, "create"):
            raise PermissionError(f"Not permitted to create {target.doctype}")
    _map_values(source, target, main)
    if main.get("postprocess"):
        main["postprocess"](source, target)
    for f in source.meta.table_fields:
        child_map = table_maps.get(f.options)
        if not child_map:
            continue
        target_child = str(child_map.get("doctype") or f.options)
        target_field = next((t for t in target.meta.table_fields if t.options == target_child), None)
        if target_field is None:
            continue
        condition = child_map.get("condition")
        for row in source.get(f.fieldname) or []:
            if condition and not condition(row):
                continue
            new_row = target.append(target_field.fieldname, {})
            _map_values(row, new_row, child_map)
            if child_map.get("postprocess"):
                child_map["postprocess"](row, new_row, source)
    if postprocess:
        postprocess(source, target)
    return target


# -- values as text ---------------------------------------------------------------------------
def format_value(value: Any, df: Any = None, doc: Any = None, currency: Any = None, translated: bool = False,
                 format: Any = None) -> Any:  # noqa: A002 - Frappe's parameter name
    """A value as Frappe shows it, by field type (`df` a field dict or a field type name)."""
    if isinstance(df, str):
        df = {"fieldtype": df}
    df = dict(df or {})
    fieldtype = df.get("fieldtype") or ("Datetime" if hasattr(value, "hour") and hasattr(value, "date") else
                                         "Date" if hasattr(value, "isoformat") and hasattr(value, "year") else "Data")
    if value is None or value == "":
        return ""
    if fieldtype == "Date":
        return utils.formatdate(value, format)
    if fieldtype == "Datetime":
        return f"{utils.formatdate(value)} {dates.format_time(utils.get_datetime(value))}"
    if fieldtype == "Time":
        return dates.format_time(value, format)
    if fieldtype == "Currency":
        precision = df.get("precision")
        return utils.fmt_money(value, 2 if precision in (None, "") else precision,
                               currency or (doc.get(df["options"]) if doc is not None and df.get("options") else None))
    if fieldtype in ("Float", "Percent"):
        precision = df.get("precision")
        text = utils.fmt_money(value, 3 if precision in (None, "") else precision)
        return f"{text}%" if fieldtype == "Percent" else text
    if fieldtype == "Int":
        return str(utils.cint(value))
    if fieldtype in ("Text", "Small Text") and isinstance(value, str) and not re.search(r"<br|<div|<p", value):
        return value.replace("\n", "<br>")
    if fieldtype == "Duration":
        return dates.format_duration(value)
    return value


# -- setattr / delattr ------------------------------------------------------------------------
def _check_target(obj: Any, name: Any, what: str) -> None:
    if not isinstance(obj, (Document, AttrDict)):
        raise TypeError(f"{what}() works on documents and _dict objects only, not on {type(obj).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"{what}(): the attribute name must be a string")
    if name.startswith("_") or not attr_name_allowed(name):
        raise AttributeError(f'{what}(): "{name}" is a name a server script may not use')


def safe_setattr(obj: Any, name: Any, value: Any) -> None:
    """`setattr(doc, "field", value)` (Frappe allows setattr through its write guard)."""
    _check_target(obj, name, "setattr")
    setattr(obj, name, value)


def safe_delattr(obj: Any, name: Any) -> None:
    """`delattr(d, "key")` on a _dict (documents refuse it, as their own rules say)."""
    _check_target(obj, name, "delattr")
    delattr(obj, name)


__all__ = ["copy_doc", "format_value", "get_mapped_doc", "safe_delattr", "safe_setattr"]
