"""Error statuses and Frappe's envelope; unknown fields and SQL injection never reach SQL."""

from __future__ import annotations

import json

import pytest

from tests.unit.documents import helpers
from tests.unit.documents.helpers import assert_error, seed

api_as = helpers.api_as


@pytest.fixture
def admin(app, api_as):
    seed(app, "ToDo", {"name": "t1", "description": "one"}, {"name": "t2", "description": "two"})
    return api_as("Administrator")


def get_list(api, **params):
    return api.get("/api/resource/ToDo", query_string={k: json.dumps(v) if not isinstance(v, str) else v
                                                       for k, v in params.items()})


def test_envelope_shape_exactly(admin):
    r = admin.get("/api/resource/ToDo/nope")
    assert r.status_code == 404
    body = r.get_json()
    assert body == {
        "exc_type": "DoesNotExistError",
        "exception": "DoesNotExistError: ToDo nope not found",
        "_server_messages": json.dumps([json.dumps({"message": "ToDo nope not found", "title": "Not Found"})]),
    }


def test_unknown_doctype_is_404(admin):
    for r in (admin.get("/api/resource/Nope"), admin.get("/api/resource/Nope/x"),
              admin.post("/api/resource/Nope", json={}), admin.put("/api/resource/Nope/x", json={}),
              admin.delete("/api/resource/Nope/x")):
        assert_error(r, 404, "DoesNotExistError", "DocType Nope not found")


def test_unknown_document_is_404(admin):
    assert_error(admin.get("/api/resource/ToDo/missing"), 404, "DoesNotExistError", "ToDo missing not found")
    assert_error(admin.put("/api/resource/ToDo/missing", json={"status": "Closed"}), 404, "DoesNotExistError")
    assert_error(admin.delete("/api/resource/ToDo/missing"), 404, "DoesNotExistError")


@pytest.mark.parametrize("params", [
    {"fields": ["nope"]},
    {"fields": ["name", "password"]},
    {"filters": {"nope": 1}},
    {"filters": [["nope", "=", 1]]},
    {"filters": [["Note", "title", "=", "x"]]},
    {"order_by": "nope asc"},
    {"order_by": "name sideways"},
    {"fields": ["expenses"]},
])
def test_unknown_fields_are_417(admin, params):
    assert_error(get_list(admin, **params), 417, "ValidationError")


@pytest.mark.parametrize("params", [
    {"filters": "{not json"},
    {"filters": 5},
    {"filters": [["status"]]},
    {"filters": [["status", "~", "Open"]]},
    {"filters": {"status": ["between", "x"]}},
    {"filters": [["date", "between", "2024-01-01"]]},
    {"filters": [["date", "is", "maybe"]]},
    {"filters": [["date", ">", "not a date"]]},
    {"limit_page_length": "ten"},
    {"limit_start": "-1"},
    {"fields": [1]},
    {"fields": {"a": 1}},
])
def test_malformed_queries_are_417(admin, params):
    assert_error(get_list(admin, **params), 417, "ValidationError")


INJECTIONS = [
    "name; DROP TABLE `tabToDo`",
    "name) or 1=1 --",
    "(select password from __Auth)",
    "name as x from tabUser --",
    "`tabUser`.`name`",
    "count(*) from `tabToDo`; delete from `tabToDo`",
    "1=1",
    "name' or '1'='1",
]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_sql_in_field_names_and_order_by_is_refused(admin, evil):
    assert_error(get_list(admin, fields=[evil]), 417, "ValidationError")
    assert_error(get_list(admin, order_by=evil), 417, "ValidationError")
    assert_error(get_list(admin, filters=[[evil, "=", "x"]]), 417, "ValidationError")
    assert_error(get_list(admin, filters={evil: "x"}), 417, "ValidationError")
    assert sorted(r["name"] for r in get_list(admin).get_json()["data"]) == ["t1", "t2"]


@pytest.mark.parametrize("evil", INJECTIONS + ["%' OR '1'='1", "' OR 1=1 --"])
def test_sql_in_filter_values_is_a_plain_value(admin, evil):
    assert get_list(admin, filters={"description": evil}).get_json()["data"] == []
    assert get_list(admin, filters=[["description", "like", evil]]).get_json()["data"] == []
    assert get_list(admin, filters=[["name", "in", [evil, "t1"]]]).get_json()["data"] == [{"name": "t1"}]
    r = admin.post("/api/resource/ToDo", json={"description": evil})
    assert r.status_code == 200
    name = r.get_json()["data"]["name"]
    assert get_list(admin, filters={"description": evil}).get_json()["data"] == [{"name": name}]
    assert len(get_list(admin).get_json()["data"]) == 3


def test_sql_in_the_doctype_or_name_is_just_not_found(admin):
    assert_error(admin.get("/api/resource/ToDo' OR '1'='1"), 404, "DoesNotExistError")
    assert_error(admin.get("/api/resource/ToDo/t1' OR '1'='1"), 404, "DoesNotExistError")


def test_missing_required_is_mandatory_error(admin):
    msg = assert_error(admin.post("/api/resource/ToDo", json={"status": "Open"}), 417, "MandatoryError", "Description")
    assert msg == "ToDo: value missing for Description"
    assert_error(admin.post("/api/resource/Expense Claim", json={"employee_name": "A", "expenses": [
        {"expense_type": "Taxi"}]}), 417, "MandatoryError", "Amount", "row 1")


def test_duplicate_is_409(admin):
    assert admin.post("/api/resource/Note", json={"title": "dup"}).status_code == 200
    assert_error(admin.post("/api/resource/Note", json={"title": "dup"}), 409, "DuplicateEntryError", "dup")
    assert_error(admin.post("/api/resource/ToDo", json={"name": "t1", "description": "again"}), 409,
                 "DuplicateEntryError", "t1 already exists")
    assert admin.get("/api/resource/ToDo/t1").get_json()["data"]["description"] == "one"


def test_a_name_race_caught_by_the_database_is_409_too(admin, monkeypatch):
    """Two inserts of one name that both passed the "already exists?" check: the database's unique
    key refuses the second, which answers 409 as the check would, and writes nothing."""
    from webapp.documents import store

    monkeypatch.setattr(store, "exists", lambda meta, name: False)
    assert_error(admin.post("/api/resource/ToDo", json={"name": "t1", "description": "raced"}), 409,
                 "DuplicateEntryError", "ToDo t1 already exists")
    assert admin.get("/api/resource/ToDo/t1").get_json()["data"]["description"] == "one"
    assert admin.post("/api/resource/ToDo", json={"name": "t9", "description": "fine"}).status_code == 200


@pytest.mark.parametrize(("body", "exc_type", "needle"), [
    ({"description": "x", "date": "tomorrow-ish"}, "ValidationError", "Date: 'tomorrow-ish' is not a valid date"),
    ({"description": "x", "status": "Maybe"}, "ValidationError", "Status cannot be 'Maybe'"),
    ({"description": "x", "priority": ["High"]}, "ValidationError", "Priority"),
    ({"description": {"a": 1}}, "ValidationError", "Description"),
    ({"description": "x", "allocated_to": "ghost@example.com"}, "LinkValidationError", "ghost@example.com"),
    ({"description": "x", "reference_type": "r" * 141}, "ValidationError", "at most 140"),
    ({"description": "x", "docstatus": "x"}, "ValidationError", "docstatus"),
])
def test_bad_values_are_417_and_write_nothing(admin, body, exc_type, needle):
    assert_error(admin.post("/api/resource/ToDo", json=body), 417, exc_type, needle)
    assert len(get_list(admin).get_json()["data"]) == 2


def test_bad_numbers_in_expense_claim(admin):
    assert_error(admin.post("/api/resource/Expense Claim", json={"employee_name": "A", "total_claimed_amount": "1e"}),
                 417, "ValidationError", "Total Claimed Amount")
    assert_error(admin.post("/api/resource/Expense Claim", json={"employee_name": "A", "expenses": [
        {"expense_type": "x", "amount": "NaN"}]}), 417, "ValidationError", "Amount")


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"data": "not json"}, "JSON"),
    ({"json": ["a list"]}, "JSON object"),
    ({"data": {"data": "[1, 2]"}}, "JSON object"),
    ({"data": {"data": "{bad"}}, "data"),
])
def test_bad_bodies_are_417(admin, kwargs, needle):
    if kwargs.get("data") == "not json":
        kwargs = {"data": "not json", "content_type": "application/json"}
    assert_error(admin.post("/api/resource/ToDo", **kwargs), 417, "ValidationError", needle)


def test_body_doctype_must_match(admin):
    assert_error(admin.post("/api/resource/ToDo", json={"doctype": "Note", "title": "x"}), 417, "ValidationError",
                 "does not match")


def test_unknown_keys_in_the_body_are_ignored(admin):
    r = admin.post("/api/resource/ToDo", json={"description": "x", "not_a_field": 1, "save": 2, "flags": 3})
    assert r.status_code == 200, r.get_data(as_text=True)
    name = r.get_json()["data"]["name"]
    stored = admin.get(f"/api/resource/ToDo/{name}").get_json()["data"]
    assert "not_a_field" not in stored and stored["description"] == "x"
