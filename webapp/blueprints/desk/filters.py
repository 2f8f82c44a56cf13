"""Template helpers for the desk macros (registered app-wide: the print view uses them too)."""

from __future__ import annotations

from urllib.parse import quote

from webapp.blueprints.desk import forms as F
from webapp.blueprints.desk.blueprint import bp
from webapp.services.settings import format_date, format_datetime, format_duration, format_names

bp.add_app_template_global(F.input_value, "input_value")
bp.add_app_template_global(F.display_value, "display_value")
bp.add_app_template_global(F.code_errors, "code_errors")
bp.add_app_template_global(F.is_duration, "is_duration")
bp.add_app_template_filter(format_datetime, "datetime")
bp.add_app_template_filter(format_date, "date")
bp.add_app_template_filter(format_duration, "duration")


@bp.app_template_global("doc_route")
def doc_route(meta, name: str) -> str:
    return f"/app/{meta.slug}/{quote(str(name), safe='')}"


@bp.app_template_global()
def date_format_hint(fieldtype: str = "Date") -> str:
    """How to type a date here: the site's format, "yyyy-mm-dd" or "yyyy-mm-dd HH:mm:ss"."""
    date, time = format_names()
    return f"{date} {time}" if fieldtype == "Datetime" else date
