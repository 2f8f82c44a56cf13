"""Lifecycle events fire in Frappe's order (docs/architecture.md, "Document events"), and Before changes are saved."""

from __future__ import annotations

import pytest

from tests.unit.documents import helpers

# Shared fixtures (tests/unit/documents/helpers.py), made visible to pytest in this module.
listener = helpers.listener
recorder = helpers.recorder


INSERT = ["before_insert", "before_naming", "before_validate", "validate", "after_insert", "on_update"]
INSERT_SUBMITTED = ["before_insert", "before_naming", "before_validate", "validate", "before_submit",
                    "after_insert", "on_update", "on_submit"]
SAVE = ["before_validate", "validate", "on_update"]
SUBMIT = ["before_validate", "validate", "before_submit", "on_update", "on_submit"]
CANCEL = ["before_cancel", "on_cancel"]
UPDATE_AFTER_SUBMIT = ["before_update_after_submit", "on_update_after_submit"]
DELETE = ["on_trash", "after_delete"]


@pytest.fixture
def services(app, db):
    from webapp.services import documents
    from webapp.services.context import acting_as

    with acting_as("Administrator"):
        yield documents


def events_of(recorder) -> list[str]:
    out = [event for event, _doctype in recorder]
    recorder.clear()
    return out


def test_event_order_for_every_operation(services, recorder):
    doc = services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann"}))
    assert events_of(recorder) == INSERT
    doc.remark = "draft edit"
    services.save(doc)
    assert events_of(recorder) == SAVE
    services.submit(doc)
    assert events_of(recorder) == SUBMIT
    doc.approval_status = "Approved"
    services.save(doc)
    assert events_of(recorder) == UPDATE_AFTER_SUBMIT
    services.cancel(doc)
    assert events_of(recorder) == CANCEL
    services.print_doc("Expense Claim", doc.name)
    assert events_of(recorder) == ["before_print"]
    services.delete("Expense Claim", doc.name)
    assert events_of(recorder) == DELETE


def test_event_order_for_insert_as_submitted(services, recorder):
    services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann", "docstatus": 1}))
    assert events_of(recorder) == INSERT_SUBMITTED


def test_events_through_rest(app, client, api_keys, recorder):
    auth = api_keys("Administrator")
    r = client.post("/api/resource/Expense Claim", json={"employee_name": "Ann", "docstatus": 1}, headers=auth)
    assert r.status_code == 200 and r.get_json()["data"]["docstatus"] == 1
    assert events_of(recorder) == INSERT_SUBMITTED
    name = r.get_json()["data"]["name"]
    r = client.put(f"/api/resource/Expense Claim/{name}", json={"remark": "after"}, headers=auth)
    assert r.status_code == 200 and events_of(recorder) == UPDATE_AFTER_SUBMIT
    r = client.put(f"/api/resource/Expense Claim/{name}", json={"docstatus": 2}, headers=auth)
    assert r.status_code == 200 and events_of(recorder) == CANCEL
    r = client.delete(f"/api/resource/Expense Claim/{name}", headers=auth)
    assert r.get_json() == {"message": "ok"} and events_of(recorder) == DELETE

    r = client.post("/api/resource/Expense Claim", json={"employee_name": "Bob"}, headers=auth)
    assert events_of(recorder) == INSERT
    name = r.get_json()["data"]["name"]
    client.put(f"/api/resource/Expense Claim/{name}", json={"remark": "x"}, headers=auth)
    assert events_of(recorder) == SAVE
    client.put(f"/api/resource/Expense Claim/{name}", json={"docstatus": 1}, headers=auth)
    assert events_of(recorder) == SUBMIT


def test_child_rows_fire_no_events_of_their_own(services, recorder):
    doc = services.new_doc("Expense Claim", {"employee_name": "Ann"})
    doc.append("expenses", {"expense_type": "Taxi", "amount": 1})
    services.insert(doc)
    assert {doctype for _event, doctype in recorder} == {"Expense Claim"}


@pytest.mark.parametrize("event", ["before_insert", "before_naming", "before_validate", "validate"])
def test_changes_made_in_a_before_insert_event_are_saved(services, listener, event):
    def change(doc, fired):
        if fired == event:
            doc.status = "Closed"
            doc.description = f"set in {event}"

    listener(change)
    doc = services.insert(services.new_doc("ToDo", {"description": "x"}))
    stored = services.get_doc("ToDo", doc.name)
    assert (stored.status, stored.description) == ("Closed", f"set in {event}")


def test_before_naming_can_choose_the_note_title(services, listener):
    def rename(doc, fired):
        if fired == "before_insert" and doc.doctype == "Note":
            doc.title = doc.title.upper()

    listener(rename)
    services.insert(services.new_doc("Note", {"title": "shout"}))
    assert services.get_doc("Note", "SHOUT").title == "SHOUT"


@pytest.mark.parametrize(("event", "operation"), [
    ("validate", "save"), ("before_validate", "save"), ("before_submit", "submit"),
    ("before_update_after_submit", "update"), ("before_cancel", "cancel"),
])
def test_changes_made_in_before_events_of_a_save_are_saved(services, listener, event, operation):
    def change(doc, fired):
        if fired == event and doc.doctype == "Expense Claim":
            doc.remark = f"from {event}"
            if event == "before_cancel":
                doc.remark = "trip"  # cancelling may change nothing except allow_on_submit fields
                doc.approval_status = "Rejected"

    doc = services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann", "remark": "trip"}))
    if operation in ("update", "cancel"):
        services.submit(doc)
    listener(change)
    if operation == "save":
        services.save(doc)
    elif operation == "submit":
        services.submit(doc)
    elif operation == "update":
        services.save(doc)
    else:
        services.cancel(doc)
    stored = services.get_doc("Expense Claim", doc.name)
    if event == "before_cancel":
        assert (stored.approval_status, stored.docstatus) == ("Rejected", 2)
    else:
        assert stored.remark == f"from {event}"


def test_after_event_changes_need_an_explicit_save(services, listener):
    def after(doc, fired):
        if fired == "on_update" and doc.doctype == "ToDo" and doc.description == "x":
            doc.description = "changed after save"  # not saved: an After event must call doc.save()

    listener(after)
    doc = services.insert(services.new_doc("ToDo", {"description": "x"}))
    assert services.get_doc("ToDo", doc.name).description == "x"


def test_after_event_may_save_again(services, listener):
    def after(doc, fired):
        if fired == "after_insert" and doc.doctype == "ToDo":
            doc.description = "saved from after_insert"
            doc.save()

    listener(after)
    doc = services.insert(services.new_doc("ToDo", {"description": "x"}))
    assert services.get_doc("ToDo", doc.name).description == "saved from after_insert"


def test_a_before_event_may_not_change_docstatus(services, listener):
    from webapp.errors import ValidationError

    def sneaky(doc, fired):
        if fired == "validate" and doc.doctype == "Expense Claim":
            doc.docstatus = 1

    doc = services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann"}))
    listener(sneaky)
    doc.remark = "x"
    with pytest.raises(ValidationError, match="docstatus"):
        services.save(doc)
    assert services.get_doc("Expense Claim", doc.name).docstatus == 0
