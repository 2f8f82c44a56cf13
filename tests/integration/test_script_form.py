"""The Server Script form: the Reference Document Type select (from the registry, at request time),
templates that fill every field and run as they are, a layout that does not move, one error shown
once, Delete in a menu with a confirm."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest
import sqlalchemy as sa

from webapp.doctypes import registry


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def _templates(html: str) -> dict[str, dict]:
    """label -> {"source", "fields", "disabled"} of the template buttons."""
    out = {}
    for attrs, label in re.findall(r"<button ([^>]*data-script-template[^>]*)>([^<]+)</button>", html):
        source = htmllib.unescape(re.search(r'data-script-template="([^"]*)"', attrs).group(1))
        fields = json.loads(htmllib.unescape(re.search(r"data-template-fields='([^']*)'", attrs).group(1)))
        out[htmllib.unescape(label)] = {"source": source, "fields": fields, "disabled": " disabled" in attrs}
    return out


@pytest.fixture
def extra_doctype(app):
    """A doctype a user defines while the app runs (the suite drops it afterwards)."""
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.app_context(), acting_as("Administrator"):
        documents.create("DocType", {"name": "Site Visit", "fields": [{"fieldname": "place", "fieldtype": "Data"}],
                                     "permissions": [{"role": "System Manager", "read": 1}]})
    return "Site Visit"


def test_reference_doctype_is_a_select_of_the_doctypes_scripts_can_follow(client, login_as):
    login_as("Administrator")
    options = _options(client.get("/app/server-script/new").get_data(as_text=True), "field-reference_doctype")
    assert options[0] == ""
    assert {"ToDo", "Note", "Task", "Expense Claim"} <= set(options)
    for refused in ("Expense Claim Detail", "Has Role", "Server Script", "Server Script Log", "Email Queue"):
        assert refused not in options  # child tables and doctypes closed to scripts are not offered
    allowed = [dt.name for dt in registry.all_doctypes() if not dt.istable and dt.script_access and dt.script_events]
    assert "Server Script" not in allowed and "DocType" not in allowed and "Custom Field" not in allowed
    assert options[1:] == sorted(allowed)


def test_a_doctype_added_while_running_is_offered_without_a_restart(client, login_as, extra_doctype):
    login_as("Administrator")
    assert "Site Visit" in _options(client.get("/app/server-script/new").get_data(as_text=True),
                                    "field-reference_doctype")


def test_a_stored_value_that_is_no_longer_a_choice_stays_selected(app, client, login_as, extra_doctype, api_keys):
    from webapp.customize import registry_cache
    from webapp.extensions import db
    from webapp.services.context import transaction

    headers = api_keys("Administrator")
    r = client.post("/api/resource/Server Script", headers=headers, json={
        "name": "visits", "script_type": "Permission Query", "reference_doctype": "Site Visit", "script": "x = 1"})
    assert r.status_code == 200, r.get_data(as_text=True)
    with app.app_context(), transaction():  # the doctype goes away behind the script's back (a restored backup)
        t = registry.table(registry.builtin("DocType"))
        db.session.execute(sa.delete(t).where(t.c.name == "Site Visit"))
        registry_cache.changed()
    login_as("Administrator")
    html = client.get("/app/server-script/visits").get_data(as_text=True)
    assert '<option value="Site Visit" selected>' in html


def test_every_template_sets_its_fields_and_saves_as_it_is(client, login_as, api_keys):
    login_as("Administrator")
    templates = _templates(client.get("/app/server-script/new").get_data(as_text=True))
    assert templates["Task: create a ToDo for its assignee (After Save)"]["fields"] == {
        "script_type": "DocType Event", "reference_doctype": "Task", "doctype_event": "After Save",
        "api_method": "", "event_frequency": "", "cron_format": ""}
    assert templates["Hello API"]["fields"]["api_method"] == "hello"
    assert templates["Close overdue ToDos (Daily)"]["fields"]["event_frequency"] == "Daily"
    assert templates["Call another script"]["disabled"]  # no API script to call yet
    headers = api_keys("Administrator")
    for i, (label, t) in enumerate(sorted(templates.items())):
        if t["disabled"]:
            continue
        body = {k: v for k, v in t["fields"].items() if v}
        r = client.post("/api/resource/Server Script", headers=headers,
                        json={"name": f"t{i}", "script": t["source"], **body})
        assert r.status_code == 200, (label, r.get_data(as_text=True))


def test_call_another_script_calls_one_that_exists_and_runs(client, login_as, api_keys, site_config):
    site_config(server_script_enabled=True)
    headers = api_keys("Administrator")
    login_as("Administrator")
    share = _templates(client.get("/app/server-script/new").get_data(as_text=True))["Share data with flags"]
    client.post("/api/resource/Server Script", headers=headers,
                json={"name": "Share data", "script": share["source"], **share["fields"]})
    call = _templates(client.get("/app/server-script/new").get_data(as_text=True))["Call another script"]
    assert not call["disabled"] and "run_script('Share data')" in call["source"]
    r = client.post("/api/resource/Server Script", headers=headers,
                    json={"name": "Caller", "script": call["source"], **{k: v for k, v in call["fields"].items() if v}})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert client.post("/api/method/call_another", headers=headers).get_json() == {"message": {"my_key": "my value"}}


def test_the_task_template_creates_a_todo_for_the_assignee(client, login_as, api_keys, site_config, make_user):
    site_config(server_script_enabled=True)
    make_user("kim@example.com", roles=["Employee"])
    headers = api_keys("Administrator")
    login_as("Administrator")
    t = _templates(client.get("/app/server-script/new").get_data(as_text=True))[
        "Task: create a ToDo for its assignee (After Save)"]
    client.post("/api/resource/Server Script", headers=headers,
                json={"name": "Assign", "script": t["source"], **{k: v for k, v in t["fields"].items() if v}})
    task = client.post("/api/resource/Task", headers=headers,
                       json={"subject": "Write report", "allocated_to": "kim@example.com"}).get_json()["data"]
    todos = client.get("/api/resource/ToDo", headers=headers, query_string={
        "fields": json.dumps(["description", "allocated_to", "reference_name"])}).get_json()["data"]
    assert todos == [{"description": "Write report", "allocated_to": "kim@example.com",
                      "reference_name": task["name"]}]


def test_layout_name_stays_runs_below_the_script_delete_in_a_menu(client, login_as, api_keys):
    headers = api_keys("Administrator")
    client.post("/api/resource/Server Script", headers=headers, json={
        "name": "steady", "script_type": "API", "api_method": "steady", "script": "x = 1"})
    login_as("Administrator")
    new = client.get("/app/server-script/new").get_data(as_text=True)
    saved = client.get("/app/server-script/steady").get_data(as_text=True)
    assert 'id="field-__name" name="__name"' in new
    assert re.search(r'<input type="text" id="field-__name" value="steady" disabled>', saved)
    # The same fields, in the same order, before and after the first save.
    order = re.compile(r'data-fieldname="(\w+)"')
    assert order.findall(new) == order.findall(saved)
    assert saved.index('id="doc-form"') < saved.index("Recent runs")
    menu = re.search(r'<details class="menu">(.*?)</details>', saved, re.S).group(1)
    assert ">Delete</button>" in menu and 'data-confirm="Delete Server Script steady? This cannot be undone."' in menu
    assert saved.count(">Delete</button>") == 1


def test_rate_limit_fields_depend_on_the_switch():
    from webapp.doctypes.server_script import SERVER_SCRIPT

    for name in ("rate_limit_count", "rate_limit_seconds"):
        assert SERVER_SCRIPT.get_field(name).depends_on == "eval:doc.script_type=='API' && doc.enable_rate_limit"


def test_a_script_error_is_shown_once_with_a_short_banner(client, login_as):
    login_as("Administrator")
    r = client.post("/app/server-script/new", data={"__name": "broken", "script_type": "API",
                                                      "api_method": "broken", "script": "a = 1\nb = (\n"})
    html = r.get_data(as_text=True)
    assert r.status_code == 417
    banner = re.search(r'<div class="flash flash-error" role="alert" id="form-error">\s*(.*?)\s*</div>', html, re.S)
    assert banner.group(1).strip() == "Not saved: Script has an error on line 2, marked in the editor."
    # The message itself: at its line in the editor (data-errors); the no-JS copy is hidden by the editor.
    marks = json.loads(htmllib.unescape(re.search(r"data-errors='([^']*)'", html).group(1)))
    assert marks[0]["line"] == 2 and "never closed" in marks[0]["message"]
    assert re.search(r'<p class="field-error" role="alert" data-editor-shows-this>', html)
    assert 'data-unsaved' in html and 'id="not-saved">Not Saved' in html


def test_an_error_without_a_field_keeps_its_whole_message_in_the_banner(client, login_as):
    from webapp.blueprints.desk.forms import error_banner

    meta = registry.get("ToDo")
    assert error_banner(meta, {}, "Something broke") == "Something broke"
    assert error_banner(meta, {"status": "Status bad"}, "Status bad") == "Not saved: check Status, marked below."
    claim = registry.get("Expense Claim")
    assert error_banner(claim, {"expenses-1-amount": "x"}, "x") == "Not saved: check Expenses, marked below."
