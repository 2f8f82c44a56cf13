"""Firing a document event: the doctype's controller first (its own rules), then every listener
(Server Scripts), both as registered on the app's hooks (webapp/hooks.py)."""

from __future__ import annotations

from typing import Any

from webapp import hooks
from webapp.doctypes.events import EVENTS


def fire(doc: Any, event: str, **details: Any) -> None:
    """`details` are what Frappe passes a controller's method beside the document (a rename's
    old_name, new_name and merge); controllers and listeners get them as keywords."""
    if event not in EVENTS:
        raise ValueError(f"Unknown event {event}")
    wiring = hooks.current()
    controller = wiring.controllers.get(doc.doctype)
    if controller is not None:
        method = getattr(controller, event, None)
        if method is not None:
            method(doc, **details)
    for listener in tuple(wiring.doc_listeners):
        listener(doc, event, **details)
