"""System settings changed from the desk: the Server Scripts switch and the date and time format.

They live in `site_config.json` (app.extensions["site_config"]) like every other site setting, so
`flask --app wsgi set-config` and the desk change the same thing, and every worker sees a change
on its next request. Only a System Manager may change them here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, g, has_request_context

from webapp.errors import PermissionError, ValidationError
from webapp.services.context import acting_user
from webapp.services.users import roles_of

# The command that works as printed from the project folder (no virtualenv to activate first).
CLI = ".venv/bin/flask --app wsgi"

# Frappe's System Settings choices; strftime patterns to show them.
DATE_FORMATS: dict[str, str] = {
    "yyyy-mm-dd": "%Y-%m-%d",
    "dd-mm-yyyy": "%d-%m-%Y",
    "dd/mm/yyyy": "%d/%m/%Y",
    "dd.mm.yyyy": "%d.%m.%Y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "mm-dd-yyyy": "%m-%d-%Y",
}
TIME_FORMATS: dict[str, str] = {"HH:mm:ss": "%H:%M:%S", "HH:mm": "%H:%M"}
DEFAULT_DATE_FORMAT, DEFAULT_TIME_FORMAT = "yyyy-mm-dd", "HH:mm:ss"
# Keys whose values the settings page never shows.
SECRET_WORDS = ("password", "secret", "token", "key")


def _config():
    return current_app.extensions["site_config"]


def _require_system_manager() -> None:
    user = acting_user()
    if user != "Administrator" and "System Manager" not in roles_of(user):
        raise PermissionError(f"Not permitted: only a System Manager may change system settings ({user} is not)")


def scripts_enabled() -> bool:
    return bool(_config().get("server_script_enabled"))


def set_scripts_enabled(enabled: bool) -> None:
    """Switch `server_script_enabled` on or off (what `set-config server_script_enabled` does)."""
    _require_system_manager()
    _config().set("server_script_enabled", bool(enabled))


def format_names() -> tuple[str, str]:
    """(date format, time format) as the site names them ("yyyy-mm-dd", "HH:mm:ss"), read once per
    request: a list page formats many dates."""
    found = g.get("_date_time_formats") if has_request_context() else None
    if found is None:
        conf = _config()
        date, time = str(conf.get("date_format") or ""), str(conf.get("time_format") or "")
        found = (date if date in DATE_FORMATS else DEFAULT_DATE_FORMAT,
                 time if time in TIME_FORMATS else DEFAULT_TIME_FORMAT)
        if has_request_context():
            g._date_time_formats = found
    return found


def formats() -> tuple[str, str]:
    """(date format, time format) as strftime patterns."""
    date, time = format_names()
    return DATE_FORMATS[date], TIME_FORMATS[time]


def set_formats(date_format: str, time_format: str) -> None:
    _require_system_manager()
    if date_format not in DATE_FORMATS:
        raise ValidationError(f"Date Format must be one of: {', '.join(DATE_FORMATS)}").for_fields("date_format")
    if time_format not in TIME_FORMATS:
        raise ValidationError(f"Time Format must be one of: {', '.join(TIME_FORMATS)}").for_fields("time_format")
    conf = _config()
    conf.set("date_format", date_format)
    conf.set("time_format", time_format)
    g.pop("_date_time_formats", None)


def shown_settings() -> list[tuple[str, Any]]:
    """Every site setting as (key, value) for the settings page, secrets masked."""
    _require_system_manager()
    values = {"date_format": DEFAULT_DATE_FORMAT, "time_format": DEFAULT_TIME_FORMAT, **_config().as_dict()}
    return [(k, "********" if any(w in k.lower() for w in SECRET_WORDS) and v else v) for k, v in sorted(values.items())]


# -- showing dates, times and durations the one way the site is set to --------------------------------
def format_datetime(value: Any) -> str:
    """A datetime (or its ISO text) in the site's date and time format; a date alone in its date format."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("T", " "))
        except ValueError:
            return value
    date_fmt, time_fmt = formats()
    if isinstance(value, dt.datetime):
        return value.strftime(f"{date_fmt} {time_fmt}")
    if isinstance(value, dt.date):
        return value.strftime(date_fmt)
    return str(value)


def format_date(value: Any) -> str:
    if isinstance(value, str) and value:
        try:
            value = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime(formats()[0]) if isinstance(value, dt.date) else ("" if value is None else str(value))


def parse_date(text: str) -> dt.date:
    """A date typed in the site's format (or as yyyy-mm-dd, which always works); ValueError if neither."""
    text = text.strip()
    try:
        return dt.datetime.strptime(text, formats()[0]).date()
    except ValueError:
        return dt.date.fromisoformat(text)


def parse_datetime(text: str) -> dt.datetime:
    """A date and time typed in the site's format (seconds optional), or in ISO form; else ValueError."""
    text = " ".join(text.replace("T", " ").split()) if text[:4].isdigit() else " ".join(text.split())
    date_fmt = formats()[0]
    for pattern in (f"{date_fmt} %H:%M:%S", f"{date_fmt} %H:%M", date_fmt):
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return dt.datetime.fromisoformat(text)


def format_duration(ms: Any) -> str:
    """Milliseconds with the precision that matters: 0.042 ms, 4.2 ms, 42 ms, 4,200 ms."""
    if ms is None or ms == "":
        return ""
    try:
        value = float(ms)
    except (TypeError, ValueError):
        return str(ms)
    if value < 1:
        text = f"{value:.3f}".rstrip("0").rstrip(".") or "0"
    elif value < 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:,.0f}"
    return f"{text} ms"
