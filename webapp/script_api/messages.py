"""`frappe.throw` and `_()` (the messages that go to the app are in calls.py)."""

from __future__ import annotations

from typing import Any

from webapp import errors
from webapp.sandbox.export import plain_text


def _text(msg: Any) -> str:
    return plain_text(msg)


def _optional(value: Any) -> str | None:
    return None if value is None else plain_text(value)


def translate(msg: Any, lang: str | None = None, context: str | None = None) -> str:
    """`_()` (Frappe's signature): the text itself, there being no translations here."""
    return _text(msg)


def throw(msg: Any = "", exc: type[BaseException] = errors.ValidationError, title: str | None = None,
          **_ignored: Any) -> None:
    if not (isinstance(exc, type) and issubclass(exc, errors.FrappeError)):
        exc = errors.ValidationError
    if exc is errors.RateLimitExceededError:
        raise exc(_text(msg))
    raise exc(_text(msg), title=_optional(title))
