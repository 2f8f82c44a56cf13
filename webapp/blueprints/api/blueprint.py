"""The blueprint object the api views register their routes on."""

from flask import Blueprint

bp = Blueprint("api", "webapp.blueprints.api")


@bp.after_request
def _nosniff(response):
    # Every API answer is what its Content-Type says, never sniffed into something a browser runs.
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
