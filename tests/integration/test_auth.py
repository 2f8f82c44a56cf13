"""Login, logout, token auth, CSRF and the login rate limit, as a client sees them."""

from __future__ import annotations

import base64
import json
import re

import pytest


def _csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _server_messages(body: dict) -> list[str]:
    return [json.loads(m)["message"] for m in json.loads(body["_server_messages"])]


def test_ping_answers_anyone(client):
    assert client.get("/api/method/ping").get_json() == {"message": "pong"}


def test_api_login_sets_session(client, make_user):
    make_user("ann@example.com", full_name="Ann Lee")
    r = client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Password-1"})
    assert r.status_code == 200
    assert r.get_json()["message"] == "Logged In"
    assert r.get_json()["full_name"] == "Ann Lee"
    assert client.get("/api/method/frappe.auth.get_logged_user").get_json() == {"message": "ann@example.com"}


def test_api_login_accepts_json_body(client, make_user):
    make_user("ann@example.com")
    r = client.post("/api/method/login", json={"usr": "ann@example.com", "pwd": "Password-1"})
    assert r.status_code == 200


def test_legacy_cmd_login_and_logout(client, make_user):
    make_user("ann@example.com")
    r = client.post("/", data={"cmd": "login", "usr": "ann@example.com", "pwd": "Password-1"})
    assert r.get_json()["message"] == "Logged In"
    assert client.get("/api/method/frappe.auth.get_logged_user").status_code == 200
    client.post("/", data={"cmd": "logout"})
    assert client.get("/api/method/frappe.auth.get_logged_user").status_code == 401


def test_legacy_post_without_cmd_is_a_clear_error(client):
    r = client.post("/", data={"usr": "x"})
    assert r.status_code == 417
    assert "cmd" in r.get_json()["exception"]


@pytest.mark.parametrize("usr,pwd", [("ann@example.com", "wrong-pass"), ("nobody@example.com", "Password-1"), ("", "")])
def test_wrong_credentials_answer_401_envelope(client, make_user, usr, pwd):
    make_user("ann@example.com")
    r = client.post("/api/method/login", data={"usr": usr, "pwd": pwd})
    assert r.status_code == 401
    body = r.get_json()
    assert body["exc_type"] == "AuthenticationError"
    assert body["exception"].startswith("AuthenticationError: ")
    assert _server_messages(body) == ["Invalid login credentials"]
    assert "Traceback" not in r.get_data(as_text=True)


def test_disabled_user_cannot_log_in_and_loses_session(client, make_user, app):
    make_user("ann@example.com")
    assert client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Password-1"}).status_code == 200
    make_user("ann@example.com", enabled=False)
    assert client.get("/api/method/frappe.auth.get_logged_user").status_code == 401
    r = client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Password-1"})
    assert r.status_code == 401


def test_logout_ends_session(client, login_as):
    login_as("ann@example.com")
    assert client.get("/api/method/logout").status_code == 200
    assert client.get("/api/method/frappe.auth.get_logged_user").status_code == 401


def test_guest_gets_401_from_get_logged_user(client):
    r = client.get("/api/method/frappe.auth.get_logged_user")
    assert r.status_code == 401
    assert r.get_json()["exc_type"] == "AuthenticationError"


def test_token_auth_and_basic_auth(client, api_keys):
    headers = api_keys("tok@example.com")
    r = client.get("/api/method/frappe.auth.get_logged_user", headers=headers)
    assert r.get_json() == {"message": "tok@example.com"}
    creds = headers["Authorization"].split(" ", 1)[1]
    basic = {"Authorization": "Basic " + base64.b64encode(creds.encode()).decode()}
    assert client.get("/api/method/frappe.auth.get_logged_user", headers=basic).get_json() == {
        "message": "tok@example.com"
    }
    # Token auth does not open a session.
    assert client.get("/api/method/frappe.auth.get_logged_user").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "token {key}:wrong-secret",
        "token nokey:nosecret",
        "token {key}",
        "Basic !!!notbase64",
        "Bearer abc",
    ],
)
def test_bad_tokens_answer_401(client, api_keys, header):
    key = api_keys("tok@example.com")["Authorization"].split(" ")[1].split(":")[0]
    r = client.get("/api/method/frappe.auth.get_logged_user", headers={"Authorization": header.format(key=key)})
    assert r.status_code == 401
    assert r.get_json()["exc_type"] == "AuthenticationError"
    # Even a route open to guests refuses a bad token rather than silently treating it as a guest.
    assert client.get("/api/method/ping", headers={"Authorization": header.format(key=key)}).status_code == 401


def test_regenerating_keys_invalidates_old_secret(client, api_keys, app):
    old = api_keys("tok@example.com")
    from webapp.services import users

    with app.app_context():
        users.generate_keys("tok@example.com")
    assert client.get("/api/method/frappe.auth.get_logged_user", headers=old).status_code == 401


def test_api_secret_and_password_are_stored_hashed(db, api_keys):
    headers = api_keys("tok@example.com")
    secret = headers["Authorization"].split(":")[1]
    from webapp.models import UserAuth

    row = db.session.get(UserAuth, "tok@example.com")
    assert secret not in (row.api_secret_hash or "")
    assert "Password-1" not in row.password_hash
    assert row.password_hash.startswith("pbkdf2:") or row.password_hash.startswith("scrypt:")


def test_login_page_renders_with_csrf(client):
    r = client.get("/login")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'name="usr"' in html and 'name="pwd"' in html


def test_login_form_without_csrf_is_refused(client, make_user):
    make_user("ann@example.com")
    r = client.post("/login", data={"usr": "ann@example.com", "pwd": "Password-1"})
    assert r.status_code == 400
    assert client.get("/app").status_code == 302  # not logged in


def test_login_form_logs_in_and_redirects_to_next(client, make_user):
    make_user("ann@example.com")
    token = _csrf_from(client.get("/login?next=/app/system-settings").get_data(as_text=True))
    r = client.post("/login", data={"usr": "ann@example.com", "pwd": "Password-1", "csrf_token": token,
                                    "next": "/app"})
    assert r.status_code == 302 and r.headers["Location"] == "/app"
    assert "Welcome" in client.get("/app").get_data(as_text=True)


def test_login_form_wrong_password_shows_error(client, make_user):
    make_user("ann@example.com")
    token = _csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"usr": "ann@example.com", "pwd": "nope-nope", "csrf_token": token})
    assert r.status_code == 401
    assert "Invalid login credentials" in r.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, make_user, target):
    make_user("ann@example.com")
    token = _csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"usr": "ann@example.com", "pwd": "Password-1", "csrf_token": token,
                                    "next": target})
    assert r.headers["Location"] == "/app"


def _desk_login(client, make_user, roles=None):
    make_user("ann@example.com", roles=roles)
    token = _csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"usr": "ann@example.com", "pwd": "Password-1", "csrf_token": token})
    # The session (and its CSRF secret) is renewed at login; desk pages carry the new token.
    page = client.get("/app").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_browser_session_needs_csrf_on_state_changes(client, make_user):
    token = _desk_login(client, make_user)
    r = client.post("/api/method/logout")
    assert r.status_code == 400
    assert r.get_json()["exc_type"] == "CSRFTokenError"
    assert client.get("/api/method/frappe.auth.get_logged_user").status_code == 200  # still logged in
    assert client.post("/api/method/logout", headers={"X-Frappe-CSRF-Token": "forged"}).status_code == 400
    r = client.post("/api/method/logout", headers={"X-Frappe-CSRF-Token": token})
    assert r.status_code == 200
    assert client.get("/api/method/frappe.auth.get_logged_user").status_code == 401


def test_browser_session_csrf_form_field_works(client, make_user):
    token = _desk_login(client, make_user)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/method/frappe.auth.get_logged_user").status_code == 401


def test_token_auth_requests_are_csrf_exempt_even_with_a_desk_cookie(client, make_user, api_keys):
    _desk_login(client, make_user)
    headers = api_keys("tok@example.com")
    r = client.post("/api/method/frappe.auth.get_logged_user", headers=headers)
    assert r.status_code == 200


def test_api_login_session_is_csrf_exempt(client, make_user):
    make_user("ann@example.com")
    client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Password-1"})
    assert client.post("/api/method/logout").status_code == 200


def test_login_failures_are_rate_limited_per_address(client, make_user):
    make_user("ann@example.com")
    for _ in range(10):
        assert client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "bad-pass"}).status_code == 401
    r = client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Password-1"})
    assert r.status_code == 429
    assert r.get_json()["exc_type"] == "RateLimitExceededError"
    assert 0 < int(r.headers["Retry-After"]) <= 60
    # Another address is not affected.
    other = client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Password-1"},
                        environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200


def test_forwarded_for_is_ignored_without_trusted_proxy(client, make_user):
    make_user("ann@example.com")
    for i in range(10):
        client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "bad-pass"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"})
    r = client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Password-1"},
                    headers={"X-Forwarded-For": "198.51.100.1"})
    assert r.status_code == 429


def test_successful_logins_do_not_count_toward_the_limit(client, make_user):
    make_user("ann@example.com")
    for _ in range(12):
        assert client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Password-1"}).status_code == 200
