"""The one module that changes the database's schema for doctypes (`tab<DocType>` tables), on SQLite
and PostgreSQL alike.

The app's own tables (users, credentials, versions, singles) come from Alembic migrations; doctype
tables follow the doctypes: `sync_doctype_tables()` (init-db, like Frappe's migrate) creates what is
missing for every doctype and never drops anything. When a user defines or changes a doctype (a
DocType, a Custom Field, a Property Setter), `apply(meta)` makes its table match, inside the saving
transaction: both databases run these statements transactionally, so a save that fails leaves no
table or column behind. A field removed from a doctype keeps its column and data (as in Frappe);
a field whose type changes has its values converted by the same rules the documents service
applies on save, and a type change that would lose or reject a value is refused, naming it.

Every identifier reaches the database quoted by SQLAlchemy, after webapp/doctypes/build.py checked
it (letters, digits and a few signs; within PostgreSQL's 63-byte limit).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from webapp.doctypes import registry
from webapp.doctypes.meta import DocType, Field
from webapp.documents.coerce import coerce
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.services.readonly_sql import ensure_reader_role, grant_reader

# Which stored kinds can turn into which (values are then converted one by one and checked).
_CONVERTIBLE = {
    "varchar": {"varchar", "text", "int", "float", "currency", "date", "datetime", "time"},
    "text": {"varchar", "text", "int", "float", "currency", "date", "datetime", "time"},
    "int": {"int", "float", "currency", "varchar", "text"},
    "float": {"int", "float", "currency", "varchar", "text"},
    "currency": {"int", "float", "currency", "varchar", "text"},
    "date": {"date", "datetime", "varchar", "text"},
    "datetime": {"date", "datetime", "varchar", "text"},
    "time": {"time", "varchar", "text"},
}
_KIND_WORDS = {"varchar": "short text", "text": "long text", "int": "whole numbers", "float": "numbers",
               "currency": "amounts", "date": "dates", "datetime": "dates and times", "time": "times"}


def sync_doctype_tables() -> None:
    """Create missing doctype tables, columns and indexes (never drops), then the read-only role
    scripts' SQL runs as (PostgreSQL: it may read the `tab*` tables, nothing else). Commits."""
    conn = db.session.connection()
    for meta in registry.all_doctypes():
        if not meta.issingle:
            _sync(conn, meta, alter_types=False)
    ensure_reader_role(conn)
    db.session.commit()


def apply(meta: DocType) -> None:
    """Make `meta`'s table match it, in the current transaction: create it, add missing columns and
    indexes, change column types (converting the values). A Single has no table of its own."""
    if meta.issingle:
        return
    conn = db.session.connection()
    _open_transaction(conn)
    _sync(conn, meta, alter_types=True)


def drop(table_name: str) -> None:
    """Drop the table of a user doctype that has no documents left (in the current transaction)."""
    conn = db.session.connection()
    _open_transaction(conn)
    if sa.inspect(conn).has_table(table_name):
        sa.Table(table_name, sa.MetaData()).drop(conn)


def count_rows(meta: DocType) -> int:
    conn = db.session.connection()
    if meta.issingle or not sa.inspect(conn).has_table(meta.table_name):
        return 0
    t = sa.Table(meta.table_name, sa.MetaData())
    return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar())


def has_table(name: str) -> bool:
    return sa.inspect(db.session.connection()).has_table(name)


def open_transaction() -> None:
    """Make sure the current transaction is open in the database (see `_open_transaction`): before
    DDL, and before a SAVEPOINT, which SQLite would otherwise take for the transaction itself (and
    its RELEASE for the commit)."""
    _open_transaction(db.session.connection())


def _open_transaction(conn: Any) -> None:
    """SQLite's Python driver opens its transaction at the first INSERT/UPDATE/DELETE only, and runs
    DDL before that in autocommit: open it first, so the DDL commits or rolls back with the save."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if not raw.in_transaction:
            raw.execute("BEGIN")


# -- planning ---------------------------------------------------------------------------------------
def stored_kind(sa_type: Any) -> tuple[str, int | None]:
    """(kind, varchar length) of a column as the database reports it."""
    if isinstance(sa_type, sa.Text) or (isinstance(sa_type, sa.String) and not getattr(sa_type, "length", None)):
        return "text", None
    if isinstance(sa_type, sa.String):
        return "varchar", sa_type.length
    if isinstance(sa_type, sa.Integer):
        return "int", None
    if isinstance(sa_type, sa.Float):
        return "float", None
    if isinstance(sa_type, sa.Numeric):
        return "currency", None
    if isinstance(sa_type, sa.DateTime):
        return "datetime", None
    if isinstance(sa_type, sa.Date):
        return "date", None
    if isinstance(sa_type, sa.Time):
        return "time", None
    return "other", None


def _wanted(f: Field) -> tuple[str, int | None]:
    return f.kind, f.max_length


@dataclass
class _TypeChange:
    field: Field
    old: tuple[str, int | None]


def _plan(meta: DocType, columns: dict[str, Any]) -> tuple[list[Field], list[_TypeChange]]:
    added, changed = [], []
    for f in meta.data_fields:
        if f.fieldname not in columns:
            added.append(f)
            continue
        old = stored_kind(columns[f.fieldname]["type"])
        if old != _wanted(f):
            changed.append(_TypeChange(f, old))
    return added, changed


def _refuse_change(meta: DocType, change: _TypeChange, why: str) -> ValidationError:
    f = change.field
    return ValidationError(f"{meta.name}: {f.label} ({f.fieldname}) cannot become {f.fieldtype}: {why}. Keep its "
                           f"type, or add a new field of type {f.fieldtype} instead.").for_fields("fields")


def _converted(conn: Any, meta: DocType, t: sa.Table, change: _TypeChange) -> list[tuple[str, Any]]:
    """Every stored value of the column converted to the field's new type; a value that would not
    convert (or not fit) refuses the change, naming it."""
    f = change.field
    kind, _length = change.old
    if kind not in _CONVERTIBLE or f.kind not in _CONVERTIBLE[kind]:
        raise _refuse_change(meta, change, f"the column holds {_KIND_WORDS.get(kind, kind)}, which do not convert "
                                           f"to {_KIND_WORDS.get(f.kind, f.kind)}")
    col = sa.column(f.fieldname)
    rows = conn.execute(sa.select(sa.column("name"), col).select_from(sa.table(t.name)).where(col.is_not(None))
                        .order_by(sa.column("name"))).all()
    out: list[tuple[str, Any]] = []
    bad: list[tuple[str, Any, str]] = []
    for name, value in rows:
        if isinstance(value, str) and not value.strip() and f.kind not in ("varchar", "text"):
            out.append((name, None))
            continue
        if f.kind == "date" and kind == "datetime":
            value = _whole_day(value)
            if value is None:
                bad.append((name, value, "it has a time of day"))
                continue
        if f.kind == "int" and kind in ("float", "currency") and float(value) != int(float(value)):
            bad.append((name, value, "it is not a whole number"))
            continue
        try:
            out.append((name, coerce(f, value)))
        except (ValidationError, ValueError, TypeError) as exc:
            bad.append((name, value, getattr(exc, "message", str(exc))))
    if bad:
        name, value, why = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise _refuse_change(meta, change, f"{meta.name} {name} holds {value!r}: {why}{more}")
    return out


def _whole_day(value: Any) -> Any:
    text = str(value)
    time_part = text[11:].strip()
    return text[:10] if not time_part or time_part.strip("0:.") == "" else None


# -- doing --------------------------------------------------------------------------------------------
def _sync(conn: Any, meta: DocType, alter_types: bool) -> None:
    t = registry.table(meta)
    inspector = sa.inspect(conn)
    if not inspector.has_table(meta.table_name):
        t.create(conn)
        grant_reader(conn, meta.table_name)
        return
    columns = {c["name"]: c for c in inspector.get_columns(meta.table_name)}
    added, changed = _plan(meta, columns)
    if changed and alter_types:
        converted = [(change, _converted(conn, meta, t, change)) for change in changed]
        if conn.dialect.name == "sqlite":
            _rebuild_sqlite(conn, meta, t, [c.field for c in changed])
        else:
            for change, _values in converted:
                _alter_postgres(conn, t, change.field)
        for change, values in converted:
            _write_back(conn, t, change.field, values)
        inspector = sa.inspect(conn)
    preparer = conn.dialect.identifier_preparer
    for f in added:
        coltype = registry.column_type(f).compile(dialect=conn.dialect)
        conn.execute(sa.text(f"ALTER TABLE {preparer.quote(meta.table_name)} "
                             f"ADD COLUMN {preparer.quote(f.fieldname)} {coltype}"))
    _sync_indexes(conn, inspector, meta, t, added)


def _sync_indexes(conn: Any, inspector: Any, meta: DocType, t: sa.Table, added: list[Field]) -> None:
    have = {ix["name"] for ix in inspector.get_indexes(meta.table_name)}
    unique_cols = {tuple(ix["column_names"]) for ix in inspector.get_indexes(meta.table_name) if ix.get("unique")}
    unique_cols |= {tuple(uc["column_names"]) for uc in inspector.get_unique_constraints(meta.table_name)}
    for ix in t.indexes:
        if ix.name not in have:
            ix.create(conn)
    for f in meta.data_fields:
        if f.unique and (f.fieldname,) not in unique_cols:
            _add_unique(conn, meta, f, new_column=f in added)


def _add_unique(conn: Any, meta: DocType, f: Field, new_column: bool) -> None:
    if not new_column:
        col = sa.column(f.fieldname)
        dup = conn.execute(sa.select(col, sa.func.count()).select_from(sa.table(meta.table_name))
                           .where(col.is_not(None)).group_by(col).having(sa.func.count() > 1).limit(1)).first()
        if dup is not None:
            raise ValidationError(f"{meta.name}: {f.label} cannot be Unique: {dup[1]} documents hold {dup[0]!r}; make "
                                  "the values distinct first").for_fields("fields")
    sa.Index(registry.index_name(meta.table_name, f.fieldname, prefix="uq"),
             sa.Table(meta.table_name, sa.MetaData(), sa.Column(f.fieldname)).c[f.fieldname], unique=True).create(conn)


def _alter_postgres(conn: Any, t: sa.Table, f: Field) -> None:
    """The new type, empty: the converted values are written back row by row (the app's own rules,
    the same on both databases)."""
    preparer = conn.dialect.identifier_preparer
    coltype = registry.column_type(f).compile(dialect=conn.dialect)
    conn.execute(sa.text(f"ALTER TABLE {preparer.quote(t.name)} ALTER COLUMN {preparer.quote(f.fieldname)} "
                         f"TYPE {coltype} USING NULL"))


def _rebuild_sqlite(conn: Any, meta: DocType, t: sa.Table, fields: list[Field]) -> None:
    """SQLite cannot change a column's type: copy the table into one with the new types (the changed
    columns empty, filled by `_write_back`), then put it in the old one's place, with its indexes.
    Columns no field uses any more are carried over as they are."""
    inspector = sa.inspect(conn)
    name = meta.table_name
    new_types = {f.fieldname: registry.column_type(f) for f in fields}
    reflected = inspector.get_columns(name)
    pk = set(inspector.get_pk_constraint(name).get("constrained_columns") or [])
    indexes = inspector.get_indexes(name)
    uniques = inspector.get_unique_constraints(name)
    temp = f"{name}__{secrets.token_hex(4)}"
    cols = [sa.Column(c["name"], new_types.get(c["name"], c["type"]), primary_key=c["name"] in pk,
                      nullable=c["nullable"] or c["name"] in new_types) for c in reflected]
    constraints = [sa.UniqueConstraint(*uc["column_names"]) for uc in uniques]
    new = sa.Table(temp, sa.MetaData(), *cols, *constraints)
    new.create(conn)
    kept = [c["name"] for c in reflected if c["name"] not in new_types]
    old = sa.table(name, *[sa.column(c) for c in kept])
    conn.execute(sa.insert(new).from_select(kept, sa.select(*[old.c[c] for c in kept])))
    preparer = conn.dialect.identifier_preparer
    conn.execute(sa.text(f"DROP TABLE {preparer.quote(name)}"))
    conn.execute(sa.text(f"ALTER TABLE {preparer.quote(temp)} RENAME TO {preparer.quote(name)}"))
    moved = sa.Table(name, sa.MetaData(), *[sa.Column(c["name"]) for c in reflected])
    for ix in indexes:
        sa.Index(ix["name"], *[moved.c[c] for c in ix["column_names"]], unique=bool(ix.get("unique"))).create(conn)


def _write_back(conn: Any, t: sa.Table, f: Field, values: list[tuple[str, Any]]) -> None:
    if not values:
        return
    target = sa.Table(t.name, sa.MetaData(), sa.Column("name", sa.String(140)),
                      sa.Column(f.fieldname, registry.column_type(f)))
    conn.execute(sa.update(target).where(target.c.name == sa.bindparam("_name"))
                 .values({f.fieldname: sa.bindparam("_value", type_=registry.column_type(f))}),
                 [{"_name": name, "_value": value} for name, value in values])
