"""Type coercion per field type. Bad values raise ValidationError naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from webapp.doctypes.meta import Field
from webapp.errors import ValidationError

_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f",
                     "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def _bad(f: Field, value: Any, what: str) -> ValidationError:
    return ValidationError(f"{f.label}: {value!r} is not a valid {what}").for_fields(f.fieldname)


def to_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "today":
            return dt.date.today()
        return dt.date.fromisoformat(text[:10])
    raise ValueError(value)


def to_datetime(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "now":
            return dt.datetime.now()
        for fmt in _DATETIME_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
    raise ValueError(value)


def coerce(f: Field, value: Any) -> Any:
    t = f.fieldtype
    if t in ("Data", "Text", "Select", "Link", "Code", "Password"):
        if value is None:
            return None
        if isinstance(value, (dict, list, tuple, set)):
            raise _bad(f, value, "text value")
        text = value if isinstance(value, str) else str(value)
        if t in ("Data", "Link", "Select") and len(text) > 140:
            raise ValidationError(
                f"{f.label}: the value is {len(text)} characters long; at most 140 are allowed").for_fields(f.fieldname)
        return None if t == "Link" and text == "" else text
    if t in ("Int", "Check"):
        if value in (None, ""):
            return 0
        if isinstance(value, bool):
            return int(value)
        if t == "Check" and isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
            return int(value.strip().lower() in ("true", "yes"))
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise _bad(f, value, "whole number") from None
        if number != number.to_integral_value():
            raise _bad(f, value, "whole number")
        result = int(number)
        if t == "Check":
            return 1 if result else 0
        if abs(result) > 2**63 - 1:
            raise _bad(f, value, "whole number (too large)")
        return result
    if t in ("Float", "Currency"):
        if value in (None, ""):
            return 0.0
        if isinstance(value, bool):
            return float(value)
        try:
            number = float(value if not isinstance(value, str) else value.strip().replace(",", ""))
        except (TypeError, ValueError):
            raise _bad(f, value, "number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise _bad(f, value, "number")
        return number
    if t == "Date":
        try:
            return to_date(value)
        except (TypeError, ValueError):
            raise _bad(f, value, "date (use YYYY-MM-DD)") from None
    if t == "Datetime":
        try:
            return to_datetime(value)
        except (TypeError, ValueError):
            raise _bad(f, value, "date and time (use YYYY-MM-DD HH:MM:SS)") from None
    return value


def from_db(f: Field, value: Any) -> Any:
    """Values as read from the database, normalised across SQLite and PostgreSQL."""
    if value is None:
        return 0 if f.fieldtype in ("Int", "Check") else (0.0 if f.fieldtype in ("Float", "Currency") else None)
    if f.fieldtype in ("Float", "Currency"):
        return float(value)
    return value


def default_value(f: Field) -> Any:
    if f.default is None:
        return None
    if f.fieldtype == "Date" and str(f.default).lower() == "today":
        return dt.date.today()
    if f.fieldtype == "Datetime" and str(f.default).lower() == "now":
        return dt.datetime.now()
    return coerce(f, f.default)
