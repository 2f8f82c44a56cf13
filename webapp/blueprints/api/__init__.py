"""Frappe's REST API: /api/method/<name> (built-in methods and API scripts) and legacy `POST /`."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from webapp.blueprints.api import builtin_methods, resource, views  # noqa: E402,F401


@bp.after_request
def _nosniff(response):
    # Every API answer is what its Content-Type says, never sniffed into something a browser runs.
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
