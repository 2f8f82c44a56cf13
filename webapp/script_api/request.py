"""`frappe.request` for a run inside a web request (read from Flask's request when first read)."""

from __future__ import annotations

from typing import Any

from flask import request

from webapp.documents.document import _dict
from webapp.sandbox import ReadOnlyNamespace


class RequestNamespace(ReadOnlyNamespace):
    """`frappe.request`: a field is read from the request when the script first reads it (most
    scripts never do), then kept. A new object per run, with its own `args` and `headers` dicts,
    so nothing one script changes is seen by the next."""

    def __getattr__(self, name: str) -> Any:
        build = _REQUEST_FIELDS.get(name)
        if build is None:
            return super().__getattr__(name)
        value = build()
        object.__getattribute__(self, "__dict__")[name] = value
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(_REQUEST_FIELDS))


def _request_headers() -> _dict:
    return _dict({k: v for k, v in request.headers.items() if k.lower() not in ("cookie", "authorization")})


def _request_get_json(silent: bool = True, **_ignored: Any) -> Any:
    return request.get_json(silent=True, cache=True)


_REQUEST_FIELDS = {
    "method": lambda: request.method,
    "path": lambda: request.path,
    "url": lambda: request.base_url,
    "args": lambda: _dict(request.args.to_dict()),
    "headers": _request_headers,
    "data": lambda: request.get_data(cache=True),
    "get_json": lambda: _request_get_json,
    "content_type": lambda: request.content_type,
}
