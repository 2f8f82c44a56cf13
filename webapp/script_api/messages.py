"""frappe.msgprint / throw / log_error / errprint."""

from __future__ import annotations

import logging
from typing import Any

from webapp import errors
from webapp.sandbox.export import plain_text
from webapp.services import messages, run_context

log = logging.getLogger("webapp.scripts")


def _text(msg: Any) -> str:
    return plain_text(msg)


def _optional(value: Any) -> str | None:
    return None if value is None else plain_text(value)


def translate(msg: Any, lang: str | None = None, context: str | None = None) -> str:
    """`_()` (Frappe's signature): the text itself, there being no translations here."""
    return _text(msg)


def msgprint(msg: Any, title: str | None = None, indicator: str | None = None, **_ignored: Any) -> None:
    messages.add_message(_text(msg), title=_optional(title), indicator=_optional(indicator))


def throw(msg: Any = "", exc: type[BaseException] = errors.ValidationError, title: str | None = None,
          **_ignored: Any) -> None:
    if not (isinstance(exc, type) and issubclass(exc, errors.FrappeError)):
        exc = errors.ValidationError
    if exc is errors.RateLimitExceededError:
        raise exc(_text(msg))
    raise exc(_text(msg), title=_optional(title))


def log_error(title: Any = None, message: Any = None, **_ignored: Any) -> None:
    ctx = run_context.current()
    where = f"Server Script {ctx.script!r}" if ctx else "script"
    log.error("%s: %s: %s", where, _text(title or "Error"), _text(message or ""))
    if ctx is not None:
        ctx.logs.append(f"[log_error] {_text(title or 'Error')}: {_text(message or '')}")


def errprint(msg: Any) -> None:
    ctx = run_context.current()
    if ctx is not None:
        ctx.logs.append(f"[errprint] {_text(msg)}")
