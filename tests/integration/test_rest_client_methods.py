"""frappe.client.* over /api/method and the legacy `POST /` with cmd=, with arguments as query
string, form fields (JSON-encoded where structured) or a JSON body."""

from __future__ import annotations

import json

import pytest

from tests.unit.documents import helpers
from tests.unit.documents.helpers import assert_error, seed

api_as = helpers.api_as

STYLES = ["query", "form", "json", "legacy"]


@pytest.fixture
def admin(app, api_as):
    seed(app, "ToDo", {"name": "t1", "description": "one", "status": "Open", "priority": "High"},
         {"name": "t2", "description": "two", "status": "Closed", "priority": "Low"},
         {"name": "t3", "description": "three", "status": "Open", "priority": "Low"})
    return api_as("Administrator")


def call(api, method: str, style: str, http: str = "POST", **args):
    """Call frappe.client.<method> in one of the four argument styles."""
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in args.items()}
    if style == "query":
        return api._call(http.lower(), f"/api/method/frappe.client.{method}", query_string=encoded)
    if style == "form":
        return api._call(http.lower(), f"/api/method/frappe.client.{method}", data=encoded)
    if style == "json":
        return api._call(http.lower(), f"/api/method/frappe.client.{method}", json=args)
    return api.post("/", data={"cmd": f"frappe.client.{method}", **encoded})


def message(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["message"]


@pytest.mark.parametrize("style", STYLES)
def test_get(admin, style):
    doc = message(call(admin, "get", style, doctype="ToDo", name="t1"))
    assert (doc["name"], doc["description"], doc["doctype"]) == ("t1", "one", "ToDo")
    doc = message(call(admin, "get", style, doctype="ToDo", filters={"description": "two"}))
    assert doc["name"] == "t2"
    assert_error(call(admin, "get", style, doctype="ToDo", name="zz"), 404, "DoesNotExistError")


@pytest.mark.parametrize("style", STYLES)
def test_get_list(admin, style):
    rows = message(call(admin, "get_list", style, doctype="ToDo", fields=["name", "priority"],
                        filters=[["status", "=", "Open"]], order_by="name desc"))
    assert rows == [{"name": "t3", "priority": "Low"}, {"name": "t1", "priority": "High"}]
    rows = message(call(admin, "get_list", style, doctype="ToDo", limit_page_length=1, limit_start=1,
                        order_by="name asc"))
    assert rows == [{"name": "t2"}]
    assert_error(call(admin, "get_list", style, doctype="ToDo", fields=["nope"]), 417, "ValidationError")


@pytest.mark.parametrize("style", STYLES)
def test_get_value(admin, style):
    assert message(call(admin, "get_value", style, doctype="ToDo", fieldname="description",
                        filters={"name": "t2"})) == {"description": "two"}
    assert message(call(admin, "get_value", style, doctype="ToDo", fieldname=["status", "priority"],
                        filters="t1")) == {"status": "Open", "priority": "High"}
    assert message(call(admin, "get_value", style, doctype="ToDo", fieldname="name",
                        filters={"status": "Cancelled"})) is None


@pytest.mark.parametrize("style", STYLES)
def test_get_count(admin, style):
    assert message(call(admin, "get_count", style, doctype="ToDo")) == 3
    assert message(call(admin, "get_count", style, doctype="ToDo", filters={"status": "Open"})) == 2


@pytest.mark.parametrize("style", STYLES)
def test_set_value(admin, style):
    doc = message(call(admin, "set_value", style, doctype="ToDo", name="t1", fieldname="status", value="Closed"))
    assert doc["status"] == "Closed"
    doc = message(call(admin, "set_value", style, doctype="ToDo", name="t1",
                       fieldname={"priority": "Low", "description": "changed"}))
    assert (doc["priority"], doc["description"]) == ("Low", "changed")
    stored = message(call(admin, "get", style, doctype="ToDo", name="t1"))
    assert (stored["status"], stored["priority"], stored["description"]) == ("Closed", "Low", "changed")
    assert_error(call(admin, "set_value", style, doctype="ToDo", name="t1", fieldname="status", value="Bogus"),
                 417, "ValidationError", "Status cannot be 'Bogus'")


@pytest.mark.parametrize("style", STYLES)
def test_insert_and_save(admin, style):
    doc = message(call(admin, "insert", style, doc={"doctype": "Expense Claim", "employee_name": "Ann",
                                                    "expenses": [{"expense_type": "Taxi", "amount": 5}]}))
    assert doc["name"].startswith("HR-EXP-") and doc["expenses"][0]["amount"] == 5.0
    doc["remark"] = "saved"
    doc["expenses"].append({"expense_type": "Food", "amount": 7, "__islocal": 1})
    saved = message(call(admin, "save", style, doc=doc))
    assert saved["remark"] == "saved" and [e["expense_type"] for e in saved["expenses"]] == ["Taxi", "Food"]
    # the copy read before that save is stale now
    assert_error(call(admin, "save", style, doc=dict(doc, remark="stale")), 417, "TimestampMismatchError")
    stored = message(call(admin, "get", style, doctype="Expense Claim", name=doc["name"]))
    assert stored["remark"] == "saved" and len(stored["expenses"]) == 2


@pytest.mark.parametrize("style", STYLES)
def test_save_without_name_inserts(admin, style):
    doc = message(call(admin, "save", style, doc={"doctype": "Note", "title": f"saved via {style}"}))
    assert doc["name"] == f"saved via {style}"


@pytest.mark.parametrize("style", STYLES)
def test_submit_cancel_delete(admin, style):
    doc = message(call(admin, "insert", style, doc={"doctype": "Expense Claim", "employee_name": "Ann"}))
    submitted = message(call(admin, "submit", style, doc=doc))
    assert submitted["docstatus"] == 1
    assert_error(call(admin, "delete", style, doctype="Expense Claim", name=doc["name"]), 417, "ValidationError",
                 "cancel it first")
    cancelled = message(call(admin, "cancel", style, doctype="Expense Claim", name=doc["name"]))
    assert cancelled["docstatus"] == 2
    assert message(call(admin, "delete", style, doctype="Expense Claim", name=doc["name"])) == "ok"
    assert_error(call(admin, "get", style, doctype="Expense Claim", name=doc["name"]), 404, "DoesNotExistError")


@pytest.mark.parametrize("style", STYLES)
def test_submit_a_new_document(admin, style):
    doc = message(call(admin, "submit", style, doc={"doctype": "Expense Claim", "employee_name": "New"}))
    assert doc["docstatus"] == 1 and doc["name"].startswith("HR-EXP-")


@pytest.mark.parametrize("method", ["insert", "save", "submit", "set_value", "cancel", "delete"])
def test_writes_through_get_are_refused(admin, app, method):
    args = {"doc": {"doctype": "ToDo", "description": "via GET"}, "doctype": "ToDo", "name": "t1",
            "fieldname": "status", "value": "Closed"}
    r = call(admin, method, "query", http="GET", **args)
    assert_error(r, 417, "ValidationError", "POST")
    stored = message(call(admin, "get", "query", doctype="ToDo", name="t1"))
    assert stored["status"] == "Open"
    assert message(call(admin, "get_count", "query", doctype="ToDo")) == 3


@pytest.mark.parametrize(("method", "args", "needle"), [
    ("get", {}, "doctype"),
    ("get", {"doctype": "ToDo"}, "name"),
    ("get_list", {"doctype": "Nope"}, "Nope"),
    ("insert", {}, "doc"),
    ("insert", {"doc": "not json {"}, "doc"),
    ("insert", {"doc": {"description": "no doctype"}}, "doctype"),
    ("set_value", {"doctype": "ToDo", "name": "t1"}, "fieldname"),
    ("cancel", {"doctype": "ToDo"}, "name"),
])
def test_missing_arguments(admin, method, args, needle):
    r = call(admin, method, "json", **args)
    assert r.status_code in (404, 417)
    helpers.assert_error(r, r.status_code, "DoesNotExistError" if r.status_code == 404 else "ValidationError", needle)


def test_unknown_method_is_404(admin):
    assert_error(admin.post("/api/method/frappe.client.nope"), 404, "DoesNotExistError")
    assert_error(admin.post("/", data={"cmd": "frappe.client.nope"}), 404, "DoesNotExistError")


def test_cancel_of_a_non_submittable_document(admin):
    assert_error(call(admin, "cancel", "json", doctype="ToDo", name="t1"), 417, "ValidationError", "not submittable")
