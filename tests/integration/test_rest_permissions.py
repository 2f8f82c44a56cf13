"""The built-in doctypes' role permissions, through the REST API."""

from __future__ import annotations

import json

import pytest

from tests.unit.documents import helpers
from tests.unit.documents.helpers import assert_error, seed

api_as = helpers.api_as

EMP = "emp@example.com"
APPROVER = "approver@example.com"
SM = "sm@example.com"
PLAIN = "plain@example.com"


@pytest.mark.parametrize("doctype, body", [
    ("ToDo", {"description": "mine"}),
    ("Note", {"title": "my note"}),
    ("Task", {"subject": "my task"}),
])
def test_every_logged_in_user_uses_todo_note_task(api_as, doctype, body):
    api = api_as(PLAIN, roles=[])
    r = api.post(f"/api/resource/{doctype}", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)
    doc = r.get_json()["data"]
    assert doc["owner"] == PLAIN
    url = f"/api/resource/{doctype}/{doc['name']}"
    assert api.get(url).get_json()["data"]["name"] == doc["name"]
    assert [row["name"] for row in api.get(f"/api/resource/{doctype}").get_json()["data"]] == [doc["name"]]
    first = next(iter(body))
    assert api.put(url, json={first: "edited"}).get_json()["data"][first] == "edited"
    assert api.delete(url).get_json() == {"message": "ok"}


def test_employee_creates_and_edits_drafts_but_cannot_submit_or_cancel(app, api_as):
    emp = api_as(EMP, roles=["Employee"])
    r = emp.post("/api/resource/Expense Claim", json={"employee_name": "Emp", "expenses": [
        {"expense_type": "Taxi", "amount": 9}]})
    assert r.status_code == 200
    name = r.get_json()["data"]["name"]
    url = f"/api/resource/Expense Claim/{name}"
    assert emp.put(url, json={"remark": "draft edit"}).get_json()["data"]["remark"] == "draft edit"

    assert_error(emp.put(url, json={"docstatus": 1}), 403, "PermissionError", "submit")
    assert_error(emp.post("/api/resource/Expense Claim", json={"employee_name": "E", "docstatus": 1}), 403,
                 "PermissionError", "submit")
    assert_error(emp.post("/api/method/frappe.client.submit", json={"doc": {"doctype": "Expense Claim",
                                                                            "name": name}}), 403, "PermissionError")
    assert emp.get(url).get_json()["data"]["docstatus"] == 0
    assert emp.get("/api/resource/Expense Claim", query_string={"fields": '["name","docstatus"]'}).get_json() == {
        "data": [{"name": name, "docstatus": 0}]}

    seed(app, "Expense Claim", {"name": "SUBMITTED", "employee_name": "S", "docstatus": 1})
    assert_error(emp.put("/api/resource/Expense Claim/SUBMITTED", json={"docstatus": 2}), 403, "PermissionError",
                 "cancel")
    assert_error(emp.post("/api/method/frappe.client.cancel", json={"doctype": "Expense Claim", "name": "SUBMITTED"}),
                 403, "PermissionError")
    # "edits drafts": a submitted claim's approval is not the employee's to change
    assert_error(emp.put("/api/resource/Expense Claim/SUBMITTED", json={"approval_status": "Approved"}), 403,
                 "PermissionError")
    stored = emp.get("/api/resource/Expense Claim/SUBMITTED").get_json()["data"]
    assert (stored["docstatus"], stored["approval_status"]) == (1, "Draft")


def test_approver_submits_and_cancels_but_cannot_create(app, api_as):
    (name,) = seed(app, "Expense Claim", {"employee_name": "Emp"}, user="Administrator")
    approver = api_as(APPROVER, roles=["Expense Approver"])
    assert_error(approver.post("/api/resource/Expense Claim", json={"employee_name": "A"}), 403, "PermissionError",
                 "create")
    assert_error(approver.post("/api/method/frappe.client.insert",
                               json={"doc": {"doctype": "Expense Claim", "employee_name": "A"}}), 403, "PermissionError")
    assert_error(approver.delete(f"/api/resource/Expense Claim/{name}"), 403, "PermissionError", "delete")
    url = f"/api/resource/Expense Claim/{name}"
    r = approver.put(url, json={"approval_status": "Approved", "docstatus": 1})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert (r.get_json()["data"]["docstatus"], r.get_json()["data"]["approval_status"]) == (1, "Approved")
    assert approver.put(url, json={"remark": "approved by me"}).get_json()["data"]["remark"] == "approved by me"
    assert approver.put(url, json={"docstatus": 2}).get_json()["data"]["docstatus"] == 2
    stored = approver.get(url).get_json()["data"]
    assert (stored["docstatus"], stored["remark"]) == (2, "approved by me")


def test_system_manager_does_everything(api_as):
    sm = api_as(SM, roles=["System Manager"])
    r = sm.post("/api/resource/Expense Claim", json={"employee_name": "X", "docstatus": 1})
    assert r.status_code == 200
    url = f"/api/resource/Expense Claim/{r.get_json()['data']['name']}"
    assert sm.put(url, json={"docstatus": 2}).get_json()["data"]["docstatus"] == 2
    assert sm.delete(url).get_json() == {"message": "ok"}
    assert sm.get("/api/resource/Expense Claim").get_json() == {"data": []}


def test_users_without_expense_roles_see_no_claims(app, api_as):
    seed(app, "Expense Claim", {"employee_name": "Secret"})
    plain = api_as(PLAIN, roles=[])
    assert_error(plain.get("/api/resource/Expense Claim"), 403, "PermissionError")
    assert_error(plain.post("/api/resource/Expense Claim", json={"employee_name": "x"}), 403, "PermissionError")
    assert_error(plain.post("/api/method/frappe.client.get_count", json={"doctype": "Expense Claim"}), 403,
                 "PermissionError")
    assert_error(plain.post("/api/method/frappe.client.get_value", json={
        "doctype": "Expense Claim", "fieldname": "employee_name", "filters": {}}), 403, "PermissionError")


def _no_secrets(text: str) -> None:
    lowered = text.lower()
    for needle in ("password", "pbkdf2", "scrypt", "api_secret", "api_key", "secret", "hash"):
        assert needle not in lowered, needle


def test_user_is_readable_only_by_system_manager_and_holds_no_secrets(app, api_as, api_keys):
    api_keys(PLAIN, roles=["Employee"])  # PLAIN has a password hash and API credentials
    sm = api_as(SM, roles=["System Manager"])
    r = sm.get(f"/api/resource/User/{PLAIN}")
    assert r.status_code == 200
    doc = r.get_json()["data"]
    assert (doc["name"], doc["email"], doc["enabled"]) == (PLAIN, PLAIN, 1)
    assert [row["role"] for row in doc["roles"]] == ["Employee"]
    _no_secrets(r.get_data(as_text=True))
    r = sm.get("/api/resource/User", query_string={"fields": '["*"]', "limit_page_length": 0})
    assert {row["name"] for row in r.get_json()["data"]} >= {PLAIN, SM, "Administrator"}
    _no_secrets(r.get_data(as_text=True))
    for m in ("get", "get_list"):
        r = sm.post(f"/api/method/frappe.client.{m}", json={"doctype": "User", "name": PLAIN, "fields": ["*"]})
        assert r.status_code == 200
        _no_secrets(r.get_data(as_text=True))
    assert_error(sm.get("/api/resource/User", query_string={"fields": '["password"]'}), 417, "ValidationError")
    assert_error(sm.get("/api/resource/User", query_string={"filters": '{"api_secret": "x"}'}), 417, "ValidationError")

    emp = api_as(EMP, roles=["Employee", "Expense Approver"])
    assert_error(emp.get("/api/resource/User"), 403, "PermissionError")
    assert_error(emp.get(f"/api/resource/User/{PLAIN}"), 403, "PermissionError")
    assert_error(emp.post("/api/method/frappe.client.get_value", json={"doctype": "User", "fieldname": "email",
                                                                      "filters": PLAIN}), 403, "PermissionError")


def test_users_cannot_be_written_through_the_resource_api(api_as):
    sm = api_as(SM, roles=["System Manager"])
    r = sm.post("/api/resource/User", json={"name": "new@example.com", "email": "new@example.com"})
    assert r.status_code in (403, 417)
    r = sm.put(f"/api/resource/User/{SM}", json={"full_name": "Changed"})
    assert r.status_code in (403, 417)
    assert sm.get(f"/api/resource/User/{SM}").get_json()["data"]["full_name"] != "Changed"
    assert sm.delete(f"/api/resource/User/{SM}").status_code in (403, 417)
    assert sm.get(f"/api/resource/User/{SM}").status_code == 200


@pytest.mark.parametrize(("method", "url", "kwargs"), [
    ("get", "/api/resource/ToDo", {}),
    ("get", "/api/resource/ToDo/t1", {}),
    ("post", "/api/resource/ToDo", {"json": {"description": "guest"}}),
    ("put", "/api/resource/ToDo/t1", {"json": {"description": "guest"}}),
    ("delete", "/api/resource/ToDo/t1", {}),
    ("get", "/api/resource/User", {}),
    ("get", "/api/resource/Expense Claim", {}),
    ("post", "/api/method/frappe.client.get_list", {"json": {"doctype": "ToDo"}}),
    ("post", "/api/method/frappe.client.insert", {"json": {"doc": {"doctype": "ToDo", "description": "g"}}}),
])
def test_guests_are_refused(app, client, method, url, kwargs):
    seed(app, "ToDo", {"name": "t1", "description": "private"})
    r = getattr(client, method)(url, **kwargs)
    assert_error(r, 403, "PermissionError")
    assert "private" not in r.get_data(as_text=True)
    from webapp.services import documents

    with app.app_context():
        rows = documents.get_list("ToDo", fields=["name", "description"], ignore_permissions=True)
    assert rows == [{"name": "t1", "description": "private"}]


def test_bad_token_is_401(client):
    r = client.get("/api/resource/ToDo", headers={"Authorization": "token nope:nope"})
    assert_error(r, 401, "AuthenticationError")


def test_child_doctype_is_reached_only_through_its_parent(app, api_as):
    (name,) = seed(app, "Expense Claim", {"employee_name": "A", "expenses": [{"expense_type": "T", "amount": 1}]})
    sm = api_as("Administrator")
    row_name = sm.get(f"/api/resource/Expense Claim/{name}").get_json()["data"]["expenses"][0]["name"]
    for r in (sm.get("/api/resource/Expense Claim Detail"),
              sm.get(f"/api/resource/Expense Claim Detail/{row_name}"),
              sm.post("/api/resource/Expense Claim Detail", json={"expense_type": "x", "amount": 1, "parent": name}),
              sm.put(f"/api/resource/Expense Claim Detail/{row_name}", json={"amount": 100}),
              sm.delete(f"/api/resource/Expense Claim Detail/{row_name}"),
              sm.post("/api/method/frappe.client.get_list", json={"doctype": "Expense Claim Detail"}),
              sm.post("/api/method/frappe.client.get_count", json={"doctype": "Expense Claim Detail"})):
        assert r.status_code in (403, 417), r.get_data(as_text=True)
        assert "data" not in r.get_json() and "message" not in r.get_json()
    rows = sm.get(f"/api/resource/Expense Claim/{name}").get_json()["data"]["expenses"]
    assert [(row["name"], row["amount"]) for row in rows] == [(row_name, 1.0)]


def test_permission_error_envelope(api_as):
    plain = api_as(PLAIN, roles=[])
    r = plain.get("/api/resource/User")
    body = r.get_json()
    assert body["exc_type"] == "PermissionError"
    assert body["exception"] == f"PermissionError: Not permitted: {PLAIN} cannot read User"
    assert json.loads(json.loads(body["_server_messages"])[0])["message"] == f"Not permitted: {PLAIN} cannot read User"
