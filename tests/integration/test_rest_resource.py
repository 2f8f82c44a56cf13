"""/api/resource: list with fields, filters, operators, order and paging; create, read, update, delete.

Every test runs twice: with token auth and with an API-login session.
"""

from __future__ import annotations

import json

import pytest

from tests.unit.documents import helpers
from tests.unit.documents.helpers import assert_error, seed

# Shared fixtures (tests/unit/documents/helpers.py), made visible to pytest in this module.
api_as = helpers.api_as

TODOS = [
    {"name": "t1", "description": "Buy milk", "status": "Open", "priority": "High", "date": "2024-01-01"},
    {"name": "t2", "description": "Call Bob", "status": "Closed", "priority": "Low", "date": "2024-01-05"},
    {"name": "t3", "description": "buy bread", "status": "Open", "priority": "Medium", "date": "2024-01-10"},
    {"name": "t4", "description": "Write report", "status": "Cancelled", "priority": "Medium"},
    {"name": "t5", "description": "Pay rent", "status": "Open", "priority": "Low", "date": "2024-02-01",
     "allocated_to": "Administrator"},
]
CLAIMS = [
    {"name": "C1", "employee_name": "Ann", "total_claimed_amount": 10, "posting_date": "2024-03-01"},
    {"name": "C2", "employee_name": "Bob", "total_claimed_amount": 99.5, "posting_date": "2024-03-15"},
    {"name": "C3", "employee_name": "Cid", "total_claimed_amount": 250, "posting_date": "2024-04-01"},
]


@pytest.fixture
def admin(app, api_as):
    seed(app, "ToDo", *TODOS)
    seed(app, "Expense Claim", *CLAIMS)
    return api_as("Administrator")


def listing(api, doctype="ToDo", **params):
    query = {k: (v if isinstance(v, (str, int)) else json.dumps(v)) for k, v in params.items()}
    r = api.get(f"/api/resource/{doctype}", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == {"data"}
    return body["data"]


def names(api, doctype="ToDo", **params):
    return sorted(row["name"] for row in listing(api, doctype, fields=["name"], **params))


# -- fields -----------------------------------------------------------------------------------------
def test_default_fields_are_only_the_name(admin):
    rows = listing(admin)
    assert all(set(r) == {"name"} for r in rows)
    assert sorted(r["name"] for r in rows) == ["t1", "t2", "t3", "t4", "t5"]


def test_named_fields(admin):
    rows = listing(admin, fields=["name", "status", "date"], filters={"name": "t1"})
    assert rows == [{"name": "t1", "status": "Open", "date": "2024-01-01"}]


def test_fields_as_comma_text(admin):
    assert listing(admin, fields="name, priority", filters={"name": "t2"}) == [{"name": "t2", "priority": "Low"}]


def test_star_gives_every_column(admin):
    (row,) = listing(admin, fields=["*"], filters={"name": "t5"})
    assert {"name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "status", "priority", "date",
            "allocated_to", "description", "reference_type", "reference_name", "assigned_by"} == set(row)
    assert (row["allocated_to"], row["owner"], row["docstatus"]) == ("Administrator", "Administrator", 0)
    (claim,) = listing(admin, "Expense Claim", fields=["*"], filters={"name": "C2"})
    assert "expenses" not in claim and claim["total_claimed_amount"] == 99.5
    assert claim["posting_date"] == "2024-03-15"


def test_field_alias_and_count(admin):
    rows = listing(admin, fields=["name as id", "status as state"], filters={"name": "t2"})
    assert rows == [{"id": "t2", "state": "Closed"}]
    assert listing(admin, fields=["count(*) as count"], filters={"status": "Open"}, order_by="") == [{"count": 3}]
    r = admin.get("/api/resource/ToDo", query_string={"fields": '["name", "count(*)"]'})
    assert_error(r, 417, "ValidationError", "count(*) cannot be combined")


# -- filters ----------------------------------------------------------------------------------------
def test_filter_forms(admin):
    assert names(admin, filters={"status": "Open"}) == ["t1", "t3", "t5"]
    assert names(admin, filters={"date": [">", "2024-01-04"]}) == ["t2", "t3", "t5"]
    assert names(admin, filters=[["priority", "=", "Low"]]) == ["t2", "t5"]
    assert names(admin, filters=[["ToDo", "priority", "=", "Medium"], ["ToDo", "status", "=", "Open"]]) == ["t3"]
    assert names(admin, filters={"status": "Open", "priority": ["!=", "High"]}) == ["t3", "t5"]


@pytest.mark.parametrize(("flt", "expected"), [
    (["date", "=", "2024-01-05"], ["t2"]),
    (["date", "!=", "2024-01-05"], ["t1", "t3", "t4", "t5"]),  # an unset date is "not equal", as in Frappe
    (["date", ">", "2024-01-05"], ["t3", "t5"]),
    (["date", "<", "2024-01-05"], ["t1"]),
    (["date", ">=", "2024-01-05"], ["t2", "t3", "t5"]),
    (["date", "<=", "2024-01-05"], ["t1", "t2"]),
    (["date", "between", ["2024-01-02", "2024-01-10"]], ["t2", "t3"]),
    (["date", "is", "set"], ["t1", "t2", "t3", "t5"]),
    (["date", "is", "not set"], ["t4"]),
    (["allocated_to", "is", "set"], ["t5"]),
    (["allocated_to", "is", "not set"], ["t1", "t2", "t3", "t4"]),
    (["description", "like", "%milk%"], ["t1"]),
    (["description", "like", "buy%"], ["t1", "t3"]),  # case-insensitive on every database, as on MariaDB
    (["description", "not like", "%b%"], ["t4", "t5"]),
    (["status", "in", ["Closed", "Cancelled"]], ["t2", "t4"]),
    (["status", "in", "Closed, Cancelled"], ["t2", "t4"]),
    (["status", "not in", ["Closed", "Cancelled"]], ["t1", "t3", "t5"]),
    (["status", "IN", ["Closed"]], ["t2"]),
])
def test_operators_on_todo(admin, flt, expected):
    assert names(admin, filters=[flt]) == expected


@pytest.mark.parametrize(("flt", "expected"), [
    (["total_claimed_amount", "=", 99.5], ["C2"]),
    (["total_claimed_amount", "=", "10"], ["C1"]),
    (["total_claimed_amount", "!=", 10], ["C2", "C3"]),
    (["total_claimed_amount", ">", 99.5], ["C3"]),
    (["total_claimed_amount", "<", "99.5"], ["C1"]),
    (["total_claimed_amount", ">=", 99.5], ["C2", "C3"]),
    (["total_claimed_amount", "<=", 100], ["C1", "C2"]),
    (["total_claimed_amount", "between", [50, 300]], ["C2", "C3"]),
    (["total_claimed_amount", "in", [10, 250]], ["C1", "C3"]),
    (["total_claimed_amount", "not in", [10, 250]], ["C2"]),
    (["posting_date", "between", ["2024-03-01", "2024-03-31"]], ["C1", "C2"]),
    (["posting_date", ">", "2024-03-01"], ["C2", "C3"]),
    (["docstatus", "=", 0], ["C1", "C2", "C3"]),
    (["docstatus", "=", "1"], []),
    (["creation", "is", "set"], ["C1", "C2", "C3"]),
])
def test_operators_on_numbers_and_dates(admin, flt, expected):
    assert names(admin, "Expense Claim", filters=[flt]) == expected


def test_number_filter_on_check_field(admin, app):
    seed(app, "Note", {"title": "pub", "public": 1}, {"title": "priv"})
    assert names(admin, "Note", filters={"public": 1}) == ["pub"]
    assert names(admin, "Note", filters={"public": ["!=", 1]}) == ["priv"]


# -- order and paging -------------------------------------------------------------------------------
def test_order_by(admin):
    rows = listing(admin, fields=["name"], order_by="date asc", filters={"date": ["is", "set"]})
    assert [r["name"] for r in rows] == ["t1", "t2", "t3", "t5"]
    rows = listing(admin, fields=["name"], order_by="name desc")
    assert [r["name"] for r in rows] == ["t5", "t4", "t3", "t2", "t1"]
    rows = listing(admin, fields=["name"], order_by="priority asc, name desc")
    assert [r["name"] for r in rows] == ["t1", "t5", "t2", "t4", "t3"]
    rows = listing(admin, fields=["name"], order_by="`tabToDo`.`name` asc")
    assert [r["name"] for r in rows] == ["t1", "t2", "t3", "t4", "t5"]


def test_default_order_is_newest_first(admin, app):
    (late,) = seed(app, "ToDo", {"description": "latest"})
    assert listing(admin)[0]["name"] == late


def test_paging(admin, app):
    seed(app, "ToDo", *({"name": f"p{i:02d}", "description": f"bulk {i}"} for i in range(25)))
    assert len(listing(admin)) == 20  # default page length
    assert len(listing(admin, limit_page_length=0)) == 30  # 0 = all
    page = listing(admin, order_by="name asc", limit_start=20, limit_page_length=3)
    assert [r["name"] for r in page] == ["p20", "p21", "p22"]
    assert [r["name"] for r in listing(admin, order_by="name asc", limit_start=28)] == ["t4", "t5"]
    assert len(listing(admin, limit=7)) == 7


# -- create -----------------------------------------------------------------------------------------
def test_create_from_json_body(admin):
    r = admin.post("/api/resource/ToDo", json={"description": "new one", "priority": "High", "date": "2024-05-01"})
    assert r.status_code == 200
    doc = r.get_json()["data"]
    assert (doc["description"], doc["priority"], doc["status"], doc["date"], doc["doctype"]) == (
        "new one", "High", "Open", "2024-05-01", "ToDo")
    assert doc["owner"] == "Administrator" and doc["docstatus"] == 0 and len(doc["name"]) == 10
    stored = admin.get(f"/api/resource/ToDo/{doc['name']}").get_json()["data"]
    assert stored["description"] == "new one" and stored["modified"] == doc["modified"]


def test_create_from_form_field_data(admin):
    r = admin.post("/api/resource/Note", data={"data": json.dumps({"title": "From form", "content": "c"})})
    assert r.status_code == 200
    assert r.get_json()["data"]["name"] == "From form"
    assert admin.get("/api/resource/Note/From form").get_json()["data"]["content"] == "c"


def test_create_ignores_system_fields_from_the_client(admin):
    r = admin.post("/api/resource/ToDo", json={"description": "x", "owner": "someone@else", "creation": "2000-01-01",
                                               "modified_by": "x", "__islocal": 1, "doctype": "ToDo"})
    doc = r.get_json()["data"]
    assert r.status_code == 200 and doc["owner"] == "Administrator" and not doc["creation"].startswith("2000")


def test_create_with_child_rows_and_get_them_back(admin):
    body = {"employee_name": "Dee", "expenses": [
        {"expense_type": "Taxi", "amount": 12.5, "expense_date": "2024-06-01", "__islocal": 1},
        {"expense_type": "Hotel", "amount": "80"}]}
    r = admin.post("/api/resource/Expense Claim", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)
    name = r.get_json()["data"]["name"]
    doc = admin.get(f"/api/resource/Expense Claim/{name}").get_json()["data"]
    assert [(e["idx"], e["expense_type"], e["amount"], e["parent"], e["parenttype"], e["parentfield"], e["doctype"])
            for e in doc["expenses"]] == [
        (1, "Taxi", 12.5, name, "Expense Claim", "expenses", "Expense Claim Detail"),
        (2, "Hotel", 80.0, name, "Expense Claim", "expenses", "Expense Claim Detail")]
    assert doc["expenses"][0]["expense_date"] == "2024-06-01" and doc["approval_status"] == "Draft"


def test_create_submitted(admin):
    r = admin.post("/api/resource/Expense Claim", json={"employee_name": "Eve", "docstatus": 1})
    assert r.status_code == 200 and r.get_json()["data"]["docstatus"] == 1
    name = r.get_json()["data"]["name"]
    assert admin.get(f"/api/resource/Expense Claim/{name}").get_json()["data"]["docstatus"] == 1


# -- update and delete ------------------------------------------------------------------------------
def test_put_changes_only_the_given_fields(admin):
    r = admin.put("/api/resource/ToDo/t1", json={"status": "Closed"})
    assert r.status_code == 200
    doc = r.get_json()["data"]
    assert (doc["status"], doc["description"], doc["priority"], doc["date"]) == ("Closed", "Buy milk", "High", "2024-01-01")
    assert admin.get("/api/resource/ToDo/t1").get_json()["data"]["status"] == "Closed"


def test_put_with_form_field_data(admin):
    r = admin.put("/api/resource/ToDo/t2", data={"data": json.dumps({"priority": "High"})})
    assert r.status_code == 200 and admin.get("/api/resource/ToDo/t2").get_json()["data"]["priority"] == "High"


def test_put_cannot_rename(admin):
    r = admin.put("/api/resource/ToDo/t1", json={"name": "other", "description": "d"})
    assert r.status_code == 200 and r.get_json()["data"]["name"] == "t1"
    assert names(admin) == ["t1", "t2", "t3", "t4", "t5"]


def test_put_submits_then_cancels(admin):
    r = admin.put("/api/resource/Expense Claim/C1", json={"docstatus": 1})
    assert r.status_code == 200 and r.get_json()["data"]["docstatus"] == 1
    r = admin.put("/api/resource/Expense Claim/C1", json={"approval_status": "Approved"})
    assert r.get_json()["data"]["approval_status"] == "Approved"
    r = admin.put("/api/resource/Expense Claim/C1", json={"docstatus": 2})
    assert r.status_code == 200 and r.get_json()["data"]["docstatus"] == 2
    stored = admin.get("/api/resource/Expense Claim/C1").get_json()["data"]
    assert (stored["docstatus"], stored["approval_status"]) == (2, "Approved")


def test_put_refuses_bad_transitions(admin):
    assert_error(admin.put("/api/resource/Expense Claim/C1", json={"docstatus": 2}), 417, "ValidationError", "0 to 2")
    admin.put("/api/resource/Expense Claim/C1", json={"docstatus": 1})
    assert_error(admin.put("/api/resource/Expense Claim/C1", json={"docstatus": 0}), 417, "ValidationError", "1 to 0")
    assert_error(admin.put("/api/resource/Expense Claim/C1", json={"employee_name": "Zed"}), 417, "ValidationError",
                 "Not allowed to change Employee Name after submission")
    assert_error(admin.delete("/api/resource/Expense Claim/C1"), 417, "ValidationError", "cancel it first")
    assert_error(admin.put("/api/resource/ToDo/t1", json={"docstatus": 1}), 417, "ValidationError", "not submittable")
    assert admin.get("/api/resource/Expense Claim/C1").get_json()["data"]["employee_name"] == "Ann"


def test_put_with_a_stale_modified_is_refused(admin):
    old = admin.get("/api/resource/ToDo/t1").get_json()["data"]["modified"]
    fresh = admin.put("/api/resource/ToDo/t1", json={"status": "Closed"}).get_json()["data"]["modified"]
    r = admin.put("/api/resource/ToDo/t1", json={"status": "Cancelled", "modified": old})
    assert_error(r, 417, "TimestampMismatchError", "reload")
    r = admin.put("/api/resource/ToDo/t1", json={"status": "Cancelled", "modified": fresh})
    assert r.status_code == 200
    assert admin.get("/api/resource/ToDo/t1").get_json()["data"]["status"] == "Cancelled"


def test_put_replaces_child_rows(admin, app):
    r = admin.post("/api/resource/Expense Claim", json={"employee_name": "R", "expenses": [
        {"expense_type": "A", "amount": 1}, {"expense_type": "B", "amount": 2}, {"expense_type": "C", "amount": 3}]})
    doc = r.get_json()["data"]
    rows = doc["expenses"]
    r = admin.put(f"/api/resource/Expense Claim/{doc['name']}", json={"expenses": [rows[2], rows[0]]})
    assert r.status_code == 200
    stored = admin.get(f"/api/resource/Expense Claim/{doc['name']}").get_json()["data"]
    assert [(e["idx"], e["expense_type"], e["name"]) for e in stored["expenses"]] == [
        (1, "C", rows[2]["name"]), (2, "A", rows[0]["name"])]


def test_delete(admin):
    r = admin.delete("/api/resource/ToDo/t1")
    assert r.status_code == 200 and r.get_json() == {"message": "ok"}
    assert_error(admin.get("/api/resource/ToDo/t1"), 404, "DoesNotExistError", "ToDo t1 not found")
    assert names(admin) == ["t2", "t3", "t4", "t5"]


def test_delete_removes_child_rows(admin, app):
    name = admin.post("/api/resource/Expense Claim", json={"employee_name": "R", "expenses": [
        {"expense_type": "A", "amount": 1}]}).get_json()["data"]["name"]
    assert admin.delete(f"/api/resource/Expense Claim/{name}").get_json() == {"message": "ok"}
    from webapp.services import documents

    with app.app_context():
        assert documents.get_list("Expense Claim Detail", ignore_permissions=True, limit_page_length=0) == []


def test_names_with_slashes_and_spaces(admin):
    r = admin.post("/api/resource/Note", json={"title": "a/b c"})
    assert r.status_code == 200
    assert admin.get("/api/resource/Note/a/b c").get_json()["data"]["title"] == "a/b c"
    assert admin.delete("/api/resource/Note/a%2Fb%20c").get_json() == {"message": "ok"}


def test_child_row_names_cannot_collide(admin):
    """Rows copied from another claim (or twice in one) become new rows, never a clash or a 500."""
    first = admin.post("/api/resource/Expense Claim", json={"employee_name": "A", "expenses": [
        {"expense_type": "A", "amount": 1}]}).get_json()["data"]
    row = first["expenses"][0]
    r = admin.post("/api/resource/Expense Claim", json={"employee_name": "B", "expenses": [row, row]})
    assert r.status_code == 200, r.get_data(as_text=True)
    second = r.get_json()["data"]
    names_ = [e["name"] for e in second["expenses"]]
    assert len(set(names_)) == 2 and row["name"] not in names_
    assert [e["parent"] for e in second["expenses"]] == [second["name"]] * 2
    again = admin.get(f"/api/resource/Expense Claim/{first['name']}").get_json()["data"]
    assert [(e["name"], e["parent"]) for e in again["expenses"]] == [(row["name"], first["name"])]


def test_child_rows_keep_their_creation_and_owner(admin):
    doc = admin.post("/api/resource/Expense Claim", json={"employee_name": "A", "expenses": [
        {"expense_type": "A", "amount": 1}]}).get_json()["data"]
    row = dict(doc["expenses"][0], creation="2000-01-01 00:00:00", owner="mallory@example.com", amount=2)
    r = admin.put(f"/api/resource/Expense Claim/{doc['name']}", json={"expenses": [row]})
    assert r.status_code == 200, r.get_data(as_text=True)
    stored = admin.get(f"/api/resource/Expense Claim/{doc['name']}").get_json()["data"]["expenses"][0]
    assert (stored["creation"], stored["owner"], stored["amount"]) == (
        doc["expenses"][0]["creation"], "Administrator", 2.0)
