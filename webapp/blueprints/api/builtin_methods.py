"""Built-in methods about the HTTP session: login, logout, frappe.auth.get_logged_user (not for scripts)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from webapp.blueprints.auth.session import end_session, start_session
from webapp.errors import AuthenticationError
from webapp.services import login_guard
from webapp.services.methods import builtin_method


@builtin_method("login", allow_guest=True, from_scripts=False)
def login(args: dict[str, Any], _http_method: str) -> dict[str, Any]:
    user = login_guard.login(str(args.get("usr") or ""), str(args.get("pwd") or ""))
    start_session(user, via="api")
    return {"message": "Logged In", "home_page": "/app", "full_name": user.display_name}


@builtin_method("logout", allow_guest=True, from_scripts=False)
def logout(_args: dict[str, Any], _http_method: str) -> dict[str, Any]:
    end_session()
    return {}


@builtin_method("frappe.auth.get_logged_user", from_scripts=False)
def get_logged_user(_args: dict[str, Any], _http_method: str) -> dict[str, Any]:
    if not current_user.is_authenticated:
        raise AuthenticationError("Not logged in")
    return {"message": current_user.name}
