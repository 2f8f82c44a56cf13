"""Frappe's attribute dict, used by the app and by the script side alike (pure: no imports)."""

from __future__ import annotations

from typing import Any


class AttrDict(dict):
    """Frappe's attribute dict (`frappe._dict` to scripts): `d.key` reads `d["key"]`; a missing key
    reads as None."""

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.get(key)

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        self.pop(key, None)

    def copy(self) -> AttrDict:
        return AttrDict(self)

    def update(self, *args: Any, **kwargs: Any) -> AttrDict:  # type: ignore[override]
        super().update(*args, **kwargs)
        return self
