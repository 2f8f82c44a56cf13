"""Password checks with a per-address limit on failures (10 a minute, then 429): logging in, and
confirming the current password before changing it (the same counter: guessing through either
door is throttled alike)."""

from __future__ import annotations

from flask import current_app

from webapp.errors import AuthenticationError, ValidationError
from webapp.net import client_address
from webapp.services import ratelimit, users


def login(usr: str, pwd: str):
    item = ratelimit.parse_limit(current_app.config["LOGIN_RATE_LIMIT"])
    key = ("login-failures", client_address())
    ratelimit.check(item, *key, message="Too many failed logins from your address; wait and try again")
    try:
        return users.authenticate(usr, pwd)
    except AuthenticationError:
        ratelimit.count_failure(item, *key)
        raise


def change_password(user: str, current: str, new: str, confirm: str) -> None:
    """The user's own password change: the current password first (throttled like a login)."""
    try:
        login(user, current)
    except AuthenticationError:
        raise ValidationError("Your current password is not right").for_fields("current_password") from None
    users.change_own_password(user, new, confirm)
