"""Importing Frappe's files as Frappe writes them: a doctype's JSON (`<app>/<module>/doctype/<name>/
<name>.json`) and the `custom_field.json` / `property_setter.json` fixtures of `bench export-fixtures`.

Every document goes through the documents service (so through the controllers' checks, the schema
change and the registry), inside one transaction: a child table is imported before the doctypes
that hold it, and a document that cannot be imported is skipped with the reason while the rest go
on (each in a savepoint). What Frappe's files say that means nothing here is ignored and reported:
properties with a value, fields of types this app does not have, field-level permissions,
properties a Property Setter sets that change nothing here, customizations of doctypes that do not
exist here. A dry run does all of it and rolls back.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from webapp.customize import registry_cache
from webapp.customize.controllers import require_system_manager
from webapp.doctypes import build, registry
from webapp.doctypes.customize import CUSTOM_FIELD, DOCFIELD, DOCPERM, DOCTYPE, DOCTYPE_PROPERTIES, FIELD_PROPERTIES
from webapp.doctypes.meta import DATA_OPTIONS, FIELD_KINDS, STANDARD_FIELDS, UNSUPPORTED_TYPES
from webapp.errors import FrappeError, ValidationError
from webapp.extensions import db
from webapp.services import documents, schema
from webapp.services.context import transaction
from webapp.services.methods import builtin_method, require_write_verb
from webapp.services.users import known_roles

KINDS = ("DocType", "Custom Field", "Property Setter")
# What Frappe writes for its own bookkeeping: never reported as ignored.
_BOOKKEEPING = frozenset({*STANDARD_FIELDS, "doctype", "parent", "parentfield", "parenttype", "naming_rule", "engine",
                          "field_order", "oldfieldname", "oldfieldtype", "is_system_generated", "module"})
_USED = {
    "DocType": {f.fieldname for f in DOCTYPE.value_fields},
    "DocField": {f.fieldname for f in DOCFIELD.value_fields},
    "DocPerm": {f.fieldname for f in DOCPERM.value_fields},
    "Custom Field": {f.fieldname for f in CUSTOM_FIELD.value_fields},
    "Property Setter": {"doctype_or_field", "doc_type", "field_name", "property", "property_type", "value",
                        "default_value", "row_name", "module"},
}


@dataclass
class Outcome:
    doctype: str
    name: str
    status: str  # created, updated, unchanged, skipped
    ignored: list[str] = field(default_factory=list)  # what the file says that is not used here
    notes: list[str] = field(default_factory=list)  # what was left out or may not work, and why

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _DryRun(Exception):
    pass


def _set(value: Any) -> bool:
    """A property that says something (Frappe writes every property, most of them 0 or empty)."""
    return value not in (None, "", 0, "0", [], {}, False)


def _ignored(row: dict[str, Any], kind: str) -> list[str]:
    return sorted(k for k, v in row.items()
                  if k not in _USED[kind] and k not in _BOOKKEEPING and not k.startswith("_") and _set(v))


def _field_problem(row: dict[str, Any], owner: str) -> str | None:
    """Why a field of a Frappe file cannot be kept here (None: it can)."""
    fieldtype = str(row.get("fieldtype") or "Data")
    if fieldtype in UNSUPPORTED_TYPES:
        return f"{fieldtype} fields are not supported yet ({UNSUPPORTED_TYPES[fieldtype]})"
    if fieldtype not in FIELD_KINDS:
        return f"{fieldtype} fields do not exist here"
    try:
        build.check_fieldname(row.get("fieldname"), owner)
    except ValidationError as exc:
        return exc.message
    if fieldtype == "Select" and not str(row.get("options") or "").strip():
        return "a Select field without choices (Frappe's forms fill them in with code)"
    return None


def _clean_fields(doc: dict[str, Any], outcome: Outcome, batch: set[str]) -> list[dict[str, Any]]:
    name = str(doc.get("name"))
    kept, ignored = [], Counter()
    for row in doc.get("fields") or []:
        if not isinstance(row, dict):
            continue
        ignored.update(_ignored(row, "DocField"))
        fieldname = row.get("fieldname")
        problem = _field_problem(row, name)
        options = str(row.get("options") or "").strip()
        if problem is None and row.get("fieldtype") in ("Table", "Table MultiSelect"):
            child = registry.get(options)
            if options not in batch and (child is None or not child.istable):
                problem = f"its child table {options!r} does not exist here (import it with this file)"
        if problem is not None:
            outcome.notes.append(f"field {fieldname!r} left out: {problem}")
            continue
        clean = {k: row.get(k) for k in _USED["DocField"] if k in row}
        if row.get("fieldtype") == "Data" and options and options not in DATA_OPTIONS:
            clean["options"] = None
            outcome.notes.append(f"field {fieldname!r}: Data options {options!r} mean nothing here; dropped")
        if row.get("fieldtype") == "Link" and options and registry.get(options) is None and options not in batch:
            outcome.notes.append(f"field {fieldname!r} links to {options}, which does not exist here: its values "
                                 "cannot be set until it does")
        if build.to_int(row.get("permlevel")) > 0:
            outcome.notes.append(f"field {fieldname!r} is at permission level {row.get('permlevel')}: field-level "
                                 "permissions are not supported, so whoever reads the document reads it")
        if build.to_int(clean.get("length")) > 1000:
            clean["length"] = 1000
        kept.append(clean)
    outcome.ignored += [f"fields: {key}" + (f" ({n} fields)" if n > 1 else "") for key, n in sorted(ignored.items())]
    return kept


def _clean_perms(doc: dict[str, Any], outcome: Outcome) -> list[dict[str, Any]]:
    roles = {*known_roles(), "All", "Guest"}
    kept, ignored = [], Counter()
    for row in doc.get("permissions") or []:
        if not isinstance(row, dict):
            continue
        ignored.update(_ignored(row, "DocPerm"))
        role = str(row.get("role") or "")
        if build.to_int(row.get("permlevel")) > 0:
            outcome.notes.append(f"permissions of {role} at level {row.get('permlevel')} left out: only level 0 "
                                 "(the whole document) is supported")
            continue
        if role not in roles:
            outcome.notes.append(f"role {role!r} does not exist here: nobody has its permissions until it is "
                                 "created (flask --app wsgi create-user ... --role)")
        kept.append({k: row.get(k) for k in _USED["DocPerm"] if k in row})
    outcome.ignored += [f"permissions: {key}" for key in sorted(ignored)]
    return kept


def _clean_doctype(doc: dict[str, Any], outcome: Outcome, batch: set[str]) -> dict[str, Any]:
    outcome.ignored += [k for k in _ignored(doc, "DocType") if k not in ("fields", "permissions")]
    values = {k: doc.get(k) for k in _USED["DocType"] if k in doc and k not in ("fields", "permissions")}
    values["name"] = doc.get("name")
    values["fields"] = _clean_fields(doc, outcome, batch)
    values["permissions"] = [] if build.flag(doc.get("istable")) else _clean_perms(doc, outcome)
    kept = {f["fieldname"]: f for f in values["fields"]}
    for key in ("title_field", "sort_field"):
        target = str(values.get(key) or "").strip()
        if target and target not in kept and target not in STANDARD_FIELDS:
            outcome.notes.append(f"{key} {target!r} names a field that was left out; not used")
            values[key] = None
    if values.get("search_fields"):
        parts = [p.strip() for p in str(values["search_fields"]).split(",") if p.strip()]
        values["search_fields"] = ", ".join(p for p in parts if p in kept)
    naming = build.normalize_autoname(values.get("autoname"))
    try:
        build.check_autoname(naming, {n: build.field_from_row(f) for n, f in kept.items()}, str(doc.get("name")))
    except (ValidationError, ValueError) as exc:
        outcome.notes.append(f"autoname {values.get('autoname')!r} cannot be used here "
                             f"({getattr(exc, 'message', exc)}); documents get a random name (hash)")
        values["autoname"] = "hash"
    return values


# -- one document at a time ---------------------------------------------------------------------------
def _comparable(values: dict[str, Any], meta_name: str) -> dict[str, Any]:
    """A document's values as they would be stored (for "unchanged")."""
    doc = documents.new_doc(meta_name, values)
    out = {}
    for f in doc.meta.value_fields:
        value = doc.get(f.fieldname)
        if f.is_table:
            out[f.fieldname] = [{k: v for k, v in r.as_dict().items()
                                 if k in _USED.get(r.meta.name, ()) and _set(v)} for r in value or []]
        elif _set(value) or _set(f.default):
            out[f.fieldname] = str(value) if value is not None else None
    return out


def _save(kind: str, values: dict[str, Any], outcome: Outcome) -> None:
    name = outcome.name
    existing = documents.exists(kind, name) if name else None
    if existing:
        doc = documents.get_doc(kind, name)
        if _comparable(values, kind) == _comparable(doc.as_dict(), kind):
            outcome.status = "unchanged"
            return
        if kind == "DocType":  # keep each field's row (matched by fieldname): it is not a rename
            rows = {r.get("fieldname"): r.get("name") for r in doc.get("fields") or []}
            for row in values.get("fields") or []:
                row["name"] = rows.get(row.get("fieldname"))
        doc.update({k: v for k, v in values.items() if k != "name"})
        doc._data["modified"] = None
        doc.flags.ignore_links = True
        documents.save(doc)
        outcome.status = "updated"
        return
    doc = documents.new_doc(kind, values)
    doc.flags.ignore_links = True
    documents.insert(doc)
    outcome.name = doc.name
    outcome.status = "created"


def _prepare(doc: dict[str, Any], batch: set[str]) -> tuple[Outcome, dict[str, Any] | None]:
    kind = str(doc.get("doctype") or "")
    outcome = Outcome(kind or "?", str(doc.get("name") or ""), "skipped")
    if kind not in KINDS:
        outcome.notes.append(f"not a customization ({kind or 'no doctype'}); this import takes "
                             f"{', '.join(KINDS)}")
        return outcome, None
    if kind == "DocType":
        name = str(doc.get("name") or "")
        if registry.is_builtin(name):
            outcome.notes.append(f"{name} is built in here; change it with Custom Field and Property Setter")
            return outcome, None
        return outcome, _clean_doctype(doc, outcome, batch)
    target_key = "dt" if kind == "Custom Field" else "doc_type"
    target = str(doc.get(target_key) or "")
    meta = registry.get(target)
    if meta is None and target not in batch:
        outcome.notes.append(f"DocType {target!r} does not exist here")
        return outcome, None
    outcome.ignored += _ignored(doc, kind)
    values = {k: doc.get(k) for k in _USED[kind] if k in doc}
    values["name"] = doc.get("name")
    if kind == "Custom Field":
        problem = _field_problem(doc, f"Custom Field {outcome.name}")
        if problem is not None:
            outcome.notes.append(problem)
            return outcome, None
        return outcome, values
    prop = str(doc.get("property") or "")
    field_name = str(doc.get("field_name") or "")
    allowed = FIELD_PROPERTIES if field_name else DOCTYPE_PROPERTIES
    if prop not in allowed:
        outcome.notes.append(f"property {prop!r} changes nothing here; this app applies {', '.join(allowed)}")
        return outcome, None
    if field_name and meta is not None and meta.get_field(field_name) is None:
        outcome.notes.append(f"{target} has no field {field_name!r} here")
        return outcome, None
    return outcome, values


def _order(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Child tables first, then the doctypes that hold them, then Custom Fields, then Property Setters."""
    def rank(doc: dict[str, Any]) -> int:
        kind = doc.get("doctype")
        if kind == "DocType":
            return 0 if build.flag(doc.get("istable")) else 1
        return {"Custom Field": 2, "Property Setter": 3}.get(str(kind), 4)

    return sorted(docs, key=rank)


def import_documents(docs: Iterable[Any], dry_run: bool = False) -> list[Outcome]:
    """Import Frappe's documents (DocType, Custom Field, Property Setter), as a System Manager."""
    require_system_manager("DocTypes, Custom Fields and Property Setters")
    items = [d for d in docs if isinstance(d, dict)]
    batch = {str(d.get("name")) for d in items if d.get("doctype") == "DocType"}
    outcomes: list[Outcome] = []
    try:
        with transaction():
            schema.open_transaction()  # savepoints below, DDL inside them: all in this one transaction
            for doc in _order(items):
                outcome, values = _prepare(doc, batch)
                outcomes.append(outcome)
                if values is None:
                    continue
                savepoint = db.session.begin_nested()
                try:
                    _save(outcome.doctype, values, outcome)
                    savepoint.commit()
                except FrappeError as exc:
                    savepoint.rollback()
                    registry_cache.WATCH.forget()  # what this document changed is gone again
                    outcome.status = "skipped"
                    outcome.notes.append(getattr(exc, "message", str(exc)))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return outcomes


# -- files -----------------------------------------------------------------------------------------
def read_json(text: str, where: str) -> list[Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"{where} is not JSON: {exc}") from None
    return data if isinstance(data, list) else [data]


def collect(paths: Iterable[str]) -> list[Any]:
    """Documents from files and folders: a folder gives its doctype files (doctype/<name>/<name>.json)
    and its custom_field.json / property_setter.json fixtures."""
    docs: list[Any] = []
    for path in paths:
        if os.path.isdir(path):
            for root, _dirs, files in sorted(os.walk(path)):
                for name in sorted(files):
                    stem = name[:-5] if name.endswith(".json") else None
                    in_doctype = stem is not None and os.path.basename(root) == stem and \
                        os.path.basename(os.path.dirname(root)) == "doctype"
                    if in_doctype or name in ("custom_field.json", "property_setter.json"):
                        docs += _read(os.path.join(root, name))
        else:
            docs += _read(path)
    return docs


def _read(path: str) -> list[Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            return read_json(fh.read(), path)
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}") from None


@builtin_method("doctype.import", from_scripts=False)
def import_method(args: dict[str, Any], http_method: str) -> dict[str, Any]:
    """POST /api/method/doctype.import: a doctype's JSON as the body, or any list of documents (a
    fixture file's contents) in `docs`; `dry_run=1` reports without keeping anything."""
    require_write_verb(http_method)
    raw = args.get("docs")
    if raw is None and args.get("doctype"):  # the doctype's JSON file itself is the body
        raw = {k: v for k, v in args.items() if k not in ("dry_run", "cmd")}
    if isinstance(raw, str):
        raw = read_json(raw, "docs")
    if not raw:
        raise ValidationError("Send a doctype's JSON file as the body, or a list of DocType / Custom Field / "
                              "Property Setter documents (a fixture file) in 'docs'")
    docs = raw if isinstance(raw, list) else [raw]
    dry_run = build.flag(args.get("dry_run"))
    return {"message": {"dry_run": dry_run, "results": [o.as_dict() for o in import_documents(docs, dry_run)]}}
