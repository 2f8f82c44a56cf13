"""Client address: the socket peer, unless a trusted proxy (ProxyFix) rewrote it."""

from flask import request


def client_address() -> str:
    # request.remote_addr is the socket peer; ProxyFix (enabled only when TRUSTED_PROXIES is set)
    # is what makes X-Forwarded-For count. Without it the header is ignored.
    return request.remote_addr or "unknown"
