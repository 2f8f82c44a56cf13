"""DocType Event scripts: Frappe's order, Before changes saved, rollback on failure, name order."""

from __future__ import annotations

import pytest

from webapp.doctypes.events import DOCTYPE_EVENT_MAP

pytestmark = pytest.mark.usefixtures("enable_scripts")

SUBMITTABLE_EVENTS = list(DOCTYPE_EVENT_MAP)


@pytest.fixture
def trace_all_events(make_script):
    """One logging script per event of Expense Claim; the log's trigger names the event."""
    for event in SUBMITTABLE_EVENTS:
        make_script(f"trace {event}", "log('" + event + "')\n", reference_doctype="Expense Claim",
                    doctype_event=event)


def _events(logs, since: int = 0) -> list[str]:
    return [row["output"] for row in logs()][since:]


CLAIM = {"employee_name": "Ann", "expenses": [{"expense_type": "Taxi", "amount": 10}]}


def test_insert_order(client, login_as, trace_all_events, logs):
    login_as("boss@example.com", roles=["System Manager"])
    assert client.post("/api/resource/Expense Claim", json=CLAIM).status_code == 200
    assert _events(logs) == ["Before Insert", "Before Validate", "Before Save", "After Insert", "After Save"]


def test_insert_submitted_order(client, login_as, trace_all_events, logs):
    login_as("boss@example.com", roles=["System Manager"])
    r = client.post("/api/resource/Expense Claim", json={**CLAIM, "docstatus": 1})
    assert r.get_json()["data"]["docstatus"] == 1
    assert _events(logs) == ["Before Insert", "Before Validate", "Before Save", "Before Submit", "After Insert",
                             "After Save", "After Submit"]


def test_save_submit_update_cancel_delete_print_order(client, login_as, trace_all_events, logs):
    login_as("boss@example.com", roles=["System Manager"])
    name = client.post("/api/resource/Expense Claim", json=CLAIM).get_json()["data"]["name"]
    seen = len(logs())
    client.put(f"/api/resource/Expense Claim/{name}", json={"remark": "edited"})
    assert _events(logs, seen) == ["Before Validate", "Before Save", "After Save"]
    seen = len(logs())
    client.put(f"/api/resource/Expense Claim/{name}", json={"docstatus": 1})
    assert _events(logs, seen) == ["Before Validate", "Before Save", "Before Submit", "After Save", "After Submit"]
    seen = len(logs())
    r = client.put(f"/api/resource/Expense Claim/{name}", json={"approval_status": "Approved"})
    assert r.status_code == 200, r.get_json()
    assert _events(logs, seen) == ["Before Save (Submitted Document)", "After Save (Submitted Document)"]
    seen = len(logs())
    client.get(f"/printview?doctype=Expense%20Claim&name={name}")
    assert _events(logs, seen) == ["Before Print"]
    seen = len(logs())
    client.put(f"/api/resource/Expense Claim/{name}", json={"docstatus": 2})
    assert _events(logs, seen) == ["Before Cancel", "After Cancel"]
    seen = len(logs())
    assert client.delete(f"/api/resource/Expense Claim/{name}").get_json() == {"message": "ok"}
    assert _events(logs, seen) == ["Before Delete", "After Delete"]


def test_scripts_on_one_event_run_in_name_order(client, login_as, make_script):
    make_script("b second", "doc.description = doc.description + ' b'", reference_doctype="ToDo",
                doctype_event="Before Save")
    make_script("a first", "doc.description = doc.description + ' a'", reference_doctype="ToDo",
                doctype_event="Before Save")
    login_as("ann@example.com")
    r = client.post("/api/resource/ToDo", json={"description": "x"})
    assert r.get_json()["data"]["description"] == "x a b"


def test_after_event_changes_need_explicit_save(client, login_as, make_script):
    make_script("not saved", "doc.priority = 'High'", reference_doctype="ToDo", doctype_event="After Insert")
    login_as("ann@example.com")
    name = client.post("/api/resource/ToDo", json={"description": "x"}).get_json()["data"]["name"]
    assert client.get(f"/api/resource/ToDo/{name}").get_json()["data"]["priority"] == "Medium"


def test_after_event_can_save_explicitly(client, login_as, make_script):
    make_script("saved", "if doc.priority != 'High':\n    doc.priority = 'High'\n    doc.save()\n",
                reference_doctype="ToDo", doctype_event="After Insert")
    login_as("ann@example.com")
    name = client.post("/api/resource/ToDo", json={"description": "x"}).get_json()["data"]["name"]
    assert client.get(f"/api/resource/ToDo/{name}").get_json()["data"]["priority"] == "High"


@pytest.mark.parametrize("event", ["After Insert", "After Save", "Before Insert", "Before Validate", "Before Save"])
def test_failure_in_event_rolls_back_everything(client, login_as, make_script, logs, event):
    # The failing script first creates another document: it must vanish too.
    make_script("boom", "frappe.get_doc({'doctype': 'Note', 'title': 'side effect'}).insert()\n"
                        "frappe.throw('Refused by policy')\n", reference_doctype="ToDo", doctype_event=event)
    login_as("ann@example.com")
    r = client.post("/api/resource/ToDo", json={"description": "x"})
    assert r.status_code == 417
    assert r.get_json()["exception"] == "ValidationError: Refused by policy"
    assert client.get("/api/resource/ToDo").get_json()["data"] == []
    assert client.get("/api/resource/Note").get_json()["data"] == []
    # The log row survives the rollback, with the line.
    rows = logs(server_script="boom")
    assert [(row["status"], row["error"]) for row in rows] == [("Error", "ValidationError: Refused by policy (line 2)")]


@pytest.mark.parametrize("event", ["After Submit", "After Cancel", "After Delete", "After Save (Submitted Document)"])
def test_failure_in_late_after_events_rolls_back(client, login_as, make_script, event):
    login_as("boss@example.com", roles=["System Manager"])
    name = client.post("/api/resource/Expense Claim", json=CLAIM).get_json()["data"]["name"]
    if event in ("After Cancel", "After Save (Submitted Document)"):
        client.put(f"/api/resource/Expense Claim/{name}", json={"docstatus": 1})
    make_script("late boom", "frappe.throw('No')", reference_doctype="Expense Claim", doctype_event=event)
    before = client.get(f"/api/resource/Expense Claim/{name}").get_json()["data"]
    if event == "After Submit":
        r = client.put(f"/api/resource/Expense Claim/{name}", json={"docstatus": 1})
    elif event == "After Cancel":
        r = client.put(f"/api/resource/Expense Claim/{name}", json={"docstatus": 2})
    elif event == "After Delete":
        r = client.delete(f"/api/resource/Expense Claim/{name}")
    else:
        r = client.put(f"/api/resource/Expense Claim/{name}", json={"approval_status": "Approved"})
    assert r.status_code == 417
    after = client.get(f"/api/resource/Expense Claim/{name}").get_json()["data"]
    assert after == before


def test_unexpected_error_names_script_and_line(client, login_as, make_script, logs):
    make_script("typo", "x = 1\ny = undefined_name + 1\n", reference_doctype="ToDo", doctype_event="Before Save")
    login_as("ann@example.com")
    r = client.post("/api/resource/ToDo", json={"description": "x"})
    assert r.status_code == 417
    body = r.get_json()
    assert body["exc_type"] == "NameError"  # the original class, as Frappe clients expect
    assert "'typo'" in body["exception"] and "line 2" in body["exception"] and "NameError" in body["exception"]
    assert "Traceback" not in r.get_data(as_text=True)
    assert logs(server_script="typo")[0]["error"].startswith("NameError")


def test_commit_and_rollback_are_absent_in_doc_events(client, login_as, make_script):
    make_script("committer", "frappe.db.commit()", reference_doctype="ToDo", doctype_event="Before Save")
    login_as("ann@example.com")
    r = client.post("/api/resource/ToDo", json={"description": "x"})
    assert r.status_code == 417
    assert "AttributeError" in r.get_json()["exception"] and "commit" in r.get_json()["exception"]
    assert client.get("/api/resource/ToDo").get_json()["data"] == []


def test_print_output_reaches_the_log(client, login_as, make_script, logs):
    make_script("talker", "print('saving', doc.description)\nlog('done')\n", reference_doctype="ToDo",
                doctype_event="Before Save")
    login_as("ann@example.com")
    r = client.post("/api/resource/ToDo", json={"description": "hello"})
    assert "saving" not in r.get_data(as_text=True)
    row = logs(server_script="talker")[0]
    assert row["status"] == "Success" and row["output"] == "saving hello\ndone"
    assert row["user"] == "ann@example.com" and row["script_type"] == "DocType Event"
    assert row["trigger"].startswith("Before Save ToDo ") and row["duration_ms"] >= 0


def test_recursive_saves_end_with_a_clear_error(client, login_as, make_script):
    make_script("loop saver", "doc.save()", reference_doctype="Note", doctype_event="After Save")
    login_as("ann@example.com")
    r = client.post("/api/resource/Note", json={"title": "t"})
    assert r.status_code == 417
    assert "nest" in r.get_json()["exception"].lower()
    assert client.get("/api/resource/Note").get_json()["data"] == []
    assert client.get("/api/method/ping").status_code == 200


def test_disabled_script_does_not_run(client, login_as, make_script):
    make_script("off", "frappe.throw('should not run')", reference_doctype="ToDo", doctype_event="Before Save",
                disabled=1)
    login_as("ann@example.com")
    assert client.post("/api/resource/ToDo", json={"description": "x"}).status_code == 200


def test_script_change_takes_effect_on_next_request(client, login_as, make_script, admin_headers):
    make_script("prio", "doc.priority = 'Low'", reference_doctype="ToDo", doctype_event="Before Save")
    assert client.post("/api/resource/ToDo", json={"description": "x"}, headers=admin_headers).get_json()[
        "data"]["priority"] == "Low"
    client.put("/api/resource/Server Script/prio", json={"script": "doc.priority = 'High'"}, headers=admin_headers)
    assert client.post("/api/resource/ToDo", json={"description": "y"}, headers=admin_headers).get_json()[
        "data"]["priority"] == "High"
    client.delete("/api/resource/Server Script/prio", headers=admin_headers)
    assert client.post("/api/resource/ToDo", json={"description": "z"}, headers=admin_headers).get_json()[
        "data"]["priority"] == "Medium"


def test_a_script_killed_in_an_event_stops_the_operation_and_the_next_event_runs_afresh(
        client, login_as, make_script, logs, site_config):
    """The scripts of one event run as one sandbox group: a kill ends the spinning script and the
    operation (nothing written, the scripts after it never run), is logged with its line, and the
    next operation's scripts get a full budget of their own."""
    site_config(server_script_timeout=0.3)
    make_script("a stamp", "doc.description = doc.description + ' [a]'", reference_doctype="ToDo",
                doctype_event="Before Save")
    make_script("b spin", "if doc.description.startswith('spin'):\n    while True:\n        pass\n",
                reference_doctype="ToDo", doctype_event="Before Save")
    make_script("c stamp", "doc.description = doc.description + ' [c]'", reference_doctype="ToDo",
                doctype_event="Before Save")
    login_as("boss@example.com", roles=["System Manager"])
    r = client.post("/api/resource/ToDo", json={"description": "spin please"})
    assert r.status_code == 417 and r.get_json()["exc_type"] == "ScriptTimeoutError", r.get_json()
    assert "'b spin'" in r.get_json()["exception"]
    assert client.get("/api/resource/ToDo").get_json()["data"] == []
    rows = {row["server_script"]: row for row in logs()}
    assert rows["a stamp"]["status"] == "Success" and "c stamp" not in rows
    assert rows["b spin"]["status"] == "Timeout"
    assert "(line 2)" in rows["b spin"]["error"] or "(line 3)" in rows["b spin"]["error"]  # in the loop
    # The group is gone and nothing of the kill is left: the next insert runs all three scripts.
    r = client.post("/api/resource/ToDo", json={"description": "calm"})
    assert r.status_code == 200 and r.get_json()["data"]["description"] == "calm [a] [c]", r.get_json()
