"""The script run in progress (per thread/context): which script, what kind, its request data."""

from __future__ import annotations

import contextvars

from webapp.documents.document import _dict


class RunContext:
    """One run's own state: `frappe.form_dict`, `frappe.flags`, `frappe.response`, and the lines
    `frappe.log_error`/`errprint` add to its log row. (A plain class: one is made per script run.)"""

    __slots__ = ("script", "kind", "user", "form_dict", "flags", "response", "logs")

    def __init__(self, script: str, kind: str, user: str, form_dict: _dict | None = None) -> None:
        self.script = script
        self.kind = kind  # "DocType Event" | "API" | "Scheduler Event" | "Permission Query"
        self.user = user
        self.form_dict = _dict() if form_dict is None else form_dict
        self.flags = _dict()
        self.response = _dict()
        self.logs: list[str] = []

    def __repr__(self) -> str:
        return f"RunContext(script={self.script!r}, kind={self.kind!r}, user={self.user!r})"


_current: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("script_run", default=None)


def current() -> RunContext | None:
    return _current.get()


def enter(ctx: RunContext) -> contextvars.Token:
    return _current.set(ctx)


def leave(token: contextvars.Token) -> None:
    _current.reset(token)
