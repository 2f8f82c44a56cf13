"""What leaves a run: plain built-in data, made inside the run, under its budget.

A value a script made can carry code of the script's: a ``dict`` subclass with its own ``items()``,
a ``str`` subclass with its own ``strip()``, an exception whose ``__str__`` loops. Whatever the host
reads after the run (the reply, ``frappe.flags``, a document's fields, a Permission Query's
``conditions``, the error) must not run any of it: outside the run there is no time or memory
budget and no read-only rule. So, while the run is still armed, ``plain()`` copies such values into
exact built-in types (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``, the date
types, ``Decimal``, ``bytes``) and refuses anything else with a ``PlainDataError`` that names the
type; ``settle_error()`` does the same for the run's exception.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from typing import Any

from .guards import _SCRIPT_CLASS_ATTR

# Immutable values whose exact type runs no code of the script's when read, compared or encoded.
SCALARS = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime, dt.time, dt.timedelta,
                     decimal.Decimal, bytes})
MAX_DEPTH = 64
# Encoded size of a reply, estimated while copying: about what the JSON text will take.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
MAX_ERROR_CHARS = 10_000


class PlainDataError(TypeError):
    """A value leaving a run is not plain data (answered as a ValidationError, 417, by the host)."""

    http_status_code = 417


def is_script_class(tp: type) -> bool:
    """Whether a script's ``class`` statement made ``tp`` (read from the class's own dict: no lookup
    a metaclass could answer)."""
    return _SCRIPT_CLASS_ATTR in type.__dict__["__dict__"].__get__(tp)


def plain_text(value: Any) -> str:
    """``str(value)`` as an exact ``str`` (a str subclass's own methods never run later)."""
    if type(value) is str:
        return value
    text = value if isinstance(value, str) else str(value)
    return text if type(text) is str else str.__str__(text)


def plain(value: Any, what: str = "the value", *, converters: Mapping[type, Callable[[Any], Any]] | None = None,
          max_bytes: int = DEFAULT_MAX_BYTES, dict_type: type = dict) -> Any:
    """A copy of ``value`` made only of exact built-in types (see the module's docstring).

    ``converters`` maps exact host types to a function giving their plain form (a document to its
    dict); the result is copied in turn. Dicts come back as ``dict_type`` (a host subclass of dict,
    e.g. an attribute dict). ``what`` names the value in errors: "frappe.response['message']".
    A copy whose estimated encoded size passes ``max_bytes`` is refused.
    """
    budget = [max_bytes]
    return _copy(value, what, converters or {}, budget, dict_type, 0)


def _copy(value: Any, what: str, converters: Mapping[type, Callable[[Any], Any]], budget: list[int],
          dict_type: type, depth: int) -> Any:
    tp = type(value)
    if tp in SCALARS:
        if tp is str or tp is bytes:
            budget[0] -= len(value) + 2
        else:
            budget[0] -= 8
        if budget[0] < 0:
            raise _too_big(what)
        return value
    if depth > MAX_DEPTH:
        raise PlainDataError(f"{what} is nested more than {MAX_DEPTH} levels deep")
    convert = converters.get(tp)
    if convert is not None:
        return _copy(convert(value), what, converters, budget, dict_type, depth + 1)
    if tp is dict or tp is dict_type:
        out = dict_type()
        budget[0] -= 2
        for key, item in dict.items(value):
            if type(key) not in SCALARS or type(key) is bytes:
                if not isinstance(key, str):
                    raise PlainDataError(f"{what} has a key of type {type(key).__name__}; keys must be text or numbers")
                key = str.__str__(key)  # a str subclass's text, copied by str's own C code
            if type(key) is str:
                budget[0] -= len(key) + 4
            out[key] = _copy(item, f"{what}[{key!r}]", converters, budget, dict_type, depth + 1)
        return out
    if tp is list or tp is tuple:
        budget[0] -= 2 + len(value)
        if budget[0] < 0:
            raise _too_big(what)
        return [_copy(item, what, converters, budget, dict_type, depth + 1) for item in value]
    if tp is set or tp is frozenset:
        budget[0] -= 2 + len(value)
        if budget[0] < 0:
            raise _too_big(what)
        return [_copy(item, what, converters, budget, dict_type, depth + 1) for item in value]
    raise PlainDataError(f"{what} is a {_name(tp)}; a server script can hand back only plain data "
                         "(dict, list, str, int, float, bool, None, dates)")


def _too_big(what: str) -> PlainDataError:
    return PlainDataError(f"{what} is too large to send (over {DEFAULT_MAX_BYTES // 1048576} MB)")


def _name(tp: type) -> str:
    name = type.__dict__["__name__"].__get__(tp)
    return name if type(name) is str else "object"


def settle_error(exc: BaseException) -> BaseException:
    """The run's exception as the host may read it after the run: the same object when its type is
    not the script's and it holds only plain values; otherwise a new exception of the nearest class
    that is not the script's, carrying the message worked out now (``str(exc)`` runs the script's
    ``__str__`` here, under the budget). Chained exceptions and notes are dropped either way."""
    tp = type(exc)
    own = BaseException.__dict__["__dict__"].__get__(exc)
    clean = (not is_script_class(tp) and all(type(a) in SCALARS for a in exc.args)
             and all(type(v) in SCALARS for v in own.values()) and "__notes__" not in own)
    if not clean:
        base = next(c for c in tp.__mro__ if not is_script_class(c))
        try:
            text = plain_text(exc)[:MAX_ERROR_CHARS]
        except Exception as failure:  # noqa: BLE001 - a __str__ that raises: say so, in our words
            text = f"<the exception's message could not be read: {type(failure).__name__}>"
        name = _name(tp)
        if base is not tp:
            text = f"{name}: {text}" if text else name
        try:
            settled = base(text) if base is not BaseException else Exception(text)
        except Exception:  # noqa: BLE001 - a base whose constructor takes other arguments
            settled = Exception(text)
        settled.__traceback__ = exc.__traceback__
        exc = settled
    exc.__cause__ = None
    exc.__context__ = None
    exc.__suppress_context__ = True
    return exc
