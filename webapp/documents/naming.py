"""Naming: random hash, from a field, given by the user ("prompt"), or a naming series such as
`TASK-.#####` or `HR-EXP-.YYYY.-.#####` (Frappe's syntax: dot-separated parts, `#` digits)."""

from __future__ import annotations

import datetime as dt
import secrets

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
    table = Series.__table__
    updated = db.session.execute(
        sa.update(table).where(table.c.name == prefix).values(current=table.c.current + 1)
    ).rowcount
    if not updated:
        db.session.execute(sa.insert(table).values(name=prefix, current=1))
    current = db.session.execute(sa.select(table.c.current).where(table.c.name == prefix)).scalar_one()
    return f"{prefix}{current:0{digits}d}"


def set_name(doc) -> None:
    meta = doc.meta
    if meta.istable:
        if not doc.get("name"):
            doc._data["name"] = make_hash()
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
    else:
        doc._data["name"] = next_in_series(rule)
    name = doc._data["name"]
    if len(name) > 140:
        raise ValidationError(f"{meta.name}: the name is longer than 140 characters")
    for child_field in meta.table_fields:
        for row in doc._data.get(child_field.fieldname) or []:
            row._data["parent"] = name
