"""The script run in progress (per thread/context): which script, what kind, its request data."""

from __future__ import annotations

import contextvars

from webapp.attrdict import AttrDict


class RunContext:
    """The app's side of one run: who runs it, what it was given (form_dict), what it set
    (frappe.flags, frappe.response, once the run is over) and when it must end. The script side has
    its own (script_api/run.py). (A plain class: one is made per script run.)"""

    __slots__ = ("script", "kind", "user", "form_dict", "flags", "response", "logs", "deadline")

    def __init__(self, script: str, kind: str, user: str, form_dict: AttrDict | None = None) -> None:
        self.script = script
        self.kind = kind  # "DocType Event" | "API" | "Scheduler Event" | "Permission Query"
        self.user = user
        self.form_dict = AttrDict() if form_dict is None else form_dict
        self.flags = AttrDict()
        self.response = AttrDict()
        self.logs: list[str] = []
        self.deadline = 0.0  # when the run must be over (time.monotonic()); set when it starts

    def __repr__(self) -> str:
        return f"RunContext(script={self.script!r}, kind={self.kind!r}, user={self.user!r})"


_current: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("script_run", default=None)


# The ContextVar's own methods (C calls, no Python frame: they run twice per script run).
current = _current.get  # () -> RunContext | None: the run in progress
enter = _current.set  # (ctx) -> Token
leave = _current.reset  # (token) -> None
