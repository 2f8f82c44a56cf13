"""System settings in the desk: the Server Scripts switch (System Manager only, CSRF-protected, a
confirm that says what it means) and the date and time format; commands shown work as printed."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def desk_session(desk):
    """desk_session(email, roles) -> the CSRF token of a browser session (System Manager by default)."""

    def login(email: str = "sm@example.com", roles=("System Manager",)) -> str:
        return desk.login(email, list(roles)).token()

    return login


def test_system_manager_enables_and_disables_server_scripts(app, client, desk_session):
    token = desk_session()
    html = client.get("/app/system-settings").get_data(as_text=True)
    assert 'id="scripts-status">Disabled<' in html and "Enable Server Scripts" in html
    assert "Enable Server Scripts? Every enabled script will then run" in html  # the confirm says what it means
    assert ".venv/bin/flask --app wsgi set-config server_script_enabled true" in html

    r = client.post("/app/system-settings/server-scripts", data={"enable": "1", "csrf_token": token})
    assert r.status_code == 302
    assert app.extensions["site_config"].get("server_script_enabled") is True
    html = client.get("/app/system-settings").get_data(as_text=True)
    assert "Server Scripts are enabled" in html and 'id="scripts-status">Enabled<' in html

    client.post("/app/system-settings/server-scripts", data={"enable": "0", "csrf_token": token})
    assert app.extensions["site_config"].get("server_script_enabled") is False


def test_the_switch_needs_the_csrf_token(app, client, desk_session):
    desk_session()
    r = client.post("/app/system-settings/server-scripts", data={"enable": "1"})
    assert r.status_code == 400
    assert app.extensions["site_config"].get("server_script_enabled") is False


def test_only_a_system_manager_may_switch(app, client, desk_session):
    token = desk_session("emp@example.com", roles=("Employee",))
    r = client.post("/app/system-settings/server-scripts", data={"enable": "1", "csrf_token": token})
    assert r.status_code == 403
    assert app.extensions["site_config"].get("server_script_enabled") is False


def test_the_service_refuses_anyone_but_a_system_manager(app, make_user):
    from webapp.errors import PermissionError
    from webapp.services import settings
    from webapp.services.context import acting_as

    make_user("emp@example.com", roles=["Employee"])
    with app.test_request_context(), acting_as("emp@example.com"), pytest.raises(PermissionError):
        settings.set_scripts_enabled(True)
    assert app.extensions["site_config"].get("server_script_enabled") is False


def test_disabled_banner_links_to_the_switch_and_shows_a_working_command(client, login_as):
    login_as("Administrator")
    html = client.get("/app/server-script/new").get_data(as_text=True)
    assert 'href="/app/system-settings#server-scripts-switch"' in html
    assert "<code class=\"command\">.venv/bin/flask --app wsgi set-config server_script_enabled true</code>" in html


def test_date_format_applies_to_every_date_shown(app, client, desk_session):
    import datetime as dt

    from webapp.services import documents
    from webapp.services.context import acting_as

    token = desk_session()
    with app.app_context(), acting_as("Administrator"):
        name = documents.insert(documents.new_doc("ToDo", {"description": "dated"})).name
        modified = documents.get_doc("ToDo", name).modified
    stamp = dt.datetime.fromisoformat(str(modified))
    assert stamp.strftime("%Y-%m-%d %H:%M:%S") in client.get("/app/todo").get_data(as_text=True)

    client.post("/app/system-settings/formats", data={"date_format": "dd.mm.yyyy", "time_format": "HH:mm",
                                                      "csrf_token": token})
    assert app.extensions["site_config"].get("date_format") == "dd.mm.yyyy"
    for url in ("/app/todo", f"/app/todo/{name}"):
        html = re.sub(r"<[^>]*>", " ", client.get(url).get_data(as_text=True))  # the text a reader sees
        assert stamp.strftime("%d.%m.%Y %H:%M") in html and stamp.strftime("%Y-%m-%d") not in html


def test_a_bad_format_is_refused_at_its_field(app, client, desk_session):
    token = desk_session()
    r = client.post("/app/system-settings/formats", data={"date_format": "%Y", "time_format": "HH:mm",
                                                          "csrf_token": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 417 and "Date Format must be one of: yyyy-mm-dd" in html
    assert app.extensions["site_config"].get("date_format") is None


def test_secrets_are_not_shown(app, client, desk_session, site_config):
    site_config(mail_password="hunter2-secret", mail_server="smtp.example.com")
    desk_session()
    html = client.get("/app/system-settings").get_data(as_text=True)
    assert "hunter2-secret" not in html and "smtp.example.com" in html


@pytest.mark.parametrize(("ms", "shown"), [(0.0421, "0.042 ms"), (0.5, "0.5 ms"), (4.25, "4.2 ms"), (42.6, "43 ms"),
                                          (12345.6, "12,346 ms"), (0, "0 ms"), (None, "")])
def test_durations_have_sensible_precision(ms, shown):
    from webapp.services.settings import format_duration

    assert format_duration(ms) == shown


def test_default_format_is_yyyy_mm_dd_hh_mm_ss(app):
    import datetime as dt

    from webapp.services.settings import format_date, format_datetime

    with app.test_request_context():
        assert format_datetime(dt.datetime(2026, 3, 4, 5, 6, 7, 890)) == "2026-03-04 05:06:07"
        assert format_datetime("2026-03-04 05:06:07.123456") == "2026-03-04 05:06:07"
        assert format_date(dt.date(2026, 3, 4)) == "2026-03-04"


def test_dates_are_typed_and_shown_in_the_site_format(app, client, desk, site_config):
    from webapp.services import documents

    site_config(date_format="dd.mm.yyyy")
    desk.login("kim@example.com", ["Employee"])
    html = desk.get("/app/todo/new")
    assert re.search(r'id="field-date" name="date"[^>]*placeholder="dd.mm.yyyy"', html)
    r = desk.post("/app/todo/new", {"description": "typed date", "date": "31.12.2026"})
    assert r.status_code == 302
    name = r.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        assert str(documents.get_doc("ToDo", name, check_permission=False).date) == "2026-12-31"
    assert 'value="31.12.2026"' in desk.get(f"/app/todo/{name}")
    assert desk.post(f"/app/todo/{name}", {"description": "iso works too", "date": "2026-11-30"}).status_code == 302
    bad = desk.post(f"/app/todo/{name}", {"description": "x", "date": "30 Feb"})
    assert bad.status_code == 417
    assert re.search(r'<div class="field has-error"\s+data-fieldname="date">', bad.get_data(as_text=True))
    assert "iso works too" in desk.get("/app/todo")
    desk.login("Administrator")
    log_list = desk.get("/app/server-script-log?started=30.11.2026&started_to=1.12.2026")
    assert 'value="30.11.2026"' in log_list and 'value="01.12.2026"' in log_list and "is not a date" not in log_list
    assert "is not a date; use dd.mm.yyyy" in desk.get("/app/server-script-log?started=2026/11/30")
