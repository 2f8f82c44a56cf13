"""The Server Script form: CodeMirror wiring, live validation, templates, disabled notice, recent runs."""

from __future__ import annotations

import json
import re


def test_editor_wiring_and_templates(client, login_as):
    login_as("Administrator")
    html = client.get("/app/server-script/new").get_data(as_text=True)
    assert 'data-code-editor="python"' in html
    assert 'data-validate-url="/api/desk/validate_script"' in html
    completions = json.loads(re.search(r"data-completions='([^']+)'", html).group(1).replace("&#34;", '"'))
    assert "frappe.get_doc" in completions and "doc.save" in completions
    assert "ToDo: change a value before save" in html and "Hello API" in html
    assert "build/editor.js" in html


def test_disabled_notice_says_how_to_enable(client, login_as, site_config):
    login_as("Administrator")
    html = client.get("/app/server-script/new").get_data(as_text=True)
    assert "Server Scripts are disabled" in html and "set-config server_script_enabled true" in html
    site_config(server_script_enabled=True)
    assert "Server Scripts are disabled" not in client.get("/app/server-script/new").get_data(as_text=True)


def test_validate_endpoint(client, login_as):
    login_as("Administrator")
    ok = client.post("/api/desk/validate_script", json={"script": "x = 1\n"})
    assert ok.get_json() == {"errors": []}
    bad = client.post("/api/desk/validate_script", json={"script": "x = 1\ny = (\n"}).get_json()["errors"]
    assert bad[0]["line"] == 2 and "never closed" in bad[0]["message"]
    underscore = client.post("/api/desk/validate_script", json={"script": "a = 1\n_b = 2\n"}).get_json()["errors"]
    assert underscore[0]["line"] == 2
    assert client.post("/api/desk/validate_script", json={"nope": 1}).status_code == 417


def test_validate_endpoint_is_for_system_managers(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    assert client.post("/api/desk/validate_script", json={"script": "x = 1"}).status_code == 403


def test_save_error_shown_at_its_line(client, login_as):
    login_as("Administrator")
    page = client.get("/app/server-script/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"__name": "broken", "script_type": "API", "api_method": "broken", "script": "a = 1\nb = (\n"}
    if token:
        data["csrf_token"] = token.group(1)
    r = client.post("/app/server-script/new", data=data)
    assert r.status_code == 417
    html = r.get_data(as_text=True)
    errors = json.loads(re.search(r"data-errors='([^']*)'", html).group(1).replace("&#34;", '"'))
    assert errors and errors[0]["line"] == 2
    assert "a = 1\nb = (" in html  # the user's code is kept


def test_recent_runs_on_the_form(client, login_as, site_config, api_keys):
    site_config(server_script_enabled=True)
    headers = api_keys("Administrator")
    client.post("/api/resource/Server Script", headers=headers, json={
        "name": "runs", "script_type": "API", "api_method": "runs", "script": "print('hi')\n1/0"})
    client.post("/api/method/runs", headers=headers)
    login_as("Administrator")
    html = client.get("/app/server-script/runs").get_data(as_text=True)
    assert "Recent runs" in html and "ZeroDivisionError" in html and "(line 2)" in html and "hi" in html
    assert "/app/server-script-log?server_script=runs" in html


def test_log_list_filters_by_script_status_and_date(client, login_as, site_config, api_keys, app):
    import datetime as dt

    import sqlalchemy as sa

    from webapp.doctypes import registry
    from webapp.extensions import db
    from webapp.runtime import logs

    site_config(server_script_enabled=True)
    headers = api_keys("Administrator")
    for name, body in (("good_one", "x = 1"), ("bad_one", "1/0")):
        client.post("/api/resource/Server Script", headers=headers, json={
            "name": name, "script_type": "API", "api_method": name, "script": body})
        client.post(f"/api/method/{name}", headers=headers)
    logs.flush()
    with app.app_context():  # move the good run to an earlier day
        t = registry.table(registry.get("Server Script Log"))
        db.session.execute(sa.update(t).where(t.c.server_script == "good_one").values(started=dt.datetime(2026, 1, 15, 23, 30)))
        db.session.commit()
    login_as("Administrator")

    def names(query: str) -> set[str]:
        html = client.get(f"/app/server-script-log?{query}").get_data(as_text=True)
        return {n for n in ("good_one", "bad_one") if f">{n}<" in html}

    assert names("") == {"good_one", "bad_one"}
    assert names("server_script=bad") == {"bad_one"}
    assert names("status=Error") == {"bad_one"}
    assert names("status=Success") == {"good_one"}
    assert names("started=2026-01-15&started_to=2026-01-15") == {"good_one"}  # any time on that day
    assert names("started=2026-01-16") == {"bad_one"}
    assert names("started_to=2026-01-14") == set()
    html = client.get("/app/server-script-log?started=2026-01-15").get_data(as_text=True)
    assert 'name="started_to"' in html and 'value="2026-01-15"' in html  # the chosen range is kept
    bad = client.get("/app/server-script-log?started=15/01/2026").get_data(as_text=True)
    assert "is not a date; use yyyy-mm-dd" in bad
    assert "good_one" in bad and "bad_one" in bad  # the bad filter is not applied
