"""Reading and writing document rows (parent and child tables) inside the current transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from webapp import hooks
from webapp.doctypes import registry
from webapp.doctypes.meta import CHILD_FIELDS, STANDARD_FIELDS, DocType, Field
from webapp.documents.coerce import default_value, from_db, from_text, to_text
from webapp.errors import DoesNotExistError, DuplicateEntryError
from webapp.extensions import db
from webapp.models.singles import Singles
from webapp.models.user import User


def _before_read(meta: DocType) -> None:
    """The app's before-read hook of the doctype (the Server Script Log writes its pending rows
    first, so a reader in this process sees every run that has finished)."""
    hook = hooks.current().before_read.get(meta.name)
    if hook is not None:
        hook()


def _session():
    return db.session


def _row_to_dict(meta: DocType, row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    for f in meta.data_fields:
        if f.fieldname in data:
            data[f.fieldname] = from_db(f, data[f.fieldname])
    return data


def exists(meta: DocType, name: str) -> bool:
    _before_read(meta)
    t = registry.table(meta)
    return _session().execute(sa.select(t.c.name).where(t.c.name == name)).first() is not None


def load(meta: DocType, name: str, for_update: bool = False) -> dict[str, Any]:
    _before_read(meta)
    if meta.issingle:
        data = load_single(meta, for_update)
    else:
        t = registry.table(meta)
        query = sa.select(*[t.c[c] for c in meta.column_names if c in t.c]).where(t.c.name == name)
        if for_update:
            query = query.with_for_update()
        row = _session().execute(query).first()
        if row is None:
            raise DoesNotExistError(f"{meta.name} {name} not found")
        data = _row_to_dict(meta, row)
        name = data["name"]
    _load_children(meta, name, data)
    return data


def _load_children(meta: DocType, name: str, data: dict[str, Any]) -> None:
    for f in meta.table_fields:
        child = registry.get(f.options)
        ct = registry.table(child)
        rows = _session().execute(
            sa.select(*[ct.c[c] for c in child.column_names if c in ct.c])
            .where(ct.c.parent == name, ct.c.parentfield == f.fieldname, ct.c.parenttype == meta.name)
            .order_by(ct.c.idx)
        ).all()
        data[f.fieldname] = [_row_to_dict(child, r) for r in rows]


# -- Singles: one record per doctype, its values in tabSingles (doctype, field, value) as Frappe keeps them
_SINGLE_STANDARD = ("owner", "creation", "modified", "modified_by")
_STANDARD_TYPES = {"creation": "Datetime", "modified": "Datetime"}


def load_single(meta: DocType, for_update: bool = False) -> dict[str, Any]:
    """The Single's stored values (a field never saved reads as empty; `modified` None: never saved)."""
    t = Singles.__table__
    query = sa.select(t.c.field, t.c.value).where(t.c.doctype == meta.name)
    if for_update:
        query = query.with_for_update()
    stored = dict(_session().execute(query).all())
    data: dict[str, Any] = {"name": meta.name, "docstatus": 0, "idx": 0}
    for key in _SINGLE_STANDARD:
        value = stored.get(key)
        data[key] = from_text(_standard_field(key), value) if value is not None else None
    for f in meta.data_fields:
        if f.fieldname in stored:
            data[f.fieldname] = from_text(f, stored[f.fieldname])
        else:  # never saved: the field's default, as Frappe's get_single gives
            data[f.fieldname] = from_db(f, default_value(f) if f.default is not None else None)
    return data


def _standard_field(key: str) -> Field:
    return Field(key, _STANDARD_TYPES.get(key, "Data"))


def save_single(meta: DocType, doc_data: dict[str, Any]) -> None:
    """Write every field of the Single (replacing what was stored)."""
    t = Singles.__table__
    _session().execute(sa.delete(t).where(t.c.doctype == meta.name))
    rows = [{"doctype": meta.name, "field": key, "value": to_text(_standard_field(key), doc_data.get(key))}
            for key in _SINGLE_STANDARD]
    rows += [{"doctype": meta.name, "field": f.fieldname, "value": to_text(f, doc_data.get(f.fieldname))}
             for f in meta.data_fields]
    _session().execute(sa.insert(t), rows)


def delete_single(doctype: str) -> None:
    t = Singles.__table__
    _session().execute(sa.delete(t).where(t.c.doctype == doctype))


def update_single_fields(meta: DocType, values: dict[str, Any]) -> None:
    """Write some fields of the Single straight to tabSingles (frappe.db.set_single_value)."""
    t = Singles.__table__
    _session().execute(sa.delete(t).where(t.c.doctype == meta.name, t.c.field.in_(list(values))))
    _session().execute(sa.insert(t), [
        {"doctype": meta.name, "field": key,
         "value": to_text(meta.get_field(key) or _standard_field(key), value)} for key, value in values.items()])


def _values(meta: DocType, doc_data: dict[str, Any]) -> dict[str, Any]:
    cols = set(STANDARD_FIELDS) | (set(CHILD_FIELDS) if meta.istable else set())
    cols |= {f.fieldname for f in meta.data_fields}
    return {k: doc_data.get(k) for k in cols}


def _unique_violation(exc: sa.exc.IntegrityError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(orig)  # SQLite


def insert_row(meta: DocType, doc_data: dict[str, Any]) -> None:
    t = registry.table(meta)
    try:
        _session().execute(sa.insert(t).values(**_values(meta, doc_data)))
    except sa.exc.IntegrityError as exc:
        # Two requests that both passed the service's "already exists?" check: the database keeps
        # one; the other gets the same 409 the check would have given (its transaction rolls back).
        if _unique_violation(exc):
            raise DuplicateEntryError(f"{meta.name} {doc_data.get('name')} already exists") from None
        raise


def update_row(meta: DocType, name: str, doc_data: dict[str, Any]) -> None:
    if meta.issingle:
        save_single(meta, doc_data)
        return
    t = registry.table(meta)
    values = _values(meta, doc_data)
    values.pop("name", None)
    _session().execute(sa.update(t).where(t.c.name == name).values(**values))


def update_fields(meta: DocType, name: str, values: dict[str, Any]) -> int:
    if meta.issingle:
        update_single_fields(meta, values)
        return 1
    t = registry.table(meta)
    return _session().execute(sa.update(t).where(t.c.name == name).values(**values)).rowcount


def replace_children(meta: DocType, name: str, doc) -> None:
    for f in meta.table_fields:
        child = registry.get(f.options)
        ct = registry.table(child)
        _session().execute(
            sa.delete(ct).where(ct.c.parent == name, ct.c.parentfield == f.fieldname, ct.c.parenttype == meta.name)
        )
        for row in doc._data.get(f.fieldname) or []:
            insert_row(child, row._data)


def delete_row(meta: DocType, name: str) -> None:
    t = registry.table(meta)
    for f in meta.table_fields:
        ct = registry.table(registry.get(f.options))
        _session().execute(sa.delete(ct).where(ct.c.parent == name, ct.c.parenttype == meta.name))
    _session().execute(sa.delete(t).where(t.c.name == name))


def rename_row(meta: DocType, old: str, new: str) -> None:
    """The row and its child rows take the new name."""
    t = registry.table(meta)
    for f in meta.table_fields:
        ct = registry.table(registry.get(f.options))
        _session().execute(sa.update(ct).where(ct.c.parent == old, ct.c.parenttype == meta.name).values(parent=new))
    _session().execute(sa.update(t).where(t.c.name == old).values(name=new))


def relink(target: str, old: str, new: str) -> int:
    """Every Link field to doctype `target` that names `old` now names `new` (all doctypes, child
    rows too); the number of values changed."""
    changed = 0
    for meta in registry.all_doctypes():
        t = registry.table(meta)
        for f in meta.data_fields:
            if f.fieldtype == "Link" and f.options == target and f.fieldname in t.c:
                col = t.c[f.fieldname]
                changed += _session().execute(sa.update(t).where(col == old).values({f.fieldname: new})).rowcount
    return changed


def select_runner(query) -> list:
    """Runs a list query (the default; a guarded runner replaces it for SQL-text conditions)."""
    return _session().execute(query).all()


def select(meta: DocType, columns, conditions, order_by, start: int = 0, length: int | None = None,
           run: Callable[[Any], list] = select_runner) -> list:
    """Rows of a list query; `run` executes it (a guarded runner when it carries SQL text)."""
    _before_read(meta)
    t = registry.table(meta)
    query = sa.select(*columns).select_from(t).where(*conditions).order_by(*order_by)
    if start:
        query = query.offset(start)
    if length:
        query = query.limit(length)
    return run(query)


def count(meta: DocType, conditions, run: Callable[[Any], list] = select_runner) -> int:
    _before_read(meta)
    t = registry.table(meta)
    return int(run(sa.select(sa.func.count()).select_from(t).where(*conditions))[0][0])


def linked_exists(doctype: str, name: str) -> bool:
    if doctype == "DocType":  # every doctype, declared in code or defined by a user
        return registry.get(name) is not None
    meta = registry.get(doctype)
    if meta is None:
        return False
    if meta.issingle:
        return name == meta.name
    if doctype == "User":
        return _session().get(User, name) is not None
    return exists(meta, name)
