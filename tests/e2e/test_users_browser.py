"""Users in a real browser: a System Manager creates a user with roles by checkbox, the new user logs
in and changes their own password in My settings; API keys with the secret shown once."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_create_a_user_and_log_in_as_them(page, log_in, make_user):
    make_user("sm@example.com", roles=["System Manager"])
    log_in("sm@example.com")
    page.goto("/app/user")
    page.click("a:has-text('New User')")
    page.wait_for_url("**/app/user/new")
    page.fill("#field-email", "nina@example.com")
    page.fill("#field-full_name", "Nina New")
    page.check("input[name=roles][value='Employee']")
    page.fill("#field-password", "password")
    page.fill("#field-confirm", "password")
    page.click("#user-form .form-actions button")
    assert "too easy to guess" in page.inner_text("[for=field-password] ~ .field-error")
    page.fill("#field-password", "Nina-starts-42")
    page.fill("#field-confirm", "Nina-starts-42")
    page.keyboard.press("Control+S")
    page.wait_for_url("**/app/user/nina@example.com")
    assert page.inner_text("#user-status") == "Enabled"
    assert page.is_checked("input[name=roles][value='Employee']")

    # Keys: the secret once, then only the key.
    page.on("dialog", lambda d: d.accept())
    page.click("#keys-section button:has-text('Generate Keys')")
    secret = page.inner_text("#api-secret-value")
    key = page.inner_text("#api-key-value")
    reply = page.request.get("/api/method/frappe.auth.get_logged_user",
                             headers={"Authorization": f"token {key}:{secret}"})
    assert reply.json() == {"message": "nina@example.com"}
    page.goto("/app/user/nina@example.com")
    assert key in page.inner_text("#keys-section") and secret not in page.content()

    page.click("nav.navbar-user button:has-text('Log out')")
    page.wait_for_url("**/login")
    log_in("nina@example.com", "Nina-starts-42")
    assert page.inner_text("nav.navbar-user .user-name") == "Nina New"
    page.click("nav.navbar-user .user-name")
    page.wait_for_url("**/app/my-settings")
    page.fill("#field-current_password", "Nina-starts-42")
    page.fill("#field-password", "Nina-changes-43")
    page.fill("#field-confirm", "Nina-changes-43")
    page.click("#password-form button")
    assert page.inner_text(".flash-success") == "Your password was changed."
    page.click("nav.navbar-user button:has-text('Log out')")
    log_in("nina@example.com", "Nina-changes-43")
