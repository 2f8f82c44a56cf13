"""JSON as Frappe writes it: dates "YYYY-MM-DD", datetimes "YYYY-MM-DD HH:MM:SS.ffffff", Decimals as
numbers, documents as their fields. Pure (the script side uses it too); the app's Flask JSON
provider is webapp/json_provider.py."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from webapp.documents.document import Document


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Document):
        return value.as_dict()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
