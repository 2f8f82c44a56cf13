"""Who is calling: session cookie, `Authorization: token KEY:SECRET` or `Basic base64(KEY:SECRET)`;
and the CSRF rule: only browser sessions (opened through /login) must send the token, as in Frappe."""

from __future__ import annotations

import base64
import binascii

from flask import Flask, current_app, g, request, session
from flask_login import current_user, login_user, logout_user

from webapp.errors import AuthenticationError
from webapp.extensions import csrf, login_manager
from webapp.models.user import AnonymousUser
from webapp.services import users

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _token_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "token":
        creds = value.strip()
    elif scheme == "basic":
        try:
            creds = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError("Malformed Basic authorization header") from None
    else:
        raise AuthenticationError(f"Unsupported authorization scheme {scheme!r}; use 'token KEY:SECRET'")
    key, sep, secret = creds.partition(":")
    if not sep:
        raise AuthenticationError("Authorization must be KEY:SECRET")
    return key, secret


def start_session(user, via: str) -> None:
    """Log the user in; `via` is "desk" (browser form: CSRF enforced) or "api"."""
    session.clear()
    login_user(user)
    session["login_via"] = via
    session.permanent = True


def end_session() -> None:
    logout_user()
    session.clear()


def init_app(app: Flask) -> None:
    login_manager.anonymous_user = AnonymousUser
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def _load(user_id: str):
        user = users.get_user(user_id)
        # A disabled user's session ends on the next request.
        return user if user is not None and user.enabled else None

    @app.before_request
    def _auth_and_csrf() -> None:
        # Token auth wins over a session cookie, is checked on every request (a bad token is a 401
        # even on routes open to guests) and never opens a session.
        creds = _token_credentials()
        if creds is not None:
            g._login_user = users.user_for_token(*creds)  # Flask-Login reads the request's user here
            g.token_auth = True
        if (
            request.method in UNSAFE_METHODS
            and not g.get("token_auth")
            and session.get("login_via") == "desk"
            and current_user.is_authenticated
            and request.endpoint not in current_app.config.get("CSRF_EXEMPT_ENDPOINTS", ())
        ):
            csrf.protect()
