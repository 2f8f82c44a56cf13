"""The script run in progress (per thread/context): which script, what kind, its request data."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

from webapp.documents.document import _dict


@dataclass
class RunContext:
    script: str
    kind: str  # "DocType Event" | "API" | "Scheduler Event" | "Permission Query"
    user: str
    form_dict: _dict = field(default_factory=_dict)
    flags: _dict = field(default_factory=_dict)
    response: _dict = field(default_factory=_dict)
    logs: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


_current: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("script_run", default=None)


def current() -> RunContext | None:
    return _current.get()


def enter(ctx: RunContext) -> contextvars.Token:
    return _current.set(ctx)


def leave(token: contextvars.Token) -> None:
    _current.reset(token)
