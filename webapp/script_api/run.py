"""The run in progress on the script side: who runs it, what it was given, what it sets."""

from __future__ import annotations

import contextvars
from typing import Any

from webapp.attrdict import AttrDict
from webapp.errors import ValidationError


class Run:
    """One script run's own state: `frappe.form_dict`, `frappe.flags`, `frappe.response`, the lines
    `log()` / `frappe.log_error` / `errprint` add to its log row, and what it asked the app once
    (System Settings, the site's address). A new one per run: nothing one script sets is seen by
    the next."""

    __slots__ = ("script", "kind", "user", "form_dict", "flags", "response", "logs", "asked")

    def __init__(self, script: str, kind: str, user: str, form_dict: AttrDict | None = None) -> None:
        self.script = script
        self.kind = kind  # "DocType Event" | "API" | "Scheduler Event" | "Permission Query"
        self.user = user
        self.form_dict = AttrDict() if form_dict is None else form_dict
        self.flags: Any = AttrDict()
        self.response = AttrDict()
        self.logs: list[str] = []
        self.asked: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Run(script={self.script!r}, kind={self.kind!r}, user={self.user!r})"


_current: contextvars.ContextVar[Run | None] = contextvars.ContextVar("script_side_run", default=None)
current = _current.get
enter = _current.set
leave = _current.reset


def require() -> Run:
    run = _current.get()
    if run is None:
        raise ValidationError("Only available inside a running script")
    return run


def asked(key: str, ask: Any) -> Any:
    """What the app answered to `ask()` once in this run (System Settings, the site's address)."""
    run = require()
    if key not in run.asked:
        run.asked[key] = ask()
    return run.asked[key]
