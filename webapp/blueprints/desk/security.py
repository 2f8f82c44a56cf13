"""Response headers for the desk's HTML pages, in this one place: the Content-Security-Policy (only
this site's own scripts, styles and images; no inline script, no eval, no framing), no MIME
sniffing, and no full URLs (a reset link's key) in the Referer sent to other sites.

API replies (/api/..., JSON, and API scripts' own replies) are left alone: their headers are set
where they are made, and a header already set is never replaced.
"""

from __future__ import annotations

from flask import Response, request

from webapp.blueprints.desk.blueprint import bp

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # The editor (CodeMirror) and the charts (uPlot) style their own elements from script.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


@bp.after_app_request
def desk_page_headers(response: Response) -> Response:
    if request.path.startswith("/api/") or response.mimetype != "text/html":
        return response
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
