"""A doctype defined over REST in Frappe's shape (every supported fieldtype, a child table, a Table
MultiSelect, Links) is at once a table, a REST resource, frappe.client's, a desk list, form and print."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from tests.integration.customize.conftest import EVERY_TYPE_FIELDS


def _columns(app, table: str) -> dict[str, str]:
    from webapp.extensions import db

    with app.app_context():
        return {c["name"]: str(c["type"]) for c in sa.inspect(db.engine).get_columns(table)}


def _full(app, client, admin_headers, make_user):
    make_user("driver@example.com", full_name="Dee Driver")
    body = {
        "title": "First", "email": "a@example.com", "website": "https://example.com", "mobile": "+49 30 1234",
        "summary": "short", "notes": "line 1\nline 2", "body": "x" * 5000, "rich": "<p>hi</p>", "snippet": "print(1)",
        "count": "7", "weight": 1.23456, "price": "12.5", "share": 50, "active": 0, "kind": "Large",
        "owner_user": "driver@example.com", "ref_type": "User", "ref_name": "driver@example.com",
        "day": "2024-02-29", "at": "2024-02-29 10:11:12", "clock": "08:30:00", "took": 90, "secret": "s3cret",
        "stars": 0.6, "colour": "#ff0000", "phone": "+1 555 0100",
        "lines": [{"item": "bolt", "qty": 3, "rate": 0.5}, {"item": "nut", "qty": 2, "rate": 0.25}],
        "tags": [{"user": "driver@example.com"}],
    }
    r = client.post("/api/resource/Gadget", json=body, headers=admin_headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["data"]


def test_every_fieldtype_child_tables_and_links(app, client, admin_headers, gadget, make_user):
    assert [f["fieldname"] for f in gadget["fields"]][:3] == ["title", "email", "website"]
    cols = _columns(app, "tabGadget")
    data_fields = [f for f in EVERY_TYPE_FIELDS if f["fieldtype"] not in
                   ("Section Break", "Column Break", "Tab Break", "Table", "Table MultiSelect")]
    issue_types = {"Data", "Small Text", "Text", "Long Text", "Text Editor", "Code", "Int", "Float", "Currency",
                   "Percent", "Check", "Select", "Link", "Dynamic Link", "Date", "Datetime", "Time", "Duration",
                   "Table", "Table MultiSelect", "Read Only", "Password", "Rating", "Color", "Phone",
                   "Section Break", "Column Break", "Tab Break"}
    assert {f["fieldtype"] for f in EVERY_TYPE_FIELDS} == issue_types
    assert {f.get("options") for f in EVERY_TYPE_FIELDS if f["fieldtype"] == "Data"} >= {"Email", "URL", "Phone"}
    for f in data_fields:  # one column per field that holds a value, none for breaks and tables
        assert (f.get("fieldname") or f["label"].lower().replace(" ", "_")) in cols
    assert not any(name.startswith(("column_break", "numbers", "dates", "lines", "tags")) for name in cols)
    assert "parent" in _columns(app, "tabGadget Line")

    doc = _full(app, client, admin_headers, make_user)
    year = dt.date.today().year
    assert doc["name"] == f"GAD-{year}-00001"
    r = client.get(f"/api/resource/Gadget/{doc['name']}", headers=admin_headers)
    got = r.get_json()["data"]
    assert (got["count"], got["weight"], got["price"], got["share"], got["active"]) == (7, 1.23, 12.5, 50.0, 0)
    assert (got["day"], got["at"], got["clock"], got["took"]) == ("2024-02-29", "2024-02-29 10:11:12", "08:30:00",
                                                                   90.0)
    assert got["fetched_name"] == "Dee Driver"  # fetch_from owner_user.full_name
    assert got["body"] == "x" * 5000 and got["notes"] == "line 1\nline 2" and got["stars"] == 0.6
    assert [(row["item"], row["qty"], row["idx"]) for row in got["lines"]] == [("bolt", 3, 1), ("nut", 2, 2)]
    assert [row["user"] for row in got["tags"]] == ["driver@example.com"]
    assert got["lines"][0]["parenttype"] == "Gadget" and got["lines"][0]["parent"] == doc["name"]

    second = client.post("/api/resource/Gadget", json={"title": "Second", "count": 1, "kind": "Small"},
                         headers=admin_headers).get_json()["data"]
    assert second["name"] == f"GAD-{year}-00002" and second["active"] == 1  # the Check's default
    # list, filter (standard filter and operators), order
    r = client.get("/api/resource/Gadget", headers=admin_headers, query_string={
        "fields": json.dumps(["name", "title", "count"]), "filters": json.dumps([["count", ">", 2]])})
    assert r.get_json()["data"] == [{"name": doc["name"], "title": "First", "count": 7}]
    r = client.get("/api/resource/Gadget", headers=admin_headers, query_string={
        "filters": json.dumps({"kind": "Small"}), "fields": '["title"]'})
    assert r.get_json()["data"] == [{"title": "Second"}]
    r = client.get("/api/resource/Gadget", headers=admin_headers, query_string={"order_by": "count asc",
                                                                                  "fields": '["title"]'})
    assert [row["title"] for row in r.get_json()["data"]] == ["Second", "First"]


def test_values_are_checked_by_their_type(client, admin_headers, gadget):
    def post(**values):
        return client.post("/api/resource/Gadget", json={"title": "t", **values}, headers=admin_headers)

    cases = {
        "email": ("not-an-email", "is not a valid email address"),
        "website": ("ftp://x", "is not a valid URL"),
        "mobile": ("call me", "is not a valid phone number"),
        "count": ("seven", "is not a valid whole number"),
        "clock": ("25:99", "is not a valid time"),
        "stars": (4, "a rating is a fraction from 0 to 1"),
        "kind": ("Huge", "should be one of: Small, Large"),
        "owner_user": ("ghost@example.com", "User 'ghost@example.com' does not exist"),
        "ref_name": ("nobody@example.com", "set the document type (ref_type) first"),
    }
    for field, (value, message) in cases.items():
        r = post(**{field: value})
        assert r.status_code == 417, (field, r.get_json())
        assert message in r.get_json()["exception"], (field, r.get_json()["exception"])
    r = post(ref_type="User", ref_name="nobody@example.com")
    assert "User 'nobody@example.com' does not exist" in r.get_json()["exception"]
    r = post(title="x" * 141)
    assert "at most 140 are allowed" in r.get_json()["exception"]
    r = post(lines=[{"qty": 1}])
    assert r.status_code == 417 and "value missing for Item in row 1 of lines" in r.get_json()["exception"]


def test_frappe_client_methods_on_a_user_doctype(client, admin_headers, gadget):
    r = client.post("/api/method/frappe.client.insert", json={"doc": {"doctype": "Gadget", "title": "Via client",
                                                                      "count": 3}}, headers=admin_headers)
    name = r.get_json()["message"]["name"]
    r = client.post("/api/method/frappe.client.set_value", json={"doctype": "Gadget", "name": name,
                                                                 "fieldname": "count", "value": 4},
                    headers=admin_headers)
    assert r.get_json()["message"]["count"] == 4
    r = client.get("/api/method/frappe.client.get_value", query_string={
        "doctype": "Gadget", "fieldname": "count", "filters": json.dumps({"title": "Via client"})},
        headers=admin_headers)
    assert r.get_json()["message"] == {"count": 4}
    r = client.get("/api/method/frappe.client.get_count", query_string={"doctype": "Gadget"}, headers=admin_headers)
    assert r.get_json()["message"] == 1
    r = client.post("/api/method/frappe.client.delete", json={"doctype": "Gadget", "name": name},
                    headers=admin_headers)
    assert r.status_code == 200
    assert client.get(f"/api/resource/Gadget/{name}", headers=admin_headers).status_code == 404


def test_desk_list_form_and_print_from_the_metadata(app, client, admin_headers, gadget, make_user, login_as):
    doc = _full(app, client, admin_headers, make_user)
    login_as("Administrator")
    html = client.get("/app/gadget").get_data(as_text=True)
    assert "First" in html and doc["name"] in html and "Kind" in html  # a column and a standard filter
    html = client.get(f"/app/gadget/{doc['name']}").get_data(as_text=True)
    assert 'name="title"' in html and 'name="clock"' in html and 'name="lines-0-item"' in html
    assert 'data-layout="section"' in html and 'data-layout="tab"' in html and 'data-layout="column"' in html
    assert html.index(">Numbers</h3>") < html.index('name="count"') < html.index(">Dates</h2>") < html.index('name="day"')
    assert 'type="email"' in html and 'type="url"' in html and 'type="time"' in html and 'class="code-text"' in html
    assert 'data-code-editor' not in html  # the script editor is for Server Scripts
    form = client.get("/app/gadget/new").get_data(as_text=True)
    assert 'name="title"' in form
    html = client.get("/printview", query_string={"doctype": "Gadget", "name": doc["name"]}).get_data(as_text=True)
    assert "First" in html and "bolt" in html and "Dee Driver" in html and "s3cret" not in html
    r = client.post("/app/gadget/new", data={"title": "From the desk", "count": "5", "kind": "Small",
                                             "lines-0-item": "washer", "lines-0-qty": "9"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        from webapp.services import documents
        from webapp.services.context import acting_as

        with acting_as("Administrator"):
            saved = documents.get_doc("Gadget", {"title": "From the desk"})
            assert saved.count == 5 and [row.item for row in saved.lines] == ["washer"]
