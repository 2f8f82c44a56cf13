"""The blueprint object the auth views register their routes on."""

from flask import Blueprint

bp = Blueprint("auth", "webapp.blueprints.auth")
