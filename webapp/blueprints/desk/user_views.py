"""Users in the desk (System Managers): create, edit roles and status, set a password or email a
reset link, generate or revoke API keys; and every user's own "My settings". Each view parses the
form, calls one function of the users service (which holds the rules), and renders or redirects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.blueprints.access import login_required, roles_required
from webapp.blueprints.desk.blueprint import bp
from webapp.errors import ValidationError
from webapp.models.user import SYSTEM_MANAGER
from webapp.services import login_guard, users


def _user_url(name: str) -> str:
    return url_for("desk.user_form", name=name)


def _failed(exc: ValidationError) -> dict[str, str]:
    return {f: exc.message for f in exc.fields} or {"__all__": exc.message}


def _page(name: str, *, errors: dict[str, str] | None = None, secret: tuple[str, str] | None = None,
          status: int = 200):
    html = render_template("desk/user.html", user=users.user_details(name), is_new=False, errors=errors or {},
                           mail=users.mail_configured(), secret=secret, link_hours=users.reset_link_hours())
    resp = make_response(html, status)
    if secret:
        resp.headers["Cache-Control"] = "no-store"  # the secret is shown once: not kept by the browser
    return resp


@bp.route("/app/user/new", methods=["GET", "POST"])
@roles_required(SYSTEM_MANAGER)
def user_new():
    values: dict[str, Any] = {"email": "", "full_name": "", "roles": [], "all_roles": users.known_roles(),
                              "enabled": True, "editable": True}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        values.update(email=form.get("email", "").strip(), full_name=form.get("full_name", "").strip(),
                      roles=form.getlist("roles"))
        by_link = form.get("set_by") == "link"
        try:
            user = users.create_user(values["email"], values["full_name"], values["roles"], form.get("password", ""),
                                     form.get("confirm", ""), send_reset_link=by_link, base_url=request.host_url)
        except ValidationError as exc:
            errors, status = _failed(exc), exc.http_status_code
        else:
            flash(f"User {user.name} created" + (": a link to set the password was emailed." if by_link else "."),
                  "success")
            return redirect(_user_url(user.name))
    return render_template("desk/user.html", user=values, is_new=True, errors=errors, mail=users.mail_configured(),
                           secret=None, link_hours=users.reset_link_hours(), set_by=request.form.get("set_by")), status


def _act(name: str, change: Callable[[], Any], done: str, error_field: str | None = None):
    """Make one change to the user, then back to their page; a refusal shows there at its field."""
    try:
        change()
    except ValidationError as exc:
        errors = {error_field: exc.message} if error_field else _failed(exc)
        return _page(name, errors=errors, status=exc.http_status_code)
    flash(done, "success")
    return redirect(_user_url(name))


@bp.route("/app/user/<name>", methods=["GET", "POST"])
@roles_required(SYSTEM_MANAGER)
def user_form(name: str):
    if request.method == "GET":
        return _page(name)
    form = request.form
    return _act(name, lambda: users.update_user(name, form.get("full_name", ""), form.get("enabled") == "1",
                                                form.getlist("roles")), f"User {name} saved")


@bp.post("/app/user/<name>/password")
@roles_required(SYSTEM_MANAGER)
def user_password(name: str):
    form = request.form
    return _act(name, lambda: users.set_password(name, form.get("password", ""), form.get("confirm", "")),
                f"New password set for {name}.")


@bp.post("/app/user/<name>/reset-link")
@roles_required(SYSTEM_MANAGER)
def user_reset_link(name: str):
    return _act(name, lambda: users.send_reset_link(name, request.host_url),
                f"A link to set a new password was emailed to {name}.", error_field="reset_link")


@bp.post("/app/user/<name>/keys")
@roles_required(SYSTEM_MANAGER)
def user_keys(name: str):
    return _page(name, secret=users.generate_user_keys(name))


@bp.post("/app/user/<name>/keys/revoke")
@roles_required(SYSTEM_MANAGER)
def user_keys_revoke(name: str):
    users.revoke_keys(name)
    flash(f"API key of {name} revoked: requests with it are refused from now on.", "success")
    return redirect(_user_url(name))


@bp.route("/app/my-settings", methods=["GET", "POST"])
@login_required
def my_settings():
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            login_guard.change_password(current_user.name, form.get("current_password", ""),
                                        form.get("password", ""), form.get("confirm", ""))
        except ValidationError as exc:
            errors, status = _failed(exc), exc.http_status_code
        else:
            flash("Your password was changed.", "success")
            return redirect(url_for("desk.my_settings"))
    return render_template("desk/my_settings.html", errors=errors), status
