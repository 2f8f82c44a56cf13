"""The app's doctypes, per app in each process: the built-in declarations with their Custom Fields
and Property Setters, and the doctypes users defined (`DocType` rows), rebuilt when the doctype
version moves (webapp/services/versioned.py: every worker sees a change on its next request).

`current()` is the app's `doctype_source` hook, which the registry (webapp/doctypes/registry.py)
asks; `changed()` is called by the controllers inside the transaction that changes a doctype.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from webapp.doctypes import build, registry
from webapp.doctypes.builtin import BUILTIN_DOCTYPES
from webapp.doctypes.meta import DocType
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


def current() -> registry.Snapshot:
    """The app's doctypes, checked once per request or transaction (the registry's source)."""
    return WATCH.current()


def changed() -> None:
    """Doctypes change in the current transaction: it sees them at once, every process after it commits."""
    WATCH.bump()


def reset() -> None:
    """Drop the current app's doctypes (tests)."""
    WATCH.reset()
