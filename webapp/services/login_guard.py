"""Password login with a per-address limit on failures (10 a minute, then 429)."""

from __future__ import annotations

from flask import current_app

from webapp.errors import AuthenticationError
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
