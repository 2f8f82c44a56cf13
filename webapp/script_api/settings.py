"""Singles and System Settings for scripts: `frappe.db.get_single_value`, `set_single_value`,
`frappe.get_single`, `frappe.get_system_settings` and `frappe.db.get_default`.

Single doctypes users define keep their values in tabSingles (the documents service). System
Settings is not a doctype here: the values scripts read (formats, precision, time zone...) live in
site_config.json under Frappe's field names, with Frappe's defaults; only these keys are readable,
never the rest of the site config (mail password, tokens).
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import current_app

from webapp.documents.document import Document
from webapp.errors import ValidationError
from webapp.services import documents as svc

SYSTEM_SETTINGS = "System Settings"


def _local_zone() -> str:
    zone = os.environ.get("TZ")
    if zone:
        return zone
    try:
        link = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in link:
            return link.split("zoneinfo/", 1)[1]
    except OSError:  # pragma: no cover
        pass
    return time.tzname[0] or "UTC"


# Frappe's System Settings fields that mean something here, with Frappe's defaults.
DEFAULTS: dict[str, Any] = {
    "date_format": "dd-mm-yyyy",
    "time_format": "HH:mm:ss",
    "number_format": "#,###.##",
    "float_precision": 3,
    "currency_precision": 2,
    "currency": "",
    "country": "",
    "language": "en",
    "time_zone": None,  # the server's
    "first_day_of_the_week": "Sunday",
    "rounding_method": "Banker's Rounding",
}


def system_setting(key: str) -> Any:
    if key not in DEFAULTS:
        raise ValidationError(f"System Settings has no field {key!r}; fields: {', '.join(sorted(DEFAULTS))}")
    value = None
    try:
        value = current_app.extensions["site_config"].get(key)
    except (RuntimeError, KeyError):  # outside the app (unit use): Frappe's defaults
        value = None
    if value is None:
        value = DEFAULTS[key] if key != "time_zone" else _local_zone()
    return value


def get_system_settings(key: str) -> Any:
    """`frappe.get_system_settings("date_format")`."""
    return system_setting(str(key))


def get_single_value(doctype: str, fieldname: str, cache: bool = True) -> Any:
    """`frappe.db.get_single_value("My Settings", "field")`, typed; System Settings from site_config.json."""
    if doctype == SYSTEM_SETTINGS:
        return system_setting(str(fieldname))
    return svc.get_single_value(str(doctype), str(fieldname))


def set_single_value(doctype: str, fieldname: Any, value: Any = None, **_ignored: Any) -> None:
    """`frappe.db.set_single_value("My Settings", "field", value)` (or a dict of fields): written
    straight to tabSingles, no hooks, as in Frappe."""
    if doctype == SYSTEM_SETTINGS:
        raise ValidationError("System Settings are changed by a System Manager in the desk (/app/system-settings), "
                              "not by scripts")
    values = dict(fieldname) if isinstance(fieldname, dict) else {str(fieldname): value}
    svc.set_single_value(str(doctype), values)


def get_single(doctype: str) -> Document:
    """`frappe.get_single("My Settings")`: the Single's document (doc.save() saves it)."""
    return svc.get_doc(str(doctype), check_permission=False)


def get_default(key: str, parent: str = "__default") -> Any:
    """`frappe.db.get_default(key)`: the site-wide defaults Frappe keeps from System Settings
    (date_format, currency ...); None for a key that has none."""
    key = str(key)
    return system_setting(key) if key in DEFAULTS else None


NAMES = ("get_system_settings",)
