"""Custom Fields add fields to any doctype (built-in or defined here) and Property Setters change
a field's or a doctype's properties: seen at once by REST, scripts and the desk."""

from __future__ import annotations

import pytest
import sqlalchemy as sa


def _columns(app, table: str) -> set[str]:
    from webapp.extensions import db

    with app.app_context():
        return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def _custom_field(client, headers, **body):
    return client.post("/api/resource/Custom Field", json=body, headers=headers)


def _setter(client, headers, doc_type, field_name, prop, value):
    return client.post("/api/resource/Property Setter", headers=headers, json={
        "doc_type": doc_type, "field_name": field_name, "property": prop, "value": value,
        "doctype_or_field": "DocField" if field_name else "DocType"})


def test_a_custom_field_on_todo_in_rest_and_the_desk(app, client, admin_headers, login_as):
    r = _custom_field(client, admin_headers, dt="ToDo", label="Vehicle Number", fieldtype="Data",
                      insert_after="status", in_list_view=1)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["data"]["name"] == "ToDo-vehicle_number"  # Frappe's name: <dt>-<fieldname>
    assert "vehicle_number" in _columns(app, "tabToDo")
    todo = client.post("/api/resource/ToDo", json={"description": "fix", "vehicle_number": "KA-01-1234"},
                       headers=admin_headers).get_json()["data"]
    assert todo["vehicle_number"] == "KA-01-1234"
    got = client.get(f"/api/resource/ToDo/{todo['name']}", headers=admin_headers).get_json()["data"]
    assert got["vehicle_number"] == "KA-01-1234"
    listed = client.get("/api/resource/ToDo", query_string={"filters": '{"vehicle_number": "KA-01-1234"}'},
                        headers=admin_headers).get_json()["data"]
    assert listed == [{"name": todo["name"]}]
    login_as("Administrator")
    form = client.get(f"/app/todo/{todo['name']}").get_data(as_text=True)
    assert 'name="vehicle_number"' in form and 'value="KA-01-1234"' in form
    assert form.index('name="status"') < form.index('name="vehicle_number"') < form.index('name="priority"')
    listing = client.get("/app/todo").get_data(as_text=True)
    assert "Vehicle Number" in listing and "KA-01-1234" in listing
    r = client.post(f"/app/todo/{todo['name']}", data={"description": "fix", "vehicle_number": "KA-02",
                                                       "status": "Open", "priority": "Medium",
                                                       "modified": got["modified"]})
    assert r.status_code == 302
    assert client.get(f"/api/resource/ToDo/{todo['name']}", headers=admin_headers).get_json()["data"][
        "vehicle_number"] == "KA-02"


def test_custom_field_on_a_user_doctype_and_its_rules(app, client, admin_headers, make_doctype):
    make_doctype("Pet", [{"label": "Pet Name", "fieldtype": "Data"}])
    r = _custom_field(client, admin_headers, dt="Pet", label="Age", fieldtype="Int", default="1")
    assert r.status_code == 200 and "age" in _columns(app, "tabPet")
    assert client.post("/api/resource/Pet", json={"pet_name": "Rex"}, headers=admin_headers).get_json()[
        "data"]["age"] == 1
    r = _custom_field(client, admin_headers, dt="Pet", label="Pet Name", fieldtype="Data")
    assert r.status_code == 417 and "Pet already has a field 'pet_name'" in r.get_json()["exception"]
    r = _custom_field(client, admin_headers, dt="Nowhere", label="X", fieldtype="Data")
    assert r.status_code == 417 and "DocType 'Nowhere' does not exist" in r.get_json()["exception"]
    r = _custom_field(client, admin_headers, dt="Pet", label="Photo", fieldtype="Attach Image")
    assert r.status_code == 417 and "Attach Image fields are not supported yet" in r.get_json()["exception"]
    r = _custom_field(client, admin_headers, dt="Pet", fieldname="doctype", fieldtype="Data")
    assert r.status_code == 417 and "is reserved" in r.get_json()["exception"]
    r = _custom_field(client, admin_headers, dt="Pet", label="Weight", fieldtype="Int", default="heavy")
    assert r.status_code == 417 and "Default: Weight: 'heavy' is not a valid whole number" in r.get_json()[
        "exception"]
    r = client.put("/api/resource/Custom Field/Pet-age", json={"fieldname": "years"}, headers=admin_headers)
    assert r.status_code == 417 and "its Fieldname cannot change" in r.get_json()["exception"]
    r = client.put("/api/resource/Custom Field/Pet-age", json={"fieldtype": "Float"}, headers=admin_headers)
    assert r.status_code == 200
    assert client.get("/api/resource/Pet", query_string={"fields": '["age"]'}, headers=admin_headers).get_json()[
        "data"] == [{"age": 1.0}]
    # deleting it hides the field; its column and data stay
    assert client.delete("/api/resource/Custom Field/Pet-age", headers=admin_headers).status_code == 200
    rex = client.get("/api/resource/Pet", query_string={"fields": '["*"]'}, headers=admin_headers).get_json()["data"]
    assert "age" not in rex[0] and "age" in _columns(app, "tabPet")


def test_property_setters_change_what_they_name(client, admin_headers, login_as):
    assert _setter(client, admin_headers, "ToDo", "date", "reqd", "1").status_code == 200
    r = client.post("/api/resource/ToDo", json={"description": "x"}, headers=admin_headers)
    assert r.status_code == 417 and "value missing for Date" in r.get_json()["exception"]
    assert _setter(client, admin_headers, "ToDo", "priority", "options", "Low\nHigh\nUrgent").status_code == 200
    assert _setter(client, admin_headers, "ToDo", "priority", "default", "Urgent").status_code == 200
    r = client.post("/api/resource/ToDo", json={"description": "x", "date": "2024-01-01"}, headers=admin_headers)
    assert r.status_code == 200 and r.get_json()["data"]["priority"] == "Urgent"
    r = client.post("/api/resource/ToDo", json={"description": "x", "date": "2024-01-01", "priority": "Medium"},
                    headers=admin_headers)
    assert r.status_code == 417 and "should be one of: Low, High, Urgent" in r.get_json()["exception"]
    assert _setter(client, admin_headers, "ToDo", "reference_type", "hidden", "1").status_code == 200
    assert _setter(client, admin_headers, "ToDo", "date", "in_list_view", "1").status_code == 200
    assert _setter(client, admin_headers, "ToDo", "status", "in_list_view", "0").status_code == 200
    assert _setter(client, admin_headers, "ToDo", None, "sort_field", "date").status_code == 200
    login_as("Administrator")
    form = client.get("/app/todo/new").get_data(as_text=True)
    assert 'name="reference_type"' not in form and 'name="date"' in form
    listing = client.get("/app/todo").get_data(as_text=True)
    assert ">Date<" in listing or "Date</" in listing
    # and removing a setter brings the declaration back
    assert client.delete("/api/resource/Property Setter/ToDo-date-reqd", headers=admin_headers).status_code == 200
    assert client.post("/api/resource/ToDo", json={"description": "y", "priority": "Low"},
                       headers=admin_headers).status_code == 200


@pytest.mark.parametrize(("field", "prop", "value", "message"), [
    ("status", "fieldtype", "Int", "'fieldtype' is not a property this app applies to a field"),
    ("nope", "hidden", "1", "ToDo has no field 'nope'"),
    ("allocated_to", "options", "Nowhere", "Options names DocType 'Nowhere', which does not exist"),
    (None, "title_field", "nope", "Title Field 'nope' is not a field"),
    (None, "istable", "1", "'istable' is not a property this app applies to a doctype"),
])
def test_property_setters_are_checked(client, admin_headers, field, prop, value, message):
    r = _setter(client, admin_headers, "ToDo", field, prop, value)
    assert r.status_code == 417 and message in r.get_json()["exception"], r.get_json()


def test_a_script_sees_custom_fields_at_once(client, admin_headers, make_script, site_config):
    site_config(server_script_enabled=True)
    make_script("stamp", "doc.vehicle_number = (doc.vehicle_number or '').upper()", reference_doctype="ToDo",
                doctype_event="Before Save")
    _custom_field(client, admin_headers, dt="ToDo", label="Vehicle Number", fieldtype="Data")
    r = client.post("/api/resource/ToDo", json={"description": "x", "vehicle_number": "ka-01"}, headers=admin_headers)
    assert r.get_json()["data"]["vehicle_number"] == "KA-01"
