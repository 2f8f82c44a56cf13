from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from webapp.blueprints.desk import bp
from webapp.models.user import SYSTEM_MANAGER
from webapp.permissions import login_required, roles_required


@bp.get("/")
def root():
    """The URL scripts/run.sh prints: the desk for a user, the login page for a guest."""
    return redirect(url_for("desk.home" if current_user.is_authenticated else "auth.login"))


@bp.route("/app")
@login_required
def home():
    from webapp.doctypes import registry
    from webapp.services import permissions

    readable = [registry.get(name) for name in permissions.allowed_doctypes("read")]
    return render_template("desk/home.html", doctypes=sorted(readable, key=lambda dt: dt.name))


@bp.route("/app/system-settings")
@roles_required(SYSTEM_MANAGER)
def system_settings():
    from flask import current_app

    return render_template("desk/system_settings.html", site_config=current_app.extensions["site_config"].as_dict())
