"""The desk: server-rendered pages under /app, all behind a login."""

from webapp.blueprints.desk import doc_views, filters, print_views, script_editor, search_views, views  # noqa: F401 - each registers its routes on bp
from webapp.blueprints.desk.blueprint import bp

__all__ = ["bp"]
