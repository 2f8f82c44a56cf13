"""Users managed in the desk (/app/user) by a System Manager, and every user's own password at
/app/my-settings: all through the users service, with the CLI's rules (password strength, login
throttling), the API secret shown once, and reset links that are signed, expiring and single-use."""

from __future__ import annotations

import html as htmllib
import re
import socket

import pytest

SM = "sm@example.com"


@pytest.fixture
def sm(desk):
    return desk.login(SM, ["System Manager"])


def _login(app, email: str, password: str) -> int:
    """Log in through the /login form in a fresh browser session; the status of the POST."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"usr": email, "pwd": password, "csrf_token": token.group(1) or token.group(2)})
    return r.status_code


def _user(app, name: str):
    from webapp.services import users

    with app.app_context():
        u = users.get_user(name)
        return None if u is None else {"enabled": u.enabled, "roles": u.roles, "full_name": u.full_name}


def test_system_manager_creates_a_user_who_can_then_log_in(app, sm):
    html = sm.get("/app/user")
    assert 'href="/app/user/new"' in html  # the list offers New User
    form = sm.get("/app/user/new")
    assert 'name="roles" value="Employee"' in form and 'name="roles" value="System Manager"' in form
    r = sm.post("/app/user/new", {"email": "ann@Example.COM", "full_name": "Ann Lee", "roles": ["Employee"],
                                  "password": "Strong-pass-1", "confirm": "Strong-pass-1"})
    assert r.status_code == 302 and r.headers["Location"] == "/app/user/ann@example.com"
    assert _user(app, "ann@example.com") == {"enabled": 1, "roles": ["Employee"], "full_name": "Ann Lee"}
    assert _login(app, "ann@example.com", "Strong-pass-1") == 302
    page = sm.get("/app/user/ann@example.com")
    assert "User ann@example.com created." in page and 'id="user-status">Enabled<' in page


@pytest.mark.parametrize(("password", "problem"), [
    ("short", "at least 8 characters"),
    ("password", "Password is too easy to guess. This is a top-10 common password."),
    ("aaaaaaaaaa", "too easy to guess"),
])
def test_weak_passwords_are_refused_at_the_field_in_the_desk_and_the_cli(app, sm, password, problem):
    r = sm.post("/app/user/new", {"email": "weak@example.com", "roles": ["Employee"], "password": password,
                                  "confirm": password})
    html = htmllib.unescape(r.get_data(as_text=True))
    assert r.status_code == 417 and problem in html
    assert re.search(r'<div class="field has-error">\s*<label for="field-password">', html)
    assert _user(app, "weak@example.com") is None
    result = app.test_cli_runner().invoke(args=["create-user", "weak@example.com", "--password", password])
    assert result.exit_code != 0 and problem in result.output


def test_mismatched_confirmation_and_taken_email(app, sm, make_user):
    r = sm.post("/app/user/new", {"email": "a@example.com", "password": "Strong-pass-1", "confirm": "Strong-pass-2"})
    assert r.status_code == 417 and "The two passwords are not the same" in r.get_data(as_text=True)
    make_user("taken@example.com")
    r = sm.post("/app/user/new", {"email": "taken@example.com", "password": "Strong-pass-1",
                                  "confirm": "Strong-pass-1"})
    assert r.status_code == 409 and "User taken@example.com already exists" in r.get_data(as_text=True)


def test_roles_by_checkbox_and_disabling_a_user(app, sm, make_user):
    make_user("bob@example.com", roles=["Employee"])
    r = sm.post("/app/user/bob@example.com", {"full_name": "Bob B", "enabled": "1",
                                             "roles": ["Employee", "Expense Approver"]})
    assert r.status_code == 302
    assert _user(app, "bob@example.com")["roles"] == ["Employee", "Expense Approver"]
    assert _login(app, "bob@example.com", "Password-1") == 302
    sm.post("/app/user/bob@example.com", {"full_name": "Bob B", "roles": ["Employee"]})  # Enabled unticked
    assert _user(app, "bob@example.com") == {"enabled": 0, "roles": ["Employee"], "full_name": "Bob B"}
    assert _login(app, "bob@example.com", "Password-1") == 401
    assert 'id="user-status">Disabled<' in sm.get("/app/user/bob@example.com")


def test_no_lock_out_and_administrator_is_off_limits(app, sm):
    r = sm.post(f"/app/user/{SM}", {"full_name": "Me", "roles": ["System Manager"]})
    assert r.status_code == 417 and "You cannot disable yourself" in r.get_data(as_text=True)
    r = sm.post(f"/app/user/{SM}", {"full_name": "Me", "enabled": "1", "roles": ["Employee"]})
    assert r.status_code == 417 and "take the System Manager role from yourself" in r.get_data(as_text=True)
    assert _user(app, SM)["roles"] == ["System Manager"]
    page = sm.get("/app/user/Administrator")
    assert "Only Administrator can change Administrator" in page and 'id="password-section"' not in page
    assert sm.post("/app/user/Administrator/password", {"password": "Strong-pass-9", "confirm": "Strong-pass-9"}
                   ).status_code == 403
    assert sm.post("/app/user/Administrator/keys").status_code == 403
    assert sm.post("/app/user/Administrator", {"full_name": "Admin", "roles": []}).status_code == 403


def test_only_system_managers_reach_user_management(app, desk, make_user):
    make_user("bob@example.com")
    desk.login("emp@example.com", ["Employee"])
    assert desk.get("/app/user/new", status=403)
    assert desk.post("/app/user/new", {"email": "x@example.com", "password": "Strong-pass-1"}).status_code == 403
    assert desk.post("/app/user/bob@example.com/password", {"password": "Strong-pass-9"}).status_code == 403
    assert desk.post("/app/user/bob@example.com/keys").status_code == 403
    assert _user(app, "x@example.com") is None


def test_the_service_checks_the_acting_user_too(app, make_user):
    from webapp.errors import PermissionError
    from webapp.services import users
    from webapp.services.context import acting_as

    make_user("emp@example.com", roles=["Employee"])
    make_user("bob@example.com")
    with app.test_request_context(), acting_as("emp@example.com"):
        for call in (lambda: users.create_user("x@example.com", "", [], "Strong-pass-1"),
                     lambda: users.update_user("bob@example.com", "", True, ["System Manager"]),
                     lambda: users.set_password("bob@example.com", "Strong-pass-1"),
                     lambda: users.generate_user_keys("bob@example.com"),
                     lambda: users.revoke_keys("bob@example.com")):
            with pytest.raises(PermissionError):
                call()
    assert _user(app, "bob@example.com")["roles"] == []


def test_system_manager_sets_a_password(app, sm, make_user):
    make_user("bob@example.com")
    r = sm.post("/app/user/bob@example.com/password", {"password": "New-strong-7", "confirm": "New-strong-7"})
    assert r.status_code == 302
    assert _login(app, "bob@example.com", "Password-1") == 401
    assert _login(app, "bob@example.com", "New-strong-7") == 302
    r = sm.post("/app/user/bob@example.com/password", {"password": "12345678", "confirm": "12345678"})
    assert r.status_code == 417 and "too easy to guess" in r.get_data(as_text=True)


def test_api_secret_is_shown_once_and_revoking_stops_it(app, client, sm, make_user):
    make_user("bob@example.com", roles=["Employee"])
    r = sm.post("/app/user/bob@example.com/keys")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="api-key-value">([0-9a-f]+)<', html).group(1)
    secret = re.search(r'id="api-secret-value">([0-9a-f]+)<', html).group(1)
    assert "shown only this once" in html
    other = app.test_client()
    auth = {"Authorization": f"token {key}:{secret}"}
    assert other.get("/api/method/frappe.auth.get_logged_user", headers=auth).get_json() == {
        "message": "bob@example.com"}
    page = sm.get("/app/user/bob@example.com")
    assert key in page and secret not in page  # later: the key, never the secret
    # A new secret replaces the old one.
    newer = re.search(r'id="api-secret-value">([0-9a-f]+)<', sm.post("/app/user/bob@example.com/keys")
                      .get_data(as_text=True)).group(1)
    assert other.get("/api/method/frappe.auth.get_logged_user", headers=auth).status_code == 401
    assert sm.post("/app/user/bob@example.com/keys/revoke").status_code == 302
    auth = {"Authorization": f"token {key}:{newer}"}
    assert other.get("/api/method/frappe.auth.get_logged_user", headers=auth).status_code == 401
    assert "No API key" in sm.get("/app/user/bob@example.com")


# -- reset links -------------------------------------------------------------------------------------
@pytest.fixture
def mail_set_up(site_config):
    """A mail server in site_config.json (nothing listens there: the queued row is what we read)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site_config(mail_server="127.0.0.1", mail_port=port)


def _emailed_link(app, to: str) -> str:
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.app_context(), acting_as("Administrator"):
        rows = documents.get_list("Email Queue", fields=["recipients", "message"], order_by="creation desc",
                                  filters={"recipients": to}, limit_page_length=1)
    return htmllib.unescape(re.search(r'href="([^"]+)"', rows[0]["message"]).group(1))


def _set_through_link(app, link: str, password: str, confirm: str | None = None):
    client = app.test_client()
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    if page.status_code != 200:
        return page
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" '
                      r'type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/update-password", data={"csrf_token": token.group(1) or token.group(2), "key": key,
                                                  "password": password, "confirm": confirm or password})


def test_a_new_user_sets_their_password_through_the_emailed_link_once(app, sm, mail_set_up):
    assert 'value="link"' in sm.get("/app/user/new")
    r = sm.post("/app/user/new", {"email": "new@example.com", "full_name": "New Person", "roles": ["Employee"],
                                  "set_by": "link"})
    assert r.status_code == 302
    link = _emailed_link(app, "new@example.com")
    assert link.startswith("http://localhost/update-password?key=")
    assert _login(app, "new@example.com", "anything-at-all") == 401  # no password until the link is used
    weak = _set_through_link(app, link, "password")
    assert weak.status_code == 417 and "too easy to guess" in weak.get_data(as_text=True)
    done = _set_through_link(app, link, "Fresh-start-42")
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert _login(app, "new@example.com", "Fresh-start-42") == 302
    again = _set_through_link(app, link, "Another-one-43")
    assert again.status_code == 417 and "already used" in again.get_data(as_text=True)
    assert _login(app, "new@example.com", "Fresh-start-42") == 302


def test_reset_link_for_an_existing_user_and_forged_or_expired_links(app, sm, make_user, mail_set_up, monkeypatch):
    make_user("bob@example.com")
    assert sm.post("/app/user/bob@example.com/reset-link").status_code == 302
    link = _emailed_link(app, "bob@example.com")
    key = link.split("key=", 1)[1]
    tampered = app.test_client().get(f"/update-password?key={key[:-2]}xx")
    assert tampered.status_code == 417 and "not valid" in tampered.get_data(as_text=True)
    # Older than the expiry (1 hour here): refused.
    import time

    from itsdangerous.timed import TimestampSigner

    app.extensions["site_config"].set("reset_password_link_expiry_hours", 1)
    later = int(time.time()) + 2 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    expired = app.test_client().get(f"/update-password?key={key}")
    assert expired.status_code == 417 and "expired" in expired.get_data(as_text=True)
    monkeypatch.undo()
    assert _set_through_link(app, link, "Bobs-new-pass-5").status_code == 302
    assert _login(app, "bob@example.com", "Bobs-new-pass-5") == 302


def test_without_mail_no_link_is_offered_and_nothing_half_done_is_kept(app, sm, make_user):
    page = sm.get("/app/user/new")
    assert 'value="link"' not in page and "Email is not set up" in page
    r = sm.post("/app/user/new", {"email": "nolink@example.com", "set_by": "link"})
    assert r.status_code == 417 and "Email is not set up on this site" in r.get_data(as_text=True)
    assert _user(app, "nolink@example.com") is None  # the user insert was rolled back with the refusal
    make_user("bob@example.com")
    assert "Email a Reset Link" not in sm.get("/app/user/bob@example.com")
    assert sm.post("/app/user/bob@example.com/reset-link").status_code == 417


# -- my settings -------------------------------------------------------------------------------------
def test_every_user_changes_their_own_password(app, desk):
    desk.login("emp@example.com", ["Employee"])
    page = desk.get("/app/my-settings")
    assert "Change my password" in page and 'href="/app/my-settings"' in page  # linked from the navbar
    bad = desk.post("/app/my-settings", {"current_password": "wrong-one", "password": "Brand-new-pass-3",
                                         "confirm": "Brand-new-pass-3"})
    assert bad.status_code == 417 and "Your current password is not right" in bad.get_data(as_text=True)
    weak = desk.post("/app/my-settings", {"current_password": "Password-1", "password": "12345678",
                                          "confirm": "12345678"})
    assert weak.status_code == 417 and "too easy to guess" in weak.get_data(as_text=True)
    ok = desk.post("/app/my-settings", {"current_password": "Password-1", "password": "Brand-new-pass-3",
                                        "confirm": "Brand-new-pass-3"})
    assert ok.status_code == 302
    assert _login(app, "emp@example.com", "Password-1") == 401
    assert _login(app, "emp@example.com", "Brand-new-pass-3") == 302


def test_guessing_the_current_password_is_throttled_like_a_login(app, desk):
    desk.login("emp@example.com", ["Employee"])
    data = {"current_password": "guess", "password": "Brand-new-pass-3", "confirm": "Brand-new-pass-3"}
    statuses = [desk.post("/app/my-settings", data).status_code for _ in range(11)]
    assert statuses[:10] == [417] * 10 and statuses[10] == 429
    # The same counter as /login: the right password is refused too until the window passes.
    data["current_password"] = "Password-1"
    assert desk.post("/app/my-settings", data).status_code == 429
