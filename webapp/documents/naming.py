"""Naming, Frappe's rules (a doctype's `autoname`): random `hash`, `autoincrement` (1, 2, 3 ...),
`uuid`, `field:<fieldname>`, `prompt` (given by the user), a naming series such as `TASK-.#####`
or `HR-EXP-.YYYY.-.#####` (dot-separated parts, `#` digits), `naming_series:` (the series is the
document's `naming_series` field), and `format:PRE-{YYYY}-{#####}` (braced parts are date parts,
the counter, or the document's fields; text outside braces is kept as it is)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid

import sqlalchemy as sa

from webapp.errors import MandatoryError, ValidationError
from webapp.extensions import db
from webapp.models.series import Series


def make_hash(length: int = 10) -> str:
    return secrets.token_hex((length + 1) // 2)[:length]


def _series_parts(series: str, today: dt.date) -> tuple[str, int]:
    prefix, digits = "", 0
    for part in series.split("."):
        if not part:
            continue
        if set(part) == {"#"}:
            digits = len(part)
        elif part == "YYYY":
            prefix += f"{today:%Y}"
        elif part == "YY":
            prefix += f"{today:%y}"
        elif part == "MM":
            prefix += f"{today:%m}"
        elif part == "DD":
            prefix += f"{today:%d}"
        else:
            prefix += part
    if not digits:
        raise ValueError(f"Naming series {series!r} has no #### part")
    return prefix, digits


def next_in_series(series: str) -> str:
    """Take the next number of the series inside the current transaction (row-locked)."""
    prefix, digits = _series_parts(series, dt.date.today())
    return f"{prefix}{_next_number(prefix):0{digits}d}"


def _next_number(prefix: str) -> int:
    table = Series.__table__
    updated = db.session.execute(
        sa.update(table).where(table.c.name == prefix).values(current=table.c.current + 1)
    ).rowcount
    if not updated:
        db.session.execute(sa.insert(table).values(name=prefix, current=1))
    return int(db.session.execute(sa.select(table.c.current).where(table.c.name == prefix)).scalar_one())


_DATE_PARTS = {"YYYY": "%Y", "YY": "%y", "MM": "%m", "DD": "%d", "MON": "%b", "WW": "%W"}
_BRACED = re.compile(r"\{([^{}]*)\}")


def format_name(pattern: str, doc) -> str:
    """`format:` naming: each {part} is a date part, the counter ({#####}, counted per the text
    before it), or a field of the document."""
    today = dt.date.today()
    out = ""
    last = 0
    for m in _BRACED.finditer(pattern):
        out += pattern[last:m.start()]
        last = m.end()
        part = m.group(1)
        if part and set(part) == {"#"}:
            out += f"{_next_number(out):0{len(part)}d}"
        elif part in _DATE_PARTS:
            out += today.strftime(_DATE_PARTS[part])
        else:
            value = doc.get(part)
            if value in (None, ""):
                f = doc.meta.get_field(part)
                raise MandatoryError(f"{doc.meta.name}: {f.label if f else part} is required (it is part of the name)")
            out += str(value.isoformat() if isinstance(value, dt.date) else value).strip()
    return out + pattern[last:]


def _naming_series(doc) -> str:
    f = doc.meta.get_field("naming_series")
    choices = f.select_options if f is not None else []
    series = str(doc.get("naming_series") or "").strip() or (str(f.default) if f is not None and f.default else "") \
        or (choices[0] if choices else "")
    if not series:
        raise MandatoryError(f"{doc.meta.name}: a Naming Series is required")
    if choices and series not in choices:
        raise ValidationError(f"{doc.meta.name}: Naming Series {series!r} is not one of: {', '.join(choices)}") \
            .for_fields("naming_series")
    doc._data["naming_series"] = series
    return series if "#" in series else f"{series}.#####"


def set_name(doc) -> None:
    meta = doc.meta
    if meta.istable:
        if not doc.get("name"):
            doc._data["name"] = make_hash()
        return
    if meta.issingle:
        doc._data["name"] = meta.name
        return
    rule = meta.naming
    given = doc.get("name")
    if rule == "prompt":
        if not given or not str(given).strip():
            raise MandatoryError(f"{meta.name}: a name is required")
        doc._data["name"] = str(given).strip()
    elif rule.startswith("field:"):
        fieldname = rule.split(":", 1)[1]
        value = doc.get(fieldname)
        if value is None or not str(value).strip():
            f = meta.get_field(fieldname)
            raise MandatoryError(f"{meta.name}: {f.label if f else fieldname} is required (it names the document)")
        doc._data["name"] = str(value).strip()
    elif given:
        doc._data["name"] = str(given)
    elif rule == "hash":
        doc._data["name"] = make_hash()
    elif rule == "autoincrement":
        doc._data["name"] = str(_next_number(f"__autoincrement:{meta.name}"))
    elif rule == "uuid":
        doc._data["name"] = str(uuid.uuid4())
    elif rule == "naming_series:":
        doc._data["name"] = next_in_series(_naming_series(doc))
    elif rule.startswith("format:"):
        doc._data["name"] = format_name(rule.split(":", 1)[1], doc)
    else:
        doc._data["name"] = next_in_series(rule)
    name = doc._data["name"]
    if len(name) > 140:
        raise ValidationError(f"{meta.name}: the name is longer than 140 characters")
    for child_field in meta.table_fields:
        for row in doc._data.get(child_field.fieldname) or []:
            row._data["parent"] = name
