from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.blueprints.access import login_required, roles_required
from webapp.blueprints.desk.blueprint import bp
from webapp.errors import ValidationError
from webapp.models.user import SYSTEM_MANAGER
from webapp.services import settings


@bp.get("/")
def root():
    """The URL scripts/run.sh prints: the desk for a user, the login page for a guest."""
    return redirect(url_for("desk.home" if current_user.is_authenticated else "auth.login"))


@bp.route("/app")
@login_required
def home():
    """The workspace: shortcuts, and for those who may read the log, how scripts are doing."""
    from webapp.doctypes import registry
    from webapp.services import health, permissions

    readable = [registry.get(name) for name in permissions.allowed_doctypes("read")]
    docs = sorted((dt for dt in readable if dt.name not in _SCRIPT_DOCTYPES), key=lambda dt: dt.name)
    overview = health.overview() if permissions.has_permission("Server Script Log", "read") else None
    return render_template("desk/home.html", doctypes=docs, overview=overview,
                           scripts_enabled=settings.scripts_enabled(),
                           can_script=permissions.has_permission("Server Script", "create"))


_SCRIPT_DOCTYPES = ("Server Script", "Server Script Log")


def _settings_page(errors: dict[str, str] | None = None, message: str | None = None, status: int = 200):
    return render_template("desk/system_settings.html", settings=settings.shown_settings(),
                           enabled=settings.scripts_enabled(), date_formats=settings.DATE_FORMATS,
                           time_formats=settings.TIME_FORMATS, errors=errors or {}, message=message,
                           cli=settings.CLI), status


@bp.route("/app/system-settings")
@roles_required(SYSTEM_MANAGER)
def system_settings():
    return _settings_page()


@bp.post("/app/system-settings/server-scripts")
@roles_required(SYSTEM_MANAGER)
def system_settings_scripts():
    enable = request.form.get("enable") == "1"
    settings.set_scripts_enabled(enable)
    flash("Server Scripts are enabled: enabled scripts now run." if enable
          else "Server Scripts are disabled: no script runs until they are enabled again.", "success")
    return redirect(url_for("desk.system_settings"))


@bp.post("/app/system-settings/formats")
@roles_required(SYSTEM_MANAGER)
def system_settings_formats():
    try:
        settings.set_formats(request.form.get("date_format", ""), request.form.get("time_format", ""))
    except ValidationError as exc:
        return _settings_page({f: exc.message for f in exc.fields}, exc.message, exc.http_status_code)
    flash("Date and time format saved.", "success")
    return redirect(url_for("desk.system_settings"))
