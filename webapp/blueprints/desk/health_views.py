"""Script health pages: every script's runs over the last 24 hours, and one script's figures."""

from __future__ import annotations

from flask import render_template

from webapp.blueprints.access import login_required
from webapp.blueprints.desk.blueprint import bp
from webapp.services import health


@bp.route("/app/script-health", defaults={"name": None})
@bp.route("/app/script-health/<path:name>")
@login_required
def script_health(name: str | None):
    if name is None:
        return render_template("desk/script_health.html", health=health.all_scripts_health(), name=None)
    found = health.script_health(name)
    return render_template("desk/script_health.html", health=found, name=name, exists=found.exists)
