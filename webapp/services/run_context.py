"""The script run in progress (per thread/context): which script, what kind, its request data."""

from __future__ import annotations

import contextvars

from webapp.documents.document import AttrDict


class RunContext:
    """One run's own state: `frappe.form_dict`, `frappe.flags`, `frappe.response`, and the lines
    `frappe.log_error`/`errprint` add to its log row. (A plain class: one is made per script run.)"""

    __slots__ = ("script", "kind", "user", "form_dict", "flags", "response", "logs")

    def __init__(self, script: str, kind: str, user: str, form_dict: AttrDict | None = None) -> None:
        self.script = script
        self.kind = kind  # "DocType Event" | "API" | "Scheduler Event" | "Permission Query"
        self.user = user
        self.form_dict = AttrDict() if form_dict is None else form_dict
        self.flags = AttrDict()
        self.response = AttrDict()
        self.logs: list[str] = []

    def __repr__(self) -> str:
        return f"RunContext(script={self.script!r}, kind={self.kind!r}, user={self.user!r})"


_current: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("script_run", default=None)


# The ContextVar's own methods (C calls, no Python frame: they run twice per script run).
current = _current.get  # () -> RunContext | None: the run in progress
enter = _current.set  # (ctx) -> Token
leave = _current.reset  # (token) -> None
