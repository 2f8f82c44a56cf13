"""Fixtures for desk tests: a browser-like session (CSRF enforced, as after /login)."""

from __future__ import annotations

import re

import pytest

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def desk(client, login_as):
    """A logged-in browser session: desk.login(email, roles); desk.post(url, data) adds the CSRF token.
    `desk.default_roles` maps an email to the roles login() gives when none are passed."""

    class Desk:
        default_roles: dict[str, list[str]] = {}

        def login(self, email: str, roles: list[str] | None = None) -> Desk:
            login_as(email, roles=roles if roles is not None else self.default_roles.get(email))
            with client.session_transaction() as sess:
                sess["login_via"] = "desk"  # as after /login: state-changing requests need the token
            return self

        def token(self) -> str:
            return CSRF.search(client.get("/app").get_data(as_text=True)).group(1)

        def get(self, url: str, status: int = 200) -> str:
            r = client.get(url)
            assert r.status_code == status, (url, r.status_code)
            return r.get_data(as_text=True)

        def post(self, url: str, data: dict | None = None, token: bool = True):
            data = dict(data or {})
            if token:
                data.setdefault("csrf_token", self.token())
            return client.post(url, data=data)

    return Desk()
