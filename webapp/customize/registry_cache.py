"""The app's doctypes, per app in each process: the built-in declarations with their Custom Fields
and Property Setters, and the doctypes users defined (`DocType` rows), rebuilt when the doctype
version moves (webapp/services/versioned.py: every worker sees a change on its next request).

`current()` is the app's `doctype_source` hook, which the registry (webapp/doctypes/registry.py)
asks; `changed()` is called by the controllers inside the transaction that changes a doctype.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from webapp.doctypes import build, registry
from webapp.doctypes.builtin import BUILTIN_DOCTYPES
from webapp.doctypes.meta import DocType, Field, Perm
from webapp.extensions import db
from webapp.services import versioned

log = logging.getLogger(__name__)
VERSION_KEY = "doctype"


def _rows(doctype: str, order_by: tuple[str, ...] = ("creation", "name"), **where: Any) -> list[dict[str, Any]]:
    t = registry.table(registry.builtin(doctype))
    query = sa.select(t).where(*[t.c[k] == v for k, v in where.items()]).order_by(*[t.c[c] for c in order_by])
    return [dict(r._mapping) for r in db.session.execute(query)]


def load(version: int) -> registry.Snapshot:
    """The app's doctypes at `version`, from the rows of the current transaction."""
    if not sa.inspect(db.session.connection()).has_table("tabProperty Setter"):
        return registry.Snapshot.of(version, BUILTIN_DOCTYPES)  # before init-db made the tables
    children: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for child in ("DocField", "DocPerm"):
        for row in _rows(child, order_by=("parent", "idx"), parenttype="DocType"):
            children[(child, row["parent"])].append(row)
    doctypes: dict[str, DocType] = {dt.name: dt for dt in BUILTIN_DOCTYPES}
    for row in _rows("DocType"):
        if row["name"] in doctypes:
            continue  # a row named after a built-in is never written (the controller refuses it)
        try:
            doctypes[row["name"]] = build.doctype_from_rows(row, children[("DocField", row["name"])],
                                                            children[("DocPerm", row["name"])])
        except (ValueError, TypeError) as exc:
            log.error("DocType %s is left out of the registry: %s", row["name"], exc)
    custom_fields: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows("Custom Field", order_by=("idx", "creation", "name")):
        custom_fields[row["dt"]].append(row)
    setters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows("Property Setter"):
        setters[row["doc_type"]].append(row)
    for name in set(custom_fields) | set(setters):
        meta = doctypes.get(name)
        if meta is None or not meta.customizable:
            continue
        doctypes[name] = build.customize(meta, custom_fields.get(name, ()), setters.get(name, ()))
    return registry.Snapshot.of(version, doctypes.values())


WATCH = versioned.Versioned(VERSION_KEY, lambda version: load(version), ".doctype-version", "doctype_version:")


# -- the built-in doctypes as rows -------------------------------------------------------------------
def _field_row(f: Field) -> dict[str, Any]:
    row = {name: getattr(f, name) for name in ("fieldname", "label", "fieldtype", "options", "description",
                                                "depends_on", "fetch_from")}
    row.update({name: int(getattr(f, name)) for name in ("reqd", "unique", "read_only", "hidden", "in_list_view",
                                                         "in_standard_filter", "search_index", "allow_on_submit",
                                                         "fetch_if_empty")})
    row.update(default=None if f.default is None else str(f.default), length=f.length,
               precision="" if f.precision is None else str(f.precision))
    return row


def _perm_row(p: Perm) -> dict[str, Any]:
    return {"role": p.role, "permlevel": 0, **{name: int(getattr(p, name)) for name in
                                               ("read", "write", "create", "delete", "submit", "cancel", "if_owner")}}


def write_builtin_rows() -> None:
    """The built-in doctypes as `DocType` rows (custom 0), as Frappe has every doctype in tabDocType:
    scripts and clients read them (frappe.db.exists("DocType", "ToDo"), GET /api/resource/DocType/ToDo).
    They describe the declarations in code, which stay the truth: the registry never reads them back,
    and the DocType controller refuses to change them. Rewritten by init-db (idempotent)."""
    now = dt.datetime.now()
    stamp = {"owner": "Administrator", "modified_by": "Administrator", "creation": now, "modified": now,
             "docstatus": 0}
    names = [meta.name for meta in BUILTIN_DOCTYPES]
    tables = {name: registry.table(registry.builtin(name)) for name in ("DocType", "DocField", "DocPerm")}
    for child in ("DocField", "DocPerm"):
        t = tables[child]
        db.session.execute(sa.delete(t).where(t.c.parent.in_(names), t.c.parenttype == "DocType"))
    db.session.execute(sa.delete(tables["DocType"]).where(tables["DocType"].c.name.in_(names)))
    for meta in BUILTIN_DOCTYPES:
        db.session.execute(sa.insert(tables["DocType"]).values(
            name=meta.name, module=meta.module, custom=0, istable=int(meta.istable), issingle=int(meta.issingle),
            is_submittable=int(meta.is_submittable), track_changes=int(meta.track_changes),
            allow_rename=int(meta.allow_rename), autoname=meta.naming, title_field=meta.title_field,
            search_fields=meta.search_fields, sort_field=meta.sort_field, sort_order=meta.sort_order.upper(),
            description=meta.description, idx=0, **stamp))
        for child, rows, parentfield in (("DocField", [_field_row(f) for f in meta.fields], "fields"),
                                         ("DocPerm", [_perm_row(p) for p in meta.permissions], "permissions")):
            for idx, row in enumerate(rows, start=1):
                db.session.execute(sa.insert(tables[child]).values(
                    name=f"{meta.name}-{parentfield}-{idx}", parent=meta.name, parenttype="DocType",
                    parentfield=parentfield, idx=idx, **row, **stamp))


def current() -> registry.Snapshot:
    """The app's doctypes, checked once per request or transaction (the registry's source)."""
    return WATCH.current()


def changed() -> None:
    """Doctypes change in the current transaction: it sees them at once, every process after it commits."""
    WATCH.bump()


def reset() -> None:
    """Drop the current app's doctypes (tests)."""
    WATCH.reset()
