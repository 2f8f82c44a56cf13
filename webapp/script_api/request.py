"""`frappe.request`: the fields of the web request a run happens in, asked of the app when the
script first reads one (most scripts never do), then kept for the run."""

from __future__ import annotations

from typing import Any

from webapp.attrdict import AttrDict
from webapp.sandbox import ReadOnlyNamespace
from webapp.script_api import parent

FIELDS = ("method", "path", "url", "args", "headers", "data", "content_type")


class RequestNamespace(ReadOnlyNamespace):
    """A new object per run, with its own `args` and `headers` dicts, so nothing one script changes
    is seen by the next. Cookies and credentials are never among the headers."""

    def __getattr__(self, name: str) -> Any:
        if name == "get_json":
            value: Any = self._get_json
        elif name in FIELDS:
            value = parent.call("request_field", name)
            if type(value) is dict:
                value = AttrDict(value)
        else:
            return super().__getattr__(name)
        object.__getattribute__(self, "__dict__")[name] = value
        return value

    def _get_json(self, silent: bool = True, **_ignored: Any) -> Any:
        return parent.call("request_field", "json")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *FIELDS, "get_json"})
