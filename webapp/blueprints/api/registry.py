"""Built-in `/api/method/<name>` methods. API scripts may not take these names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BuiltinMethod:
    name: str
    func: Callable[[dict[str, Any]], Any]
    allow_guest: bool = False


BUILTIN_METHODS: dict[str, BuiltinMethod] = {}


def builtin_method(name: str, allow_guest: bool = False):
    def register(func: Callable[[dict[str, Any]], Any]):
        BUILTIN_METHODS[name] = BuiltinMethod(name, func, allow_guest)
        return func

    return register


def is_builtin(name: str) -> bool:
    return name in BUILTIN_METHODS
