"""`frappe.request`: the fields of the request a run happens in, read when the script first asks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from webapp.documents.document import AttrDict
from webapp.sandbox import ReadOnlyNamespace


class RequestNamespace(ReadOnlyNamespace):
    """`frappe.request`: a field is loaded (by the caller's loader for it) when the script first
    reads it, then kept. A new object per run, with its own `args` and `headers` dicts, so nothing
    one script changes is seen by the next."""

    def __init__(self, name: str, fields: Mapping[str, Callable[[], Any]]) -> None:
        super().__init__(name)
        object.__getattribute__(self, "__dict__")["_fields"] = fields

    def __getattr__(self, name: str) -> Any:
        own = object.__getattribute__(self, "__dict__")
        load = own["_fields"].get(name) if not name.startswith("_") else None
        if load is None:
            return super().__getattr__(name)
        value = load()
        if type(value) is dict:
            value = AttrDict(value)
        own[name] = value
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(object.__getattribute__(self, "__dict__")["_fields"]))
