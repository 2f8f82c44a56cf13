"""System Settings, read by scripts (through webapp/runtime/bridge.py): `frappe.get_system_settings`,
`frappe.db.get_single_value` and `frappe.db.get_default`.

System Settings is not a doctype here (Single doctypes users define keep their values in
tabSingles, through the documents service): the values scripts read (formats, precision, time
zone...) live in site_config.json under Frappe's field names, with Frappe's defaults; only these
keys are readable, never the rest of the site config (mail password, tokens).
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import current_app

from webapp.doctypes.system_settings import DEFAULTS
from webapp.errors import DoesNotExistError, ValidationError

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
    """`frappe.db.get_single_value("System Settings", "date_format")` (Singles users define are read
    through the documents service)."""
    if doctype != SYSTEM_SETTINGS:
        raise DoesNotExistError(f"DocType {doctype} not found")
    return system_setting(str(fieldname))


def get_default(key: str, parent: str = "__default") -> Any:
    """`frappe.db.get_default(key)`: the site-wide defaults Frappe keeps from System Settings
    (date_format, currency ...); None for a key that has none."""
    key = str(key)
    return system_setting(key) if key in DEFAULTS else None

