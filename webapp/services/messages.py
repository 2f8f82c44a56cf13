"""Messages for the user after the request (`frappe.msgprint`): collected per request, sent as
`_server_messages` on every JSON reply and shown by the desk."""

from __future__ import annotations

import json
from typing import Any

from flask import g, has_request_context


def add_message(message: str, title: str | None = None, indicator: str | None = None) -> None:
    """A message shown to the user after the request (`frappe.msgprint`)."""
    if not has_request_context():
        return
    entry: dict[str, Any] = {"message": message}
    if title:
        entry["title"] = title
    if indicator:
        entry["indicator"] = indicator
    g.setdefault("server_messages", []).append(entry)


def collected() -> list[dict[str, Any]]:
    """The messages this request has collected so far (each {"message", "title"?, "indicator"?})."""
    return list(g.get("server_messages", [])) if has_request_context() else []


def server_messages_json(extra: list[dict[str, Any]] | None = None) -> str | None:
    msgs = list(g.get("server_messages", [])) if has_request_context() else []
    msgs += extra or []
    if not msgs:
        return None
    return json.dumps([json.dumps(m) for m in msgs])
