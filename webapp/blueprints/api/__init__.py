"""Frappe's REST API: /api/method/<name> (built-in methods and API scripts) and legacy `POST /`."""

from webapp.blueprints.api import builtin_methods, resource, views  # noqa: F401 - each registers its routes on bp
from webapp.blueprints.api.blueprint import bp

__all__ = ["bp"]
