"""Authentication: the login page, session and token auth, CSRF policy."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from webapp.blueprints.auth import views  # noqa: E402,F401
