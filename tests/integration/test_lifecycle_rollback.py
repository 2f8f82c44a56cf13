"""A failing event rolls the whole operation back: no row, no child rows, no series number used."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.documents import helpers
from webapp.errors import ValidationError

# Shared fixtures (tests/unit/documents/helpers.py), made visible to pytest in this module.
listener = helpers.listener


YEAR = dt.date.today().year
INSERT_EVENTS = ["before_insert", "before_naming", "before_validate", "validate", "before_submit",
                 "after_insert", "on_update", "on_submit"]


def fail_on(event: str, doctype: str = "Expense Claim", exc: type[Exception] = ValidationError):
    def listen(doc, fired):
        if fired == event and doc.doctype == doctype:
            raise exc(f"Refused in {fired}")

    return listen


def rows(app, doctype: str) -> list[dict]:
    from webapp.services import documents

    with app.app_context():
        return documents.get_list(doctype, fields=["*"], limit_page_length=0, ignore_permissions=True)


def series_value(app, prefix: str):
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.models.series import Series

    with app.app_context():
        return db.session.execute(sa.select(Series.current).where(Series.name == prefix)).scalar()


CLAIM = {"employee_name": "Ann", "docstatus": 1, "expenses": [{"expense_type": "Taxi", "amount": 10},
                                                              {"expense_type": "Hotel", "amount": 90}]}


@pytest.mark.parametrize("event", INSERT_EVENTS)
def test_failing_insert_event_leaves_nothing(app, client, api_keys, listener, event):
    auth = api_keys("Administrator")
    failing = listener(fail_on(event))
    r = client.post("/api/resource/Expense Claim", json=CLAIM, headers=auth)
    helpers.assert_error(r, 417, "ValidationError", f"Refused in {event}")
    assert rows(app, "Expense Claim") == []
    assert rows(app, "Expense Claim Detail") == []
    assert not series_value(app, f"HR-EXP-{YEAR}-")  # the counter rolled back with the insert

    listener.remove(failing)
    r = client.post("/api/resource/Expense Claim", json=CLAIM, headers=auth)
    assert r.get_json()["data"]["name"] == f"HR-EXP-{YEAR}-00001"
    assert len(rows(app, "Expense Claim Detail")) == 2


@pytest.mark.parametrize("event", ["before_validate", "validate", "on_update"])
def test_failing_save_event_keeps_the_stored_version(app, client, api_keys, listener, event):
    auth = api_keys("Administrator")
    name = client.post("/api/resource/Expense Claim", json={**CLAIM, "docstatus": 0}, headers=auth).get_json()["data"]["name"]
    listener(fail_on(event))
    r = client.put(f"/api/resource/Expense Claim/{name}",
                   json={"remark": "changed", "expenses": [{"expense_type": "Food", "amount": 1}]}, headers=auth)
    helpers.assert_error(r, 417, "ValidationError", f"Refused in {event}")
    doc = client.get(f"/api/resource/Expense Claim/{name}", headers=auth).get_json()["data"]
    assert doc["remark"] is None
    assert [(e["expense_type"], e["amount"]) for e in doc["expenses"]] == [("Taxi", 10.0), ("Hotel", 90.0)]


@pytest.mark.parametrize(("event", "start", "change", "kept"), [
    ("before_submit", 0, {"docstatus": 1}, 0),
    ("on_submit", 0, {"docstatus": 1}, 0),
    ("before_update_after_submit", 1, {"approval_status": "Approved"}, 1),
    ("on_update_after_submit", 1, {"approval_status": "Approved"}, 1),
    ("before_cancel", 1, {"docstatus": 2}, 1),
    ("on_cancel", 1, {"docstatus": 2}, 1),
])
def test_failing_submit_cancel_events_keep_docstatus(app, client, api_keys, listener, event, start, change, kept):
    auth = api_keys("Administrator")
    name = client.post("/api/resource/Expense Claim", json={**CLAIM, "docstatus": start},
                       headers=auth).get_json()["data"]["name"]
    listener(fail_on(event))
    r = client.put(f"/api/resource/Expense Claim/{name}", json=change, headers=auth)
    helpers.assert_error(r, 417, "ValidationError", f"Refused in {event}")
    doc = client.get(f"/api/resource/Expense Claim/{name}", headers=auth).get_json()["data"]
    assert (doc["docstatus"], doc["approval_status"]) == (kept, "Draft")
    assert {e["docstatus"] for e in doc["expenses"]} == {kept}


@pytest.mark.parametrize("event", ["on_trash", "after_delete"])
def test_failing_delete_event_keeps_the_document_and_rows(app, client, api_keys, listener, event):
    auth = api_keys("Administrator")
    name = client.post("/api/resource/Expense Claim", json={**CLAIM, "docstatus": 0}, headers=auth).get_json()["data"]["name"]
    listener(fail_on(event))
    r = client.delete(f"/api/resource/Expense Claim/{name}", headers=auth)
    helpers.assert_error(r, 417, "ValidationError", f"Refused in {event}")
    assert [d["name"] for d in rows(app, "Expense Claim")] == [name]
    assert len(rows(app, "Expense Claim Detail")) == 2


def test_unexpected_error_in_an_event_is_a_500_and_rolls_back(app, client, api_keys, listener):
    auth = api_keys("Administrator")
    listener(fail_on("on_update", exc=RuntimeError))
    r = client.post("/api/resource/Expense Claim", json=CLAIM, headers=auth)
    assert r.status_code == 500
    body = r.get_json()
    assert body["exc_type"] == "RuntimeError" and "Refused" not in body["exception"]
    assert "Traceback" not in r.get_data(as_text=True)
    assert rows(app, "Expense Claim") == [] and rows(app, "Expense Claim Detail") == []


def test_document_inserted_by_a_listener_is_dropped_when_the_outer_operation_fails(app, client, api_keys, listener):
    auth = api_keys("Administrator")

    def side_effect(doc, fired):
        if doc.doctype == "Expense Claim" and fired == "after_insert":
            from webapp.services import documents

            documents.insert(documents.new_doc("Task", {"subject": f"Review {doc.name}"}))
            documents.insert(documents.new_doc("Note", {"title": f"Note for {doc.name}"}))

    listener(side_effect)
    failing = listener(fail_on("on_submit"))
    r = client.post("/api/resource/Expense Claim", json=CLAIM, headers=auth)
    helpers.assert_error(r, 417, "ValidationError", "Refused in on_submit")
    assert rows(app, "Expense Claim") == [] and rows(app, "Task") == [] and rows(app, "Note") == []
    assert not series_value(app, "TASK-")

    listener.remove(failing)  # stop failing: both documents are now kept
    r = client.post("/api/resource/Expense Claim", json=CLAIM, headers=auth)
    assert r.status_code == 200
    assert [t["subject"] for t in rows(app, "Task")] == [f"Review HR-EXP-{YEAR}-00001"]
    assert rows(app, "Task")[0]["name"] == "TASK-00001"


def test_failing_insert_through_the_service_raises_and_leaves_nothing(app, db, listener):
    from webapp.services import documents
    from webapp.services.context import acting_as

    listener(fail_on("after_insert", doctype="Task"))
    with acting_as("Administrator"):
        with pytest.raises(ValidationError, match="Refused in after_insert"):
            documents.insert(documents.new_doc("Task", {"subject": "x"}))
    assert rows(app, "Task") == [] and not series_value(app, "TASK-")


def test_a_before_insert_event_may_not_submit_the_document(app, client, api_keys, listener):
    """A listener that flips docstatus would skip the submit permission check and the submit events."""
    auth = api_keys("emp@example.com", roles=["Employee"])

    def sneaky(doc, fired):
        if fired == "validate" and doc.doctype == "Expense Claim":
            doc.docstatus = 1

    listener(sneaky)
    r = client.post("/api/resource/Expense Claim", json={"employee_name": "Ann"}, headers=auth)
    helpers.assert_error(r, 417, "ValidationError", "docstatus")
    assert rows(app, "Expense Claim") == []
