from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.blueprints.auth.blueprint import bp
from webapp.blueprints.auth.forms import LoginForm, UpdatePasswordForm
from webapp.blueprints.auth.session import end_session, start_session
from webapp.errors import AuthenticationError, ValidationError
from webapp.services import login_guard, users


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "/app/todo" yes, "//evil.example" or "https://evil" no.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("desk.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(_safe_next(form.next.data))
    status = 200
    if form.validate_on_submit():
        try:
            user = login_guard.login(form.usr.data, form.pwd.data)
        except AuthenticationError as exc:
            form.pwd.errors = [*form.pwd.errors, exc.message]
            status = 401
        else:
            start_session(user, via="desk")
            return redirect(_safe_next(form.next.data))
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 417
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    end_session()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/update-password", methods=["GET", "POST"])
def update_password():
    """Where an emailed reset link leads (Frappe's URL): a signed, expiring key that works once."""
    form = UpdatePasswordForm()
    if request.method == "GET":
        form.key.data = request.args.get("key", "")
    status, problem = 200, None
    try:
        user = users.user_for_reset_token(form.key.data or "")
    except ValidationError as exc:
        return render_template("auth/update_password.html", form=None, problem=exc.message, user=None), 417
    if form.validate_on_submit():
        try:
            users.reset_password(form.key.data, form.password.data, form.confirm.data)
        except ValidationError as exc:
            field = form.confirm if "confirm" in exc.fields else form.password
            field.errors = [*field.errors, exc.message]
            status = exc.http_status_code
        else:
            end_session()
            flash("Your password is set. Log in with it.", "success")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 417
    return render_template("auth/update_password.html", form=form, problem=problem, user=user), status
