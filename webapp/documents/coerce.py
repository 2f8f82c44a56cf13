"""Type coercion per field type. Bad values raise ValidationError naming the field."""

from __future__ import annotations

import datetime as dt
import re
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


def to_time(value: Any) -> dt.time | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.timedelta):  # what some drivers return for a TIME column
        seconds = int(value.total_seconds()) % 86400
        return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, value.microseconds)
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "now":
            return dt.datetime.now().time().replace(microsecond=0)
        return dt.time.fromisoformat(text)
    raise ValueError(value)


_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")


def _check_data_options(f: Field, text: str) -> None:
    """Frappe's validators for Data fields with options Email, URL or Phone (and the Phone type)."""
    kind = "Phone" if f.fieldtype == "Phone" else (f.options or "").strip()
    if not text or kind not in ("Email", "URL", "Phone"):
        return
    if kind == "Email":
        bad = [a for a in re.split(r"[,\n]", text) if a.strip() and not _EMAIL.match(a.strip())]
        if bad:
            raise _bad(f, bad[0].strip(), "email address")
    elif kind == "URL":
        if not re.match(r"^https?://[^\s]+$", text):
            raise ValidationError(f"{f.label}: {text!r} is not a valid URL (it starts with http:// or https://)") \
                .for_fields(f.fieldname)
    elif not _PHONE.match(text):
        raise _bad(f, text, "phone number (digits, spaces, + - ( ) . /)")


def _text(f: Field, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list, tuple, set)):
        raise _bad(f, value, "text value")
    text = value if isinstance(value, str) else str(value)
    limit = f.max_length
    if limit is not None and f.fieldtype != "Password" and len(text) > limit:
        raise ValidationError(
            f"{f.label}: the value is {len(text)} characters long; at most {limit} are allowed").for_fields(f.fieldname)
    if f.fieldtype in ("Link", "Dynamic Link") and text == "":
        return None
    _check_data_options(f, text)
    return text


def coerce(f: Field, value: Any) -> Any:
    t = f.fieldtype
    kind = f.kind
    if kind in ("varchar", "text"):
        return _text(f, value)
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
    if kind in ("float", "currency"):
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
        if t == "Currency" and abs(number) >= 1e12:
            raise _bad(f, value, "amount (at most 12 digits before the point)")
        if t == "Rating" and not 0 <= number <= 1:
            raise ValidationError(f"{f.label}: a rating is a fraction from 0 to 1 (3 of 5 stars is 0.6); got "
                                  f"{value!r}").for_fields(f.fieldname)
        if f.precision is not None:
            number = round(number, f.precision)
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
    if t == "Time":
        try:
            return to_time(value)
        except (TypeError, ValueError):
            raise _bad(f, value, "time (use HH:MM:SS)") from None
    return value


def from_db(f: Field, value: Any) -> Any:
    """Values as read from the database, normalised across SQLite and PostgreSQL."""
    kind = f.kind
    if value is None:
        return 0 if kind == "int" else (0.0 if kind in ("float", "currency") else None)
    if kind in ("float", "currency"):
        return float(value)
    if kind == "time" and not isinstance(value, dt.time):
        return to_time(value)
    return value


def to_text(f: Field, value: Any) -> str | None:
    """A value as the text a Single keeps in tabSingles (read back with `from_text`)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def from_text(f: Field, value: Any) -> Any:
    """A Single's stored text as the field's value (a value that no longer fits the field reads as empty)."""
    try:
        return from_db(f, coerce(f, value))
    except (ValidationError, ValueError):
        return from_db(f, None)


def default_value(f: Field) -> Any:
    if f.default is None:
        return None
    if f.fieldtype == "Date" and str(f.default).lower() == "today":
        return dt.date.today()
    if f.fieldtype == "Datetime" and str(f.default).lower() == "now":
        return dt.datetime.now()
    return coerce(f, f.default)
