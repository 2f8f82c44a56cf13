"""Frappe-style list queries turned into SQLAlchemy Core: filters, fields, order_by, paging.

Every field name is checked against the doctype (an unknown one is a ValidationError, never SQL)
and every value is a bound parameter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from webapp.doctypes import registry
from webapp.doctypes.meta import DocType, Field
from webapp.documents.coerce import coerce
from webapp.errors import DoesNotExistError, ValidationError

OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is", "between")


def parse_json_arg(value: Any, what: str) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            if what == "fields":
                return [p.strip() for p in text.split(",") if p.strip()]
            raise ValidationError(f"{what} must be JSON, e.g. {_EXAMPLES.get(what, '[]')}") from None
    return value


_EXAMPLES = {"filters": '{"status": "Open"} or [["status", "=", "Open"]]', "fields": '["name", "status"]'}


def column(meta: DocType, t: sa.Table, fieldname: str) -> sa.Column:
    name = str(fieldname).strip()
    if "." in name:  # `tabToDo`.`status` / tabToDo.status
        table_part, _, name = name.rpartition(".")
        if table_part.strip("`\"") != t.name:
            raise ValidationError(f"Field {fieldname!r} is not a field of {meta.name}")
        name = name.strip("`\"")
    if name not in t.c or not meta.has_field(name):
        raise ValidationError(f"Field {fieldname!r} is not a field of {meta.name}")
    return t.c[name]


def normalize_filters(meta: DocType, filters: Any) -> list[tuple[str, str, Any]]:
    filters = parse_json_arg(filters, "filters")
    if not filters:
        return []
    out: list[tuple[str, str, Any]] = []
    if isinstance(filters, dict):
        for key, value in filters.items():
            if isinstance(value, (list, tuple)) and value and isinstance(value[0], str) and value[0].lower() in OPERATORS:
                if len(value) != 2:
                    raise ValidationError(f"Filter on {key!r} must be [operator, value]")
                out.append((key, value[0].lower(), value[1]))
            else:
                out.append((key, "=", value))
        return out
    if isinstance(filters, (list, tuple)):
        for item in filters:
            if isinstance(item, dict):
                out += normalize_filters(meta, item)
                continue
            if not isinstance(item, (list, tuple)) or len(item) not in (3, 4):
                raise ValidationError(f"Each filter must be [field, operator, value]; got {item!r}")
            if len(item) == 4:
                if item[0] != meta.name:
                    raise ValidationError(f"Filters on {item[0]} (a child table) are not supported here")
                item = item[1:]
            out.append((item[0], str(item[1]).lower(), item[2]))
        return out
    raise ValidationError(f"filters must be a JSON object or list, e.g. {_EXAMPLES['filters']}")


# Standard columns are typed too: PostgreSQL will not compare an integer or timestamp column with text.
_STANDARD_TYPED = {
    "docstatus": Field("docstatus", "Int", label="Docstatus"),
    "idx": Field("idx", "Int", label="Idx"),
    "creation": Field("creation", "Datetime", label="Created On"),
    "modified": Field("modified", "Datetime", label="Last Updated On"),
}


def _typed(meta: DocType, fieldname: str, value: Any) -> Any:
    f = meta.get_field(fieldname) or _STANDARD_TYPED.get(fieldname)
    if f is None or value is None:
        return value
    if f.fieldtype in ("Date", "Datetime", "Int", "Check", "Float", "Currency"):
        return coerce(f, value)
    return value if isinstance(value, str) else str(value)


def condition(meta: DocType, t: sa.Table, fieldname: str, op: str, value: Any) -> sa.ColumnElement:
    col = column(meta, t, fieldname)
    if op not in OPERATORS:
        raise ValidationError(f"Unknown filter operator {op!r}; use one of: {', '.join(OPERATORS)}")
    name = col.name
    if op in ("in", "not in"):
        values = value.split(",") if isinstance(value, str) else list(value or [])
        values = [_typed(meta, name, v.strip() if isinstance(v, str) else v) for v in values]
        expr = col.in_(values)
        return sa.not_(expr) if op == "not in" else expr
    if op == "is":
        text = str(value).lower()
        if text not in ("set", "not set"):
            raise ValidationError("The 'is' operator takes 'set' or 'not set'")
        empty = sa.or_(col.is_(None), col == "") if col.type.python_type is str else col.is_(None)
        return sa.not_(empty) if text == "set" else empty
    if op == "between":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValidationError("The 'between' operator takes [from, to]")
        return col.between(_typed(meta, name, value[0]), _typed(meta, name, value[1]))
    if op in ("like", "not like"):
        # Case-insensitive on every database, as Frappe's LIKE is on MariaDB (and SQLite's already
        # is): ILIKE on PostgreSQL, lower() LIKE lower() elsewhere.
        expr = col.ilike(str(value))
        return sa.not_(expr) if op == "not like" else expr
    typed = _typed(meta, name, value)
    if op == "=":
        return col.is_(None) if typed is None else col == typed
    if op == "!=":
        return col.is_not(None) if typed is None else sa.or_(col != typed, col.is_(None))
    return {"<": col < typed, ">": col > typed, "<=": col <= typed, ">=": col >= typed}[op]


def where(meta: DocType, t: sa.Table, filters: Any, or_filters: Any = None) -> list[sa.ColumnElement]:
    conds = [condition(meta, t, *flt) for flt in normalize_filters(meta, filters)]
    ors = [condition(meta, t, *flt) for flt in normalize_filters(meta, or_filters)]
    if ors:
        conds.append(sa.or_(*ors))
    return conds


_AS = re.compile(r"^(?P<field>[\w`.\" ]+?)\s+as\s+(?P<alias>\w+)$", re.IGNORECASE)


def select_columns(meta: DocType, t: sa.Table, fields: Any) -> list[sa.ColumnElement]:
    fields = parse_json_arg(fields, "fields") or ["name"]
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, (list, tuple)):
        raise ValidationError('fields must be a list, e.g. ["name", "status"]')
    cols: list[sa.ColumnElement] = []
    counted = False
    for fieldname in fields:
        if not isinstance(fieldname, str):
            raise ValidationError(f"Field names must be strings; got {fieldname!r}")
        text = fieldname.strip()
        if text in ("*", f"`{t.name}`.*"):
            cols += [t.c[c] for c in meta.column_names if c in t.c]
            continue
        m = _AS.match(text)
        if m:
            cols.append(column(meta, t, m["field"].strip()).label(m["alias"]))
        elif text.lower() in ("count(*)", "count(name)", "count(*) as count", "count(name) as count"):
            cols.append(sa.func.count().label("count"))
            counted = True
        else:
            f = meta.get_field(text)
            if f is not None and f.is_table:
                raise ValidationError(f"{text!r} is a child table; fetch the document to read its rows")
            cols.append(column(meta, t, text))
    if counted and len(cols) > 1:
        # Without GROUP BY, PostgreSQL refuses this and SQLite returns an arbitrary row.
        raise ValidationError("count(*) cannot be combined with other fields; ask for it alone")
    return cols


def order(meta: DocType, t: sa.Table, order_by: Any) -> list[sa.ColumnElement]:
    if not order_by:
        return [getattr(t.c[meta.sort_field], meta.sort_order)(), t.c.name.desc()]
    out = []
    for part in str(order_by).split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ValidationError(f"order_by must look like 'field asc' or 'field desc'; got {part.strip()!r}")
        col = column(meta, t, words[0])
        out.append(col.desc() if len(words) == 2 and words[1].lower() == "desc" else col.asc())
    return out


def paging(limit_start: Any, limit_page_length: Any, default: int = 20) -> tuple[int, int | None]:
    try:
        start = int(limit_start or 0)
        length = default if limit_page_length in (None, "") else int(limit_page_length)
    except (TypeError, ValueError):
        raise ValidationError("limit_start and limit_page_length must be whole numbers") from None
    if start < 0 or length < 0:
        raise ValidationError("limit_start and limit_page_length must not be negative")
    return start, (length or None)


def meta_or_404(doctype: str) -> DocType:
    meta = registry.get(doctype) if isinstance(doctype, str) else None
    if meta is None:
        raise DoesNotExistError(f"DocType {doctype} not found")
    return meta


# -- conditions written as SQL (Permission Query scripts) -----------------------------------------
MAX_CONDITION_CHARS = 100_000
_CLOSING = {"'": "'", '"': '"', "`": "`", "[": "]"}
_QUOTE_KIND = {"'": "string literal", '"': "quoted name", "`": "quoted name", "[": "quoted name"}


def sql_condition(text: str, dialect: str, source: str) -> sa.ColumnElement:
    """A condition written as SQL text, ANDed into a query as one parenthesised expression.

    The text is read the way the database will read it (quotes, quoted names) and refused unless it
    is self-contained: every quote closed, parentheses balanced, and no `;`, comment or `$` outside
    quotes, so it can neither end the statement nor close the parenthesis around it and weaken the
    query's other conditions. On PostgreSQL, backquoted names (Frappe's MariaDB style) become double
    quoted and unquoted doctype tables (`tabToDo.owner`) are quoted, as Frappe's Postgres layer does.
    What the condition may read or do is up to the database guard it runs under.
    """
    return sa.literal_column(f"({_checked_condition(text, dialect, source)})")


def _pieces(text: str, dialect: str) -> Iterator[tuple[str, int, str]]:
    """(kind, position, text) as the database reads `text`: "quoted" (a string literal or a quoted
    name, its quotes included; "open" when it is never closed, to the end), "word" (a bare name or
    keyword) or "char" (anything else, one character)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _CLOSING and (c != "[" or dialect == "sqlite"):
            end = _closing_quote(text, i, _CLOSING[c])
            if end < 0:
                yield "open", i, text[i:]
                return
            yield "quoted", i, text[i:end + 1]
            i = end + 1
        elif (c.isalpha() or c == "_") and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = i + 1
            while end < n and (text[end].isalnum() or text[end] == "_"):
                end += 1
            yield "word", i, text[i:end]
            i = end
        else:
            yield "char", i, c
            i += 1


def _for_postgres(kind: str, piece: str, tables: frozenset[str]) -> str:
    """Frappe's MariaDB-style names as PostgreSQL reads them: a `backquoted` name double quoted, and
    a doctype table written bare (tabToDo), which PostgreSQL would fold to lower case, quoted (as
    Frappe's Postgres layer does)."""
    if kind == "quoted" and piece[0] == "`":
        return '"' + piece[1:-1].replace("``", "`").replace('"', '""') + '"'
    if kind == "word" and piece in tables:
        return f'"{piece}"'
    return piece


def postgres_names(text: str) -> str:
    """A query written for Frappe (MariaDB quoting, bare doctype tables) with its names as
    PostgreSQL reads them; string literals are left as they are."""
    tables = _mixed_case_tables()
    return "".join(_for_postgres(kind, piece, tables) for kind, _i, piece in _pieces(text, "postgresql"))


def _checked_condition(text: str, dialect: str, source: str) -> str:
    def bad(why: str) -> ValidationError:
        return ValidationError(f"The permission condition from {source} is not usable: {why}. "
                               f"It was: {text[:300]!r}")

    if len(text) > MAX_CONDITION_CHARS:
        raise bad(f"it is longer than {MAX_CONDITION_CHARS:,} characters")
    if "\x00" in text:
        raise bad("it contains a NUL character")
    postgres = dialect == "postgresql"
    tables = _mixed_case_tables() if postgres else frozenset()
    out: list[str] = []
    depth = 0
    for kind, i, piece in _pieces(text, dialect):
        if kind == "open":
            raise bad(f"a {_QUOTE_KIND[piece[0]]} is not closed")
        if kind == "quoted" and piece[0] == "'" and "\\" in piece and postgres:
            # E'..' strings (and standard_conforming_strings off) read a backslash as an escape:
            # without backslashes every string literal reads the same way everywhere.
            raise bad("backslashes inside string literals are not supported")
        if kind == "char":
            if piece == ";":
                raise bad("';' may not appear outside quotes (a condition is part of one statement)")
            if piece in ("$", "?"):
                raise bad(f"{piece!r} may not appear outside quotes (no parameters or dollar quoting)")
            if text.startswith(("--", "/*", "*/"), i):
                raise bad("comments are not allowed")
            if piece == "(":
                depth += 1
            elif piece == ")":
                depth -= 1
                if depth < 0:
                    raise bad("a ')' closes a parenthesis the condition did not open")
        out.append(_for_postgres(kind, piece, tables) if postgres else piece)
    if depth:
        raise bad("a '(' is not closed")
    return "".join(out)


def _mixed_case_tables() -> frozenset[str]:
    return frozenset(dt.table_name for dt in registry.all_doctypes() if dt.table_name != dt.table_name.lower())


def _closing_quote(text: str, start: int, quote: str) -> int:
    """Index of the quote closing the one at `start` (a doubled quote is part of the text); -1 if none."""
    j = start + 1
    while True:
        k = text.find(quote, j)
        if k < 0:
            return -1
        if quote != "]" and text.startswith(quote * 2, k):
            j = k + 2
            continue
        return k
