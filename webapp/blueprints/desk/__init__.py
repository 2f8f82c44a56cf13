"""The desk: server-rendered pages under /app, all behind a login."""

from webapp.blueprints.desk import (  # noqa: F401 - each registers its routes on bp
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
from webapp.blueprints.desk.blueprint import bp

__all__ = ["bp"]
