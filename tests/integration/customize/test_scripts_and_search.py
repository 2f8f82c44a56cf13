"""Server Scripts of every type, the Script API, the awesomebar and link suggestions work on a doctype
defined here, as on a built-in one."""

from __future__ import annotations

import datetime as dt
import json

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")

TRIP = [{"label": "Destination", "fieldtype": "Data", "reqd": 1, "in_list_view": 1},
        {"label": "Km", "fieldtype": "Int", "in_list_view": 1},
        {"label": "Status", "fieldtype": "Select", "options": "Planned\nDone", "default": "Planned"},
        {"label": "Driver", "fieldtype": "Link", "options": "User"}]


@pytest.fixture
def trip(make_doctype):
    return make_doctype("Trip", TRIP, search_fields="driver", title_field="destination",
                        permissions=[{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1},
                                     {"role": "Employee", "read": 1, "write": 1, "create": 1}])


def test_before_save_and_after_save_scripts(client, admin_headers, trip, make_script, logs):
    make_script("trip before save", "doc.destination = doc.destination.title()\nif doc.km < 0:\n"
                                    "    frappe.throw('Km cannot be negative')", reference_doctype="Trip",
                doctype_event="Before Save")
    make_script("trip after save", "frappe.get_doc({'doctype': 'ToDo', 'description': 'Log trip ' + doc.name})"
                                   ".insert()", reference_doctype="Trip", doctype_event="After Save")
    r = client.post("/api/resource/Trip", json={"destination": "paris", "km": 450}, headers=admin_headers)
    assert r.status_code == 200 and r.get_json()["data"]["destination"] == "Paris"
    name = r.get_json()["data"]["name"]
    todos = client.get("/api/resource/ToDo", query_string={"fields": '["description"]'}, headers=admin_headers)
    assert todos.get_json()["data"] == [{"description": f"Log trip {name}"}]
    r = client.post("/api/resource/Trip", json={"destination": "x", "km": -1}, headers=admin_headers)
    assert r.status_code == 417 and "Km cannot be negative" in r.get_json()["exception"]
    assert [row["trigger"] for row in logs(server_script="trip before save")][0].startswith("Before Save")


def test_an_api_script_uses_the_script_api_on_it(client, admin_headers, trip, make_script):
    for dest, km in (("Rome", 1400), ("Oslo", 1200), ("Bonn", 600)):
        client.post("/api/resource/Trip", json={"destination": dest, "km": km}, headers=admin_headers)
    make_script("trip api", """
far = frappe.get_list("Trip", filters={"km": [">", 1000]}, fields=["destination", "km"], order_by="km desc")
doc = frappe.get_doc("Trip", {"destination": "Bonn"})
doc.status = "Done"
doc.save()
t = frappe.qb.DocType("Trip")
rows = frappe.qb.from_(t).select(t.destination).where(t.km < 1300).orderby(t.km).run(as_dict=True)
sql = frappe.db.sql("select count(*) as n from `tabTrip` where status = %s", ("Done",), as_dict=True)
new = frappe.new_doc("Trip")
new.destination = "Lima"
new.insert()
frappe.response["message"] = {
    "far": [[r.destination, r.km] for r in far],
    "qb": [r.destination for r in rows],
    "sql": sql[0].n,
    "count": frappe.db.count("Trip"),
    "value": frappe.db.get_value("Trip", {"destination": "Lima"}, "status"),
    "meta": [f.fieldname for f in frappe.get_meta("Trip").fields],
    "exists": bool(frappe.db.exists("Trip", {"destination": "Rome"})),
}
""", script_type="API", api_method="trips")
    r = client.post("/api/method/trips", headers=admin_headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == {
        "far": [["Rome", 1400], ["Oslo", 1200]], "qb": ["Bonn", "Oslo"], "sql": 1, "count": 4,
        "value": "Planned", "meta": ["destination", "km", "status", "driver"], "exists": True}


def test_a_permission_query_script_filters_its_lists(client, api_keys, admin_headers, trip, make_script, login_as):
    ann = api_keys("ann@example.com", roles=["Employee"])
    for dest in ("Near", "Far"):
        client.post("/api/resource/Trip", json={"destination": dest}, headers=ann)
    make_script("trips nearby", "conditions = \"`tabTrip`.destination = 'Near'\" if user != 'Administrator' "
                                "else ''", script_type="Permission Query", reference_doctype="Trip")
    r = client.get("/api/resource/Trip", query_string={"fields": '["destination"]'}, headers=ann)
    assert r.get_json()["data"] == [{"destination": "Near"}]
    r = client.get("/api/resource/Trip", query_string={"fields": '["destination"]', "order_by": "destination asc"},
                   headers=admin_headers)
    assert r.get_json()["data"] == [{"destination": "Far"}, {"destination": "Near"}]


def test_a_scheduler_script_works_on_it(app, client, admin_headers, trip, make_script):
    client.post("/api/resource/Trip", json={"destination": "Cairo"}, headers=admin_headers)
    make_script("close trips", "for name in frappe.get_all('Trip', filters={'status': 'Planned'}, pluck='name'):\n"
                               "    frappe.db.set_value('Trip', name, 'status', 'Done')",
                script_type="Scheduler Event", event_frequency="All")
    from webapp.runtime import scheduler

    with app.app_context():
        tick = scheduler.run_due(dt.datetime.now() + dt.timedelta(minutes=10))  # its first period has come
    assert [o.status for o in tick.ran] == ["Success"]
    r = client.get("/api/resource/Trip", query_string={"fields": '["status"]'}, headers=admin_headers)
    assert r.get_json()["data"] == [{"status": "Done"}]


def test_scripts_can_follow_it_and_only_it(client, admin_headers, trip, make_doctype):
    make_doctype("Trip Stop", [{"label": "Place", "fieldtype": "Data"}], istable=1, permissions=[])
    ok = client.post("/api/resource/Server Script", headers=admin_headers, json={
        "name": "s1", "script_type": "DocType Event", "reference_doctype": "Trip", "doctype_event": "Before Insert",
        "script": "pass"})
    assert ok.status_code == 200
    for ref in ("Trip Stop", "DocType", "Custom Field"):
        r = client.post("/api/resource/Server Script", headers=admin_headers, json={
            "name": f"s-{ref}", "script_type": "DocType Event", "reference_doctype": ref,
            "doctype_event": "Before Insert", "script": "pass"})
        assert r.status_code == 417 and "is not a document type scripts can follow" in r.get_json()["exception"]


def test_awesomebar_and_link_suggestions(client, admin_headers, trip, make_doctype, login_as):
    client.post("/api/resource/Trip", json={"destination": "Zanzibar", "driver": "Administrator"},
                headers=admin_headers)
    login_as("Administrator")
    found = client.get("/api/desk/awesomebar", query_string={"q": "new trip"}).get_json()
    assert any(r["label"] == "New Trip" and r["route"] == "/app/trip/new" for r in found["results"])
    found = client.get("/api/desk/awesomebar", query_string={"q": "zanzi"}).get_json()
    assert [r["label"] for r in found["results"] if r["route"].startswith("/app/trip/")] == ["Zanzibar"]
    make_doctype("Trip Plan", [{"label": "Trip", "fieldtype": "Link", "options": "Trip"}])
    form = client.get("/app/trip-plan/new").get_data(as_text=True)
    assert 'data-link-doctype="Trip"' in form
    assert 'id="links-trip"' in form
    found = client.get("/api/desk/awesomebar", query_string={"q": "Administrator"}).get_json()
    assert any(r["route"].startswith("/app/trip/") for r in found["results"])  # search_fields: driver


def test_get_meta_json_shape(client, admin_headers, trip, make_script):
    make_script("meta", "m = frappe.get_meta('Trip')\nfrappe.response['message'] = "
                        "[m.get_field('km').fieldtype, m.has_field('status'), m.istable]",
                script_type="API", api_method="trip_meta")
    r = client.get("/api/method/trip_meta", headers=admin_headers)
    assert r.get_json()["message"] == ["Int", True, 0], json.dumps(r.get_json())
