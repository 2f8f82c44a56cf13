"""System Settings: Frappe's fields that mean something here, with Frappe's defaults. The values live
in site_config.json under these names (services/system_settings.py reads them)."""

from __future__ import annotations

from typing import Any

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
