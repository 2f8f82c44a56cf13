"""Frappe's REST API: /api/method/<name> (built-in methods and API scripts) and legacy `POST /`."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from webapp.blueprints.api import builtin_methods, client_methods, resource, views  # noqa: E402,F401
