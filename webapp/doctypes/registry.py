"""Doctype registry: lookup by name or slug, and the `tab<DocType>` tables built from declarations.

Tables are SQLAlchemy Core tables on their own MetaData (not the ORM's, so Alembic autogenerate
leaves them alone). `sync_tables()` creates missing tables, columns and indexes, like Frappe's
migrate; it never drops anything.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.doctypes.builtin import BUILTIN_DOCTYPES
from webapp.doctypes.meta import CHILD_FIELDS, DocType, Field
from webapp.extensions import db

_DOCTYPES: dict[str, DocType] = {}
_BY_SLUG: dict[str, DocType] = {}
_TABLES: dict[str, sa.Table] = {}
metadata = sa.MetaData()

_COLUMN_TYPES = {
    "Data": lambda: sa.String(140),
    "Link": lambda: sa.String(140),
    "Select": lambda: sa.String(140),
    "Password": lambda: sa.String(255),
    "Text": lambda: sa.Text(),
    "Code": lambda: sa.Text(),
    "Int": lambda: sa.Integer(),
    "Check": lambda: sa.Integer(),
    "Float": lambda: sa.Float(),
    "Currency": lambda: sa.Numeric(21, 9),
    "Date": lambda: sa.Date(),
    "Datetime": lambda: sa.DateTime(),
}


def register(doctype: DocType) -> DocType:
    _DOCTYPES[doctype.name] = doctype
    _BY_SLUG[doctype.slug] = doctype
    _TABLES.pop(doctype.name, None)
    return doctype


def _ensure_builtins() -> None:
    if not _DOCTYPES:
        for dt in BUILTIN_DOCTYPES:
            register(dt)


def get(name: str) -> DocType | None:
    _ensure_builtins()
    return _DOCTYPES.get(name)


def by_slug(slug: str) -> DocType | None:
    _ensure_builtins()
    return _BY_SLUG.get(slug)


def all_doctypes() -> list[DocType]:
    _ensure_builtins()
    return list(_DOCTYPES.values())


def child_meta(f: Field) -> DocType:
    """The doctype of a Table field's rows."""
    meta = get(f.options or "")
    if meta is None:  # pragma: no cover - a declaration error
        raise LookupError(f"Table field {f.fieldname} points to unknown doctype {f.options}")
    return meta


def visible_fields(meta: DocType) -> list[Field]:
    """The fields a form or print view shows (not the hidden ones)."""
    return [f for f in meta.fields if not f.hidden]


def column_for(f: Field) -> sa.Column:
    indexed = f.search_index or f.in_standard_filter or f.fieldtype == "Link"
    return sa.Column(f.fieldname, _COLUMN_TYPES[f.fieldtype](), index=indexed and not f.unique, unique=f.unique)


def table(doctype: DocType) -> sa.Table:
    """The Core table of a doctype (built once)."""
    t = _TABLES.get(doctype.name)
    if t is not None:
        return t
    if doctype.table_name in metadata.tables:
        metadata.remove(metadata.tables[doctype.table_name])
    cols = [
        sa.Column("name", sa.String(140), primary_key=True),
        sa.Column("creation", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False, index=True),
        sa.Column("modified_by", sa.String(140)),
        sa.Column("owner", sa.String(140)),
        sa.Column("docstatus", sa.Integer(), nullable=False, default=0),
        sa.Column("idx", sa.Integer(), nullable=False, default=0),
    ]
    if doctype.istable:
        cols += [sa.Column("parent", sa.String(140), index=True), sa.Column("parenttype", sa.String(140)),
                 sa.Column("parentfield", sa.String(140))]
    cols += [column_for(f) for f in doctype.data_fields]
    extra = [sa.Index(ix.name(doctype.table_name), *ix.fields,
                      **({"sqlite_where": sa.text(ix.where), "postgresql_where": sa.text(ix.where)} if ix.where else {}))
             for ix in doctype.indexes]
    t = sa.Table(doctype.table_name, metadata, *cols, *extra)
    _TABLES[doctype.name] = t
    return t


def sync_tables() -> None:
    """Create missing doctype tables, columns and indexes (never drops)."""
    _ensure_builtins()
    engine = db.engine
    inspector = sa.inspect(engine)
    existing = set(inspector.get_table_names())
    with engine.begin() as conn:
        for dt in all_doctypes():
            t = table(dt)
            if dt.table_name not in existing:
                t.create(conn)
                continue
            have = {c["name"] for c in inspector.get_columns(dt.table_name)}
            preparer = engine.dialect.identifier_preparer
            for col in t.columns:
                if col.name in have:
                    continue
                coltype = col.type.compile(dialect=engine.dialect)
                conn.execute(sa.text(
                    f"ALTER TABLE {preparer.quote(dt.table_name)} ADD COLUMN {preparer.quote(col.name)} {coltype}"
                ))
            have_ix = {ix["name"] for ix in inspector.get_indexes(dt.table_name)}
            for ix in t.indexes:
                if ix.name not in have_ix:
                    ix.create(conn, checkfirst=True)


__all__ = ["CHILD_FIELDS", "all_doctypes", "by_slug", "get", "register", "sync_tables", "table"]
