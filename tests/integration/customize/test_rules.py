"""Who may define doctypes, which names and fields are refused (with a message that says what to do),
naming rules, "Only If Creator" permissions, and Singles."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

FIELD = [{"label": "Title", "fieldtype": "Data"}]


def _post(client, headers, **body):
    return client.post("/api/resource/DocType", json={"fields": FIELD, **body}, headers=headers)


def _tables(app) -> set[str]:
    from webapp.extensions import db

    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_only_system_managers_define_doctypes(app, client, api_keys, admin_headers, make_script, site_config):
    employee = api_keys("emp@example.com", roles=["Employee"])
    r = _post(client, employee, name="Sneaky")
    assert r.status_code == 403
    sm = api_keys("sm@example.com", roles=["System Manager"])
    assert _post(client, sm, name="Allowed").status_code == 200
    r = client.post("/api/resource/Custom Field", json={"dt": "ToDo", "label": "X", "fieldtype": "Data"},
                    headers=employee)
    assert r.status_code == 403
    r = client.post("/api/resource/Property Setter", json={"doc_type": "ToDo", "field_name": "status",
                                                           "property": "hidden", "value": "1"}, headers=employee)
    assert r.status_code == 403
    # not even a script run by a user without the role, using ignore_permissions
    site_config(server_script_enabled=True)
    make_script("make doctype", "frappe.get_doc({'doctype': 'DocType', 'name': 'From Script', 'fields': "
                                "[{'label': 'A', 'fieldtype': 'Data'}]}).insert(ignore_permissions=True)",
                script_type="API", api_method="make_doctype")
    r = client.post("/api/method/make_doctype", headers=employee)
    assert r.status_code == 403 and "only a System Manager may change DocTypes" in r.get_json()["exception"]
    assert "tabFrom Script" not in _tables(app) and "tabSneaky" not in _tables(app)


def test_built_in_doctypes_change_only_through_custom_field_and_property_setter(client, admin_headers):
    r = _post(client, admin_headers, name="ToDo")
    assert r.status_code == 417
    assert "ToDo is a built-in DocType: change it with Custom Field and Property Setter" in r.get_json()["exception"]
    r = client.post("/api/resource/Custom Field", json={"dt": "User", "label": "Badge", "fieldtype": "Data"},
                    headers=admin_headers)
    assert r.status_code == 417 and "User cannot be customized" in r.get_json()["exception"]
    r = client.post("/api/resource/Custom Field", json={"dt": "DocType", "label": "Badge", "fieldtype": "Data"},
                    headers=admin_headers)
    assert r.status_code == 417 and "DocType cannot be customized" in r.get_json()["exception"]


def test_built_in_doctypes_are_rows_to_read_not_to_change(client, admin_headers):
    todo = client.get("/api/resource/DocType/ToDo", headers=admin_headers).get_json()["data"]
    assert (todo["custom"], todo["autoname"], todo["title_field"]) == (0, "hash", "description")
    assert [f["fieldname"] for f in todo["fields"]][:2] == ["status", "priority"]
    assert {p["role"] for p in todo["permissions"]} == {"All", "System Manager"}
    r = client.put("/api/resource/DocType/ToDo", json={"description": "mine now"}, headers=admin_headers)
    assert r.status_code == 417 and "change it with Custom Field and Property Setter" in r.get_json()["exception"]
    r = client.delete("/api/resource/DocType/ToDo", headers=admin_headers)
    assert r.status_code == 417 and "built-in DocType and cannot be deleted" in r.get_json()["exception"]
    names = client.get("/api/resource/DocType", query_string={"filters": '{"custom": 0}', "limit_page_length": 0},
                       headers=admin_headers).get_json()["data"]
    assert {"ToDo", "DocType", "Server Script", "Custom Field"} <= {row["name"] for row in names}


@pytest.mark.parametrize(("body", "message"), [
    ({"name": 'Evil"; DROP TABLE "tabToDo'}, "may contain only letters, digits, spaces, '_' and '-'"),
    ({"name": "tabToDo`--"}, "may contain only letters"),
    ({"name": "1st Thing"}, "must start with a letter"),
    ({"name": "X" * 61}, "at most 60 are allowed"),
    ({"name": "Two  Spaces"}, "single spaces between words"),
    ({"name": "todo"}, "too close to the existing 'ToDo'"),
    ({"name": "Server script"}, "too close to the existing 'Server Script'"),
    ({"name": "Series"}, "taken by one of the app's own tables"),
    ({"name": "Singles"}, "taken by one of the app's own tables"),
    ({"name": "System Settings"}, "/app/system-settings, a page of the desk"),
    ({"name": "Okay", "fields": [{"label": "Name", "fieldtype": "Data"}]}, "fieldname 'name' is reserved"),
    ({"name": "Okay", "fields": [{"fieldname": "save", "fieldtype": "Data"}]}, "fieldname 'save' is reserved"),
    ({"name": "Okay", "fields": [{"fieldname": "Bad-Name", "fieldtype": "Data"}]},
     "may contain only lower case letters, digits and '_'"),
    ({"name": "Okay", "fields": [{"fieldname": 'x"); drop table "tabToDo"; --', "fieldtype": "Data"}]},
     "may contain only lower case letters"),
    ({"name": "Okay", "fields": [{"fieldname": "a" * 64, "fieldtype": "Data"}]}, "at most 63 are allowed"),
    ({"name": "Okay", "fields": [{"fieldname": "a", "fieldtype": "Data"}, {"fieldname": "a", "fieldtype": "Int"}]},
     "the fieldname 'a' is used twice"),
    ({"name": "Okay", "fields": [{"label": "Photo", "fieldtype": "Attach Image"}]},
     "Attach Image fields are not supported yet: files cannot be uploaded here yet"),
    ({"name": "Okay", "fields": [{"label": "File", "fieldtype": "Attach"}]}, "Attach fields are not supported yet"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Blob"}]}, "unknown fieldtype 'Blob'"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Link", "options": "Nowhere"}]},
     "Options names DocType 'Nowhere', which does not exist"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Link"}]}, "a Link field needs the doctype"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Select"}]}, "needs its choices in Options"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Table", "options": "ToDo"}]},
     "needs a child table doctype"),
    ({"name": "Okay", "fields": [{"label": "Roles", "fieldtype": "Table", "options": "Has Role"}]},
     "Has Role belongs to the app and cannot be the table of another doctype"),
    ({"name": "Okay", "fields": [{"label": "Defs", "fieldtype": "Table", "options": "DocField"}]},
     "DocField belongs to the app"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Dynamic Link", "options": "title"}]},
     "a Dynamic Link's Options names a Link field (to DocType)"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Data", "options": "IBAN"}]},
     "a Data field's Options may be Email, URL, Phone, Name"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Int", "unique": 1, "length": 5}]},
     "Length applies to Data-like fields"),
    ({"name": "Okay", "fields": [{"label": "X", "fieldtype": "Data", "fetch_from": "nothing.here"}]},
     "Fetch From is link_field.fieldname"),
    ({"name": "Okay", "autoname": "field:nope"}, "Auto Name 'field:nope' names no field"),
    ({"name": "Okay", "autoname": "format:X-{nope}-{##}"}, "{nope} is neither a field"),
    ({"name": "Okay", "autoname": "whatever"}, "is not a naming rule"),
    ({"name": "Okay", "autoname": "naming_series:"}, "needs a Select field named naming_series"),
    ({"name": "Okay", "title_field": "nope"}, "Title Field 'nope' is not a field"),
    ({"name": "Okay", "permissions": [{"role": "Nobody", "read": 1}]}, "role 'Nobody' does not exist"),
    ({"name": "Okay", "permissions": [{"role": "All", "read": 1, "permlevel": 1}]},
     "only level 0 (the whole document) is supported"),
    ({"name": "Okay", "istable": 1, "issingle": 1}, "a child table cannot be Single or Submittable"),
])
def test_bad_names_and_fields_are_refused_with_a_clear_message(app, client, admin_headers, body, message):
    before = _tables(app)
    r = _post(client, admin_headers, **body)
    assert r.status_code == 417, r.get_json()
    assert message in r.get_json()["exception"], r.get_json()["exception"]
    assert _tables(app) == before


def test_the_number_of_columns_is_capped(client, admin_headers, make_doctype):
    fields = [{"fieldname": f"f{i}", "fieldtype": "Int"} for i in range(1001)]
    r = _post(client, admin_headers, name="Too Wide", fields=fields)
    assert r.status_code == 417 and "would have 1001 fields with a value; at most 1000" in r.get_json()["exception"]
    make_doctype("Just Wide", fields[:1000])
    r = client.post("/api/resource/Custom Field", json={"dt": "Just Wide", "label": "One More", "fieldtype": "Data"},
                    headers=admin_headers)
    assert r.status_code == 417 and "at most 1000" in r.get_json()["exception"]


def test_a_doctype_needs_a_name(client, admin_headers):
    r = _post(client, admin_headers)
    assert r.status_code == 417 and "DocType: a name is required" in r.get_json()["exception"]


def test_naming_rules(client, admin_headers, make_doctype):
    year = dt.date.today().year

    def names(doctype: str, *bodies: dict) -> list[str]:
        out = []
        for body in bodies:
            r = client.post(f"/api/resource/{doctype}", json=body, headers=admin_headers)
            assert r.status_code == 200, r.get_json()
            out.append(r.get_json()["data"]["name"])
        return out

    make_doctype("Counter", FIELD, autoname="autoincrement")
    assert names("Counter", {}, {}, {}) == ["1", "2", "3"]
    make_doctype("Invoice Like", [{"label": "Naming Series", "fieldname": "naming_series", "fieldtype": "Select",
                                   "options": "INV-.YYYY.-\nCRN-.####", "default": "INV-.YYYY.-"},
                                  {"label": "Customer", "fieldtype": "Data"}], autoname="naming_series:")
    assert names("Invoice Like", {}, {"naming_series": "CRN-.####"}, {}) == [
        f"INV-{year}-00001", "CRN-0001", f"INV-{year}-00002"]
    r = client.post("/api/resource/Invoice Like", json={"naming_series": "BAD-.###"}, headers=admin_headers)
    assert r.status_code == 417 and "Naming Series 'BAD-.###' is not one of" in r.get_json()["exception"]
    make_doctype("Formatted", [{"label": "Region", "fieldtype": "Data", "reqd": 1}],
                 autoname="format:PRE-{region}-{YYYY}-{###}")
    assert names("Formatted", {"region": "EU"}, {"region": "EU"}, {"region": "US"}) == [
        f"PRE-EU-{year}-001", f"PRE-EU-{year}-002", f"PRE-US-{year}-001"]
    make_doctype("By Field", [{"label": "Code", "fieldtype": "Data", "reqd": 1}], autoname="field:code")
    assert names("By Field", {"code": "ABC"}) == ["ABC"]
    make_doctype("Prompted", FIELD, autoname="Prompt")
    assert names("Prompted", {"name": "typed"}) == ["typed"]
    r = client.post("/api/resource/Prompted", json={}, headers=admin_headers)
    assert r.status_code == 417 and "a name is required" in r.get_json()["exception"]
    make_doctype("Hashed", FIELD, autoname="hash")
    assert len(names("Hashed", {})[0]) == 10
    make_doctype("Series Old", FIELD, autoname="SO-.#####")
    assert names("Series Old", {}) == ["SO-00001"]


def test_only_if_creator(client, api_keys, make_doctype):
    make_doctype("Diary", FIELD, permissions=[{"role": "Employee", "read": 1, "write": 1, "create": 1,
                                                "if_owner": 1},
                                               {"role": "Expense Approver", "read": 1}])
    ann = api_keys("ann@example.com", roles=["Employee"])
    bob = api_keys("bob@example.com", roles=["Employee"])
    boss = api_keys("boss@example.com", roles=["Expense Approver"])
    mine = client.post("/api/resource/Diary", json={"title": "ann's"}, headers=ann).get_json()["data"]["name"]
    client.post("/api/resource/Diary", json={"title": "bob's"}, headers=bob)
    listed = client.get("/api/resource/Diary", query_string={"fields": '["title"]'}, headers=ann)
    assert listed.get_json()["data"] == [{"title": "ann's"}]
    count = client.get("/api/method/frappe.client.get_count", query_string={"doctype": "Diary"}, headers=ann)
    assert count.get_json()["message"] == 1
    assert client.get(f"/api/resource/Diary/{mine}", headers=bob).status_code == 403
    assert client.put(f"/api/resource/Diary/{mine}", json={"title": "bob was here"}, headers=bob).status_code == 403
    assert client.get(f"/api/resource/Diary/{mine}", headers=ann).status_code == 200
    everyone = client.get("/api/resource/Diary", query_string={"fields": '["title"]', "order_by": "title asc"},
                          headers=boss)
    assert everyone.get_json()["data"] == [{"title": "ann's"}, {"title": "bob's"}]


def test_single_doctype(client, admin_headers, make_doctype, make_script, site_config, login_as):
    make_doctype("Shop Settings", [{"label": "Shop Name", "fieldtype": "Data", "default": "Corner Shop"},
                                   {"label": "Max Items", "fieldtype": "Int", "default": "10"},
                                   {"label": "Opens", "fieldtype": "Date"},
                                   {"label": "Open", "fieldtype": "Check"}], issingle=1)
    r = client.get("/api/resource/Shop Settings/Shop Settings", headers=admin_headers)
    assert r.status_code == 200
    assert (r.get_json()["data"]["shop_name"], r.get_json()["data"]["max_items"]) == ("Corner Shop", 10)
    r = client.put("/api/resource/Shop Settings/Shop Settings", json={"max_items": "25", "opens": "2024-05-01",
                                                                      "open": 1}, headers=admin_headers)
    assert r.status_code == 200 and r.get_json()["data"]["max_items"] == 25
    site_config(server_script_enabled=True)
    make_script("read single", """
before = frappe.db.get_single_value("Shop Settings", "max_items")
frappe.db.set_single_value("Shop Settings", "shop_name", "Big Shop")
doc = frappe.get_single("Shop Settings")
doc.open = 0
doc.save()
frappe.response["message"] = [before, frappe.db.get_single_value("Shop Settings", "shop_name"),
                               str(frappe.db.get_single_value("Shop Settings", "opens")),
                               frappe.db.get_value("Shop Settings", None, "max_items"),
                               frappe.get_doc("Shop Settings").open]
""", script_type="API", api_method="read_single")
    r = client.post("/api/method/read_single", headers=admin_headers)
    assert r.get_json()["message"] == [25, "Big Shop", "2024-05-01", 25, 0]
    r = client.get("/api/resource/Shop Settings", headers=admin_headers)
    assert r.status_code == 417 and "is a Single" in r.get_json()["exception"]
    r = client.delete("/api/resource/Shop Settings/Shop Settings", headers=admin_headers)
    assert r.status_code == 417 and "cannot be deleted" in r.get_json()["exception"]
    r = client.post("/api/method/frappe.client.get_value", json={"doctype": "Shop Settings",
                                                                 "fieldname": json.dumps(["shop_name", "open"])},
                    headers=admin_headers)
    assert r.get_json()["message"] == {"shop_name": "Big Shop", "open": 0}
    login_as("Administrator")  # the desk: /app/<slug> is the Single's form
    html = client.get("/app/shop-settings").get_data(as_text=True)
    assert 'name="shop_name"' in html and 'value="Big Shop"' in html and 'action="/app/shop-settings/Shop%20Settings"' in html
    assert client.get("/app/shop-settings/new").headers["Location"].endswith("/app/shop-settings")
    r = client.post("/app/shop-settings/Shop%20Settings", data={"shop_name": "Desk Shop", "max_items": "3"})
    assert r.status_code == 302, r.get_data(as_text=True)
    got = client.get("/api/resource/Shop Settings/Shop Settings", headers=admin_headers).get_json()["data"]
    assert (got["shop_name"], got["max_items"]) == ("Desk Shop", 3)
