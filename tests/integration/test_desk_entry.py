"""The first page: `/` leads to the desk (or the login page for a guest), unknown pages get a
friendly 404 with a way home."""

from __future__ import annotations


def test_root_sends_a_guest_to_the_login_page(client):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert client.get("/", follow_redirects=True).status_code == 200


def test_root_sends_a_user_to_the_desk(client, login_as):
    login_as("ann@example.com")
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/app"
    assert "Welcome" in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_legacy_post_root_still_answers_json(client):
    r = client.post("/", data={"cmd": "ping"})
    assert r.status_code == 200 and r.get_json() == {"message": "pong"}


def test_unknown_page_is_a_friendly_404_with_a_way_home(client, login_as):
    html = client.get("/no/such/page").get_data(as_text=True)
    assert "Page not found" in html and "/no/such/page" in html and 'href="/login"' in html
    login_as("ann@example.com")
    r = client.get("/app/no-such-doctype")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "Page not found" in html and "Go to the desk" in html and 'href="/app"' in html
    assert "No document type at /app/no-such-doctype" in html


def test_desk_pages_carry_the_content_security_policy_api_replies_do_not(client, login_as):
    from webapp.blueprints.desk.security import CONTENT_SECURITY_POLICY

    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    for url in ("/login", "/no/such/page"):
        r = client.get(url)
        assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Referrer-Policy"] == "same-origin"
    login_as("Administrator")
    assert client.get("/app/server-script/new").headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for url in ("/api/method/ping", "/api/resource/ToDo", "/api/method/no.such"):
        assert "Content-Security-Policy" not in client.get(url).headers
    assert "Content-Security-Policy" not in client.get("/static/js/form.js").headers


def test_no_template_has_inline_script_or_handlers():
    """The policy allows no inline script: a template that needs one would break in the browser."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline <script> in {path}"
        assert not re.search(r"\son[a-z]+=\"", text), f"inline event handler in {path}"
