"""Errors across the script boundary, as plain data.

An error crosses as {"type", "module", "message", ...}: "errors" for the app's exception classes
(Frappe's names, `webapp/errors.py`), "sandbox" for the sandbox's own stops (time, memory,
nesting), "builtins" for Python's. The receiving side rebuilds an exception of the same class when
it knows it (so `except frappe.PermissionError:` works in a script, and the app answers with the
right status), else a plain `Exception` that keeps the name in its message.
"""

from __future__ import annotations

import builtins
from typing import Any

from webapp import errors
from webapp.sandbox import errors as sandbox_errors

_FIELDS = ("title", "frappe_exc_type", "retry_after")


def _known_class(tp: type) -> tuple[type, str]:
    """The nearest class of `tp` (itself first) that the other side knows by name, and where from."""
    for cls in tp.__mro__:
        name = cls.__name__
        if getattr(errors, name, None) is cls:
            return cls, "errors"
        if getattr(sandbox_errors, name, None) is cls:
            return cls, "sandbox"
        if getattr(builtins, name, None) is cls:
            return cls, "builtins"
    return Exception, "builtins"  # pragma: no cover - every exception is an Exception


def error_to_wire(exc: BaseException) -> dict[str, Any]:
    """An exception as plain data: the nearest known class (a subclass of ours such as SQLNotAllowed
    crosses as PermissionError, its Frappe name), its message and what clients read of it."""
    known, module = _known_class(type(exc))
    message = exc.message if isinstance(exc, errors.FrappeError) else str(exc)
    out: dict[str, Any] = {"type": known.__name__, "module": module, "message": message}
    fields = getattr(exc, "fields", ())
    if fields:
        out["fields"] = [str(f) for f in fields]
    own = getattr(exc, "__dict__", {})
    for key in _FIELDS:
        value = own.get(key)
        if value is not None and type(value) in (str, int, float, bool):
            out[key] = value
    if own.get("_named"):
        out["named"] = True
    return out


def error_from_wire(info: dict[str, Any]) -> BaseException:
    name, module, message = str(info.get("type")), info.get("module"), str(info.get("message") or "")
    cls: Any = None
    if module == "errors":
        cls = getattr(errors, name, None)
        if not (isinstance(cls, type) and issubclass(cls, errors.FrappeError)):
            cls = None
    elif module == "sandbox":
        cls = getattr(sandbox_errors, name, None)
        if not (isinstance(cls, type) and issubclass(cls, sandbox_errors.SandboxError)):
            cls = None
    elif module == "builtins":
        cls = getattr(builtins, name, None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            cls = None
    if cls is None:
        exc: BaseException = Exception(f"{name}: {message}" if message else name)
    elif issubclass(cls, errors.RateLimitExceededError):
        exc = cls(message, retry_after=info.get("retry_after"))
    elif issubclass(cls, errors.FrappeError):
        exc = cls(message, title=info.get("title")) if message else cls(title=info.get("title"))
    else:
        try:
            exc = cls(message)
        except Exception:  # noqa: BLE001 - a class whose constructor wants more: keep the name
            exc = Exception(f"{name}: {message}")
    if info.get("fields") and isinstance(exc, errors.ValidationError):
        exc.fields = tuple(info["fields"])
    if info.get("frappe_exc_type"):
        exc.frappe_exc_type = str(info["frappe_exc_type"])  # type: ignore[attr-defined]
    if info.get("named"):
        exc._named = True  # type: ignore[attr-defined]
    return exc
