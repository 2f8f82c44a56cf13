"""The blueprint object the desk views register their routes on."""

from flask import Blueprint

bp = Blueprint("desk", "webapp.blueprints.desk")
