"""The DocType form's extra part (the form builder is the generic form with its `fields` table): where
the doctype it defines lives in the desk, or, for a built-in doctype, how it changes."""

from __future__ import annotations

from typing import Any

from webapp.doctypes import registry


def form_extras(values: dict[str, Any], is_new: bool) -> dict[str, Any] | None:
    name = None if is_new else str(values.get("name") or "") or None
    meta = registry.get(name) if name else None
    if meta is None:
        return None
    return {"top": "desk/_doctype_top.html", "meta": meta, "builtin": registry.is_builtin(meta.name)}
