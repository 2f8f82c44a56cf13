"""The desk: server-rendered pages under /app, all behind a login."""

from flask import Blueprint

bp = Blueprint("desk", __name__)

from webapp.blueprints.desk import (  # noqa: E402,F401
    doc_views,
    filters,
    health_views,
    print_views,
    script_editor,
    search_views,
    security,
    user_views,
    views,
)
