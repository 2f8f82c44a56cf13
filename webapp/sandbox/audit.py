"""``audit_namespace()``: find what a namespace would leak to a script through attribute reads.

The compile policy reads allowed attribute names natively (``obj.name``, no run-time call; see
``guards.RUNTIME_CHECKED_ATTRS`` for the exceptions), so the sandbox trusts the objects a caller
puts in a script's namespace to expose only harmless public attributes. This walks every object
reachable from the namespace through names a script could write, the way a script would read
them, and reports the ones that break that trust:

- a real module (stand-ins are ReadOnlyNamespace objects);
- a function, method or wrapper carrying public attributes (state hung on it by a caller, caches),
  a ``functools.partial`` (its ``func``/``args`` lead to objects never meant to be exposed) or an
  ``lru_cache`` wrapper (its ``cache_clear()`` empties a cache every run shares);
- interpreter objects: frames, code, tracebacks, generators, coroutines, cells;
- objects from modules the caller names as off-limits (database sessions, the web framework ...).

The product's test suite runs it over the real Script API namespace; use it on any new namespace.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import types
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from .guards import LRU_CACHE_WRAPPER, RUNTIME_CHECKED_ATTRS, attr_name_allowed

_LEAF_TYPES = (str, bytes, bytearray, int, float, complex, bool, type(None), decimal.Decimal,
               datetime.date, datetime.time, datetime.timedelta, datetime.tzinfo)
_INTERPRETER_TYPES = (types.FrameType, types.CodeType, types.TracebackType, types.GeneratorType,
                      types.CoroutineType, types.AsyncGeneratorType, types.CellType)
_FUNCTION_TYPES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType)


def _public_names(obj: Any) -> list[str]:
    try:
        names = dir(obj)
    except Exception:  # noqa: BLE001 - a hostile __dir__ is a finding of its own kind; skip it
        return []
    return [n for n in names if isinstance(n, str) and not n.startswith("_")
            and attr_name_allowed(n) and n not in RUNTIME_CHECKED_ATTRS]


def _problem(obj: Any, forbidden_modules: tuple[str, ...]) -> str | None:
    if isinstance(obj, types.ModuleType):
        return f"a real module ({obj.__name__})"
    if isinstance(obj, _INTERPRETER_TYPES):
        return f"an interpreter object ({type(obj).__name__})"
    if isinstance(obj, functools.partial):
        return "a functools.partial (its func/args/keywords are readable)"
    if isinstance(obj, LRU_CACHE_WRAPPER):
        return "an lru_cache wrapper (a script could call cache_clear() on the shared cache)"
    if isinstance(obj, _FUNCTION_TYPES):
        attrs = [k for k in getattr(obj, "__dict__", {}) if not str(k).startswith("_")]
        if attrs:
            return f"a function with public attributes {sorted(attrs)}"
    tp = obj if isinstance(obj, type) else type(obj)
    module = getattr(tp, "__module__", "") or ""
    if forbidden_modules and module.startswith(forbidden_modules):
        return f"an object of {module}.{tp.__qualname__}"
    return None


def audit_namespace(namespace: Mapping[str, Any], *, extra: Iterable[tuple[str, Any]] = (),
                    forbidden_modules: Iterable[str] = (), max_depth: int = 5,
                    max_objects: int = 20000) -> list[str]:
    """Return ``"path: problem"`` for everything a script could reach that it must not.

    ``extra`` adds (label, object) roots: values the namespace's functions return (documents,
    query results), which a script reaches by calling. Properties are evaluated, as a script's
    read would; an attribute that raises is skipped.
    """
    forbidden = tuple(forbidden_modules)
    queue: deque[tuple[str, Any, int]] = deque()
    for key, value in namespace.items():
        if isinstance(key, str) and not key.startswith("_"):
            queue.append((key, value, 0))
    queue.extend((label, value, 0) for label, value in extra)
    seen: set[int] = set()
    keep_alive: list[Any] = []  # ids stay unique while we hold the objects
    findings: list[str] = []
    while queue and len(seen) < max_objects:
        path, obj, depth = queue.popleft()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        keep_alive.append(obj)
        problem = _problem(obj, forbidden)
        if problem:
            findings.append(f"{path}: {problem}")
            continue
        if depth >= max_depth or isinstance(obj, _LEAF_TYPES):
            continue
        for name in _public_names(obj):
            try:
                value = getattr(obj, name)
            except Exception:  # noqa: BLE001, S112 - missing or refusing attributes are fine
                continue
            queue.append((f"{path}.{name}", value, depth + 1))
        if isinstance(obj, Mapping) and not isinstance(obj, type):
            for key, value in list(obj.items())[:200]:
                queue.append((f"{path}[{key!r}]", value, depth + 1))
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for i, value in enumerate(list(obj)[:200]):
                queue.append((f"{path}[{i}]", value, depth + 1))
    return findings
