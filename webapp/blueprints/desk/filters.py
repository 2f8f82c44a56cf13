"""Template helpers for the desk macros (registered app-wide: the print view uses them too)."""

from __future__ import annotations

from urllib.parse import quote

from webapp.blueprints.desk import forms as F
from webapp.blueprints.desk.blueprint import bp

bp.add_app_template_global(F.input_value, "input_value")
bp.add_app_template_global(F.display_value, "display_value")
bp.add_app_template_global(F.code_errors, "code_errors")


@bp.app_template_global("doc_route")
def doc_route(meta, name: str) -> str:
    return f"/app/{meta.slug}/{quote(str(name), safe='')}"
