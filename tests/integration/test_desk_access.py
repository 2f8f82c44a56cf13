"""The desk needs a login; role-gated pages answer 403 (HTML page, or JSON under /api/)."""


def test_desk_redirects_guest_to_login_with_next(client):
    r = client.get("/app/system-settings")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=/app/system-settings")


def test_desk_home_shows_user(client, login_as):
    login_as("ann@example.com")
    html = client.get("/app").get_data(as_text=True)
    assert "ann" in html and 'aria-label="Search"' in html


def test_role_gated_page_is_403_html_for_other_roles(client, login_as):
    login_as("ann@example.com", roles=["Employee"])
    r = client.get("/app/system-settings")
    assert r.status_code == 403
    assert r.mimetype == "text/html"
    assert "Not permitted" in r.get_data(as_text=True)


def test_role_gated_page_open_to_system_manager(client, login_as, site_config):
    site_config(server_script_enabled=True)
    login_as("boss@example.com", roles=["System Manager"])
    r = client.get("/app/system-settings")
    assert r.status_code == 200
    assert "server_script_enabled" in r.get_data(as_text=True)


def test_administrator_has_every_role(db):
    from webapp.services.users import get_user

    admin = get_user("Administrator")
    assert admin.has_role("System Manager") and admin.has_role("Expense Approver") and admin.has_role("Employee")


def test_unknown_api_route_answers_json_404(client):
    r = client.get("/api/method/no.such.method")
    assert r.status_code == 404
    assert r.get_json()["exc_type"] == "DoesNotExistError"


def test_unknown_page_answers_html_404(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.mimetype == "text/html"
