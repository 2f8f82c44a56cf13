"""Doctype registry: the doctypes of the current app, by name or slug, and their `tab<DocType>` tables.

Built-in doctypes are declarations in code (webapp/doctypes/builtin.py). Doctypes defined by users
(`DocType` rows) and the Custom Fields and Property Setters that change any doctype are rows in the
app's database: the app's `doctype_source` hook (webapp/hooks.py, wired by the factory to
webapp/customize/registry_cache.py) answers with the current set, checked once per request or
transaction and rebuilt when another process changed it. Outside an app, or before that hook is
wired, the built-in declarations answer as they are.

Tables are SQLAlchemy Core tables, each on a MetaData of its own (not the ORM's, so Alembic
autogenerate leaves them alone), built once per doctype object: a change to a doctype makes a new
object, and so a new table. Creating and changing tables is webapp/services/schema.py's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask.globals import _cv_app  # the app context itself (see current())

from webapp.doctypes.builtin import BUILTIN_DOCTYPES
from webapp.doctypes.meta import CHILD_FIELDS, DocType, Field

_BUILTIN: dict[str, DocType] = {dt.name: dt for dt in BUILTIN_DOCTYPES}
MAX_IDENTIFIER = 63  # PostgreSQL's limit on a table, column or index name (bytes)


@dataclass(frozen=True)
class Snapshot:
    """The doctypes of one app at one version: built-ins (with their customizations) and user doctypes."""

    version: int
    by_name: dict[str, DocType]
    by_slug: dict[str, DocType] = field(default_factory=dict)

    @classmethod
    def of(cls, version: int, doctypes: Iterable[DocType]) -> Snapshot:
        listed = list(doctypes)
        return cls(version, {dt.name: dt for dt in listed}, {dt.slug: dt for dt in listed})


BUILTINS = Snapshot.of(0, BUILTIN_DOCTYPES)


def current() -> Snapshot:
    """The current app's doctypes (the built-in declarations outside an app). Read from the app
    context's own variable: the registry is asked dozens of times per request, and each hop
    through `current_app` costs more than the lookup itself."""
    ctx = _cv_app.get(None)
    if ctx is None:
        return BUILTINS
    source = ctx.app.extensions["hooks"].doctype_source
    return BUILTINS if source is None else source()


def get(name: str) -> DocType | None:
    return current().by_name.get(name)


def by_slug(slug: str) -> DocType | None:
    return current().by_slug.get(slug)


def all_doctypes() -> list[DocType]:
    return list(current().by_name.values())


def child_meta(f: Field) -> DocType:
    """The doctype of a Table field's rows."""
    meta = get(f.options or "")
    if meta is None:  # pragma: no cover - a declaration error
        raise LookupError(f"Table field {f.fieldname} points to unknown doctype {f.options}")
    return meta


def visible_fields(meta: DocType) -> list[Field]:
    """The fields a form or print view shows (not the hidden ones)."""
    return [f for f in meta.fields if not f.hidden]


def builtin(name: str) -> DocType | None:
    """The declaration in code, without any customization (None for a user doctype)."""
    return _BUILTIN.get(name)


def is_builtin(name: str) -> bool:
    return name in _BUILTIN


# -- tables ---------------------------------------------------------------------------------------
def column_type(f: Field) -> sa.types.TypeEngine:
    kind = f.kind
    if kind == "varchar":
        return sa.String(f.max_length)
    return {
        "text": sa.Text, "int": sa.Integer, "float": sa.Float, "date": sa.Date, "datetime": sa.DateTime,
        "time": sa.Time,
    }.get(kind, lambda: sa.Numeric(21, 9))()


def is_indexed(f: Field) -> bool:
    return (f.search_index or f.in_standard_filter or f.fieldtype == "Link") and not f.unique


def index_name(table_name: str, *columns: str, prefix: str = "ix") -> str:
    """`ix_<table>_<columns>` (`uq_` for a unique index), shortened with a hash when longer than a
    database allows."""
    name = f"{prefix}_{table_name}_{'_'.join(columns)}"
    if len(name.encode()) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{name.encode()[:MAX_IDENTIFIER - 13].decode(errors='ignore')}_{digest}"


def _declared_unique(doctype: DocType, f: Field) -> bool:
    """A unique field declared in code keeps the inline constraint its table was always created with;
    any other is a unique index (which a later change can add or drop on both databases)."""
    declared = _BUILTIN.get(doctype.name)
    own = declared.get_field(f.fieldname) if declared is not None else None
    return f.unique and own is not None and own.unique


def table(doctype: DocType) -> sa.Table:
    """The Core table of a doctype (built once per doctype object)."""
    t = doctype.__dict__.get("_table")
    if t is not None:
        return t
    cols = [
        sa.Column("name", sa.String(140), primary_key=True),
        sa.Column("creation", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.Column("modified_by", sa.String(140)),
        sa.Column("owner", sa.String(140)),
        sa.Column("docstatus", sa.Integer(), nullable=False, default=0),
        sa.Column("idx", sa.Integer(), nullable=False, default=0),
    ]
    indexes = [sa.Index(index_name(doctype.table_name, "modified"), "modified")]
    if doctype.istable:
        cols += [sa.Column("parent", sa.String(140)), sa.Column("parenttype", sa.String(140)),
                 sa.Column("parentfield", sa.String(140))]
        indexes.append(sa.Index(index_name(doctype.table_name, "parent"), "parent"))
    for f in doctype.data_fields:
        inline = _declared_unique(doctype, f)
        cols.append(sa.Column(f.fieldname, column_type(f), unique=inline or None))
        if is_indexed(f):
            indexes.append(sa.Index(index_name(doctype.table_name, f.fieldname), f.fieldname))
        elif f.unique and not inline:
            indexes.append(sa.Index(index_name(doctype.table_name, f.fieldname, prefix="uq"), f.fieldname, unique=True))
    indexes += [sa.Index(ix.name(doctype.table_name), *ix.fields,
                         **({"sqlite_where": sa.text(ix.where), "postgresql_where": sa.text(ix.where)} if ix.where else {}))
                for ix in doctype.indexes]
    t = sa.Table(doctype.table_name, sa.MetaData(), *cols, *indexes)
    doctype.__dict__["_table"] = t
    return t


__all__ = ["CHILD_FIELDS", "Snapshot", "all_doctypes", "builtin", "by_slug", "current", "get", "is_builtin", "table"]
