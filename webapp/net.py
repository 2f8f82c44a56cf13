"""What a request tells about itself: the client's address, and the fields of `frappe.request`."""

from __future__ import annotations

from flask import request


def client_address() -> str:
    # request.remote_addr is the socket peer; ProxyFix (enabled only when TRUSTED_PROXIES is set)
    # is what makes X-Forwarded-For count. Without it the header is ignored.
    return request.remote_addr or "unknown"


def _headers() -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k.lower() not in ("cookie", "authorization")}


# Loaders of the current request's fields a script may read as `frappe.request.<field>` (each is
# read when a script first asks for it: most never do). Cookies and credentials are left out.
REQUEST_FIELDS = {
    "host_url": lambda: request.host_url,
    "host": lambda: request.host,
    "json": lambda: request.get_json(silent=True, cache=True),
    "method": lambda: request.method,
    "path": lambda: request.path,
    "url": lambda: request.base_url,
    "args": lambda: request.args.to_dict(),
    "headers": _headers,
    "data": lambda: request.get_data(cache=True),
    "content_type": lambda: request.content_type,
}
