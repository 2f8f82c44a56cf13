"""Frappe's files, as Frappe writes them, import verbatim: a doctype's JSON (the current format with
field_order and sparse fields, and the older one that writes every property), a child table, and
the custom_field.json / property_setter.json fixtures. What they say that is not used here is
reported; a dry run keeps nothing; importing again changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import sqlalchemy as sa

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "frappe_app", "fleet")
DOCTYPES = os.path.join(APP, "fleet", "doctype")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def _file(*parts: str):
    with open(os.path.join(*parts)) as fh:
        return json.load(fh)


def _import(client, headers, docs, dry_run=False):
    r = client.post("/api/method/doctype.import", json={"docs": docs, "dry_run": int(dry_run)}, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {(o["doctype"], o["name"]): o for o in r.get_json()["message"]["results"]}


def _tables(app) -> set[str]:
    from webapp.extensions import db

    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_a_doctype_json_and_its_child_table_import_verbatim(app, client, admin_headers):
    vehicle = _file(DOCTYPES, "fleet_vehicle", "fleet_vehicle.json")
    service = _file(DOCTYPES, "fleet_vehicle_service", "fleet_vehicle_service.json")
    out = _import(client, admin_headers, [vehicle, service])  # the parent first: the import orders them
    child = out[("DocType", "Fleet Vehicle Service")]
    parent = out[("DocType", "Fleet Vehicle")]
    assert (child["status"], parent["status"]) == ("created", "created")
    assert "fields: translatable" in child["ignored"] and "editable_grid" in parent["ignored"]
    for key in ("allow_import", "image_field", "index_web_pages_for_search",
                "show_title_field_in_link", "fields: non_negative", "fields: collapsible",
                "permissions: email"):
        assert any(i.startswith(key) for i in parent["ignored"]), (key, parent["ignored"])
    notes = "\n".join(parent["notes"])
    assert "field 'photo' left out: Attach Image fields are not supported yet" in notes
    assert "field 'intro_html' left out: HTML fields do not exist here" in notes
    assert "field 'driver' links to Employee, which does not exist here" in notes
    assert "field 'internal_notes' is at permission level 1" in notes
    assert "permissions of System Manager at level 1 left out" in notes
    assert "role 'Fleet Manager' does not exist here" in notes
    assert {"tabFleet Vehicle", "tabFleet Vehicle Service"} <= _tables(app)

    meta = client.get("/api/resource/DocType/Fleet Vehicle", headers=admin_headers).get_json()["data"]
    assert [f["fieldname"] for f in meta["fields"]] == [
        "plate", "make", "model", "column_break_4xk2", "status", "driver", "odometer", "section_break_9",
        "purchase_date", "purchase_price", "fuel_type", "services", "internal_notes"]
    assert (meta["autoname"], meta["title_field"], meta["search_fields"]) == ("format:FV-{#####}", "plate",
                                                                             "make, model")
    r = client.post("/api/resource/Fleet Vehicle", headers=admin_headers, json={
        "plate": "B-FV-1", "make": "Volvo", "odometer": 1200, "fuel_type": "Diesel",
        "services": [{"service_date": "2024-03-01", "work_done": "oil", "cost": 99.999}]})
    assert r.status_code == 200, r.get_json()
    doc = r.get_json()["data"]
    assert doc["name"] == "FV-00001" and doc["status"] == "Active" and doc["services"][0]["cost"] == 100.0
    r = client.post("/api/resource/Fleet Vehicle", json={"plate": "B-FV-1"}, headers=admin_headers)
    assert r.status_code == 409  # unique plate
    r = client.post("/api/resource/Fleet Vehicle", json={"plate": "B-FV-2", "driver": "E-1"}, headers=admin_headers)
    assert r.status_code == 417 and "Employee 'E-1' does not exist" in r.get_json()["exception"]

    r = client.post("/api/method/frappe.client.rename_doc", json={  # "allow_rename": 1 in the file
        "doctype": "Fleet Vehicle", "old_name": "FV-00001", "new_name": "FV-VOLVO"}, headers=admin_headers)
    assert r.status_code == 200 and r.get_json()["message"] == "FV-VOLVO"
    assert client.get("/api/resource/Fleet Vehicle/FV-VOLVO", headers=admin_headers).get_json()["data"][
        "services"][0]["work_done"] == "oil"

    again = _import(client, admin_headers, [service, vehicle])
    assert {o["status"] for o in again.values()} == {"unchanged"}


def test_fixtures_import_verbatim_and_change_built_in_doctypes(app, client, admin_headers):
    vehicle = _file(DOCTYPES, "fleet_vehicle", "fleet_vehicle.json")
    service = _file(DOCTYPES, "fleet_vehicle_service", "fleet_vehicle_service.json")
    custom_fields = _file(APP, "fixtures", "custom_field.json")
    setters = _file(APP, "fixtures", "property_setter.json")
    out = _import(client, admin_headers, [*custom_fields, *setters, vehicle, service])
    status = {key: o["status"] for key, o in out.items()}
    assert status[("Custom Field", "ToDo-fleet_vehicle")] == "created"
    assert status[("Custom Field", "ToDo-odometer_reading")] == "created"
    assert status[("Custom Field", "ToDo-fleet_section")] == "created"
    assert status[("Custom Field", "Note-vehicle_plate")] == "created"
    assert status[("Custom Field", "Sales Invoice-fleet_vehicle")] == "skipped"
    assert out[("Custom Field", "Sales Invoice-fleet_vehicle")]["notes"] == ["DocType 'Sales Invoice' does not exist here"]
    assert "Attach fields are not supported yet" in out[("Custom Field", "Note-receipt")]["notes"][0]
    assert out[("Custom Field", "ToDo-odometer_reading")]["ignored"] == ["non_negative", "print_hide"]
    for name in ("ToDo-date-reqd", "ToDo-priority-options", "ToDo-reference_name-hidden",
                 "ToDo-description-in_list_view", "ToDo-priority-default", "ToDo-main-sort_order"):
        assert status[("Property Setter", name)] == "created", name
    assert status[("Property Setter", "ToDo-status-no_copy")] == "skipped"
    assert "property 'no_copy' changes nothing here" in out[("Property Setter", "ToDo-status-no_copy")]["notes"][0]

    todo = client.get("/api/resource/DocType/ToDo", headers=admin_headers).get_json()["data"]
    assert todo["custom"] == 0 and "fleet_vehicle" not in [f["fieldname"] for f in todo["fields"]]
    r = client.post("/api/resource/ToDo", json={"description": "service"}, headers=admin_headers)
    assert r.status_code == 417 and "value missing for Date" in r.get_json()["exception"]
    r = client.post("/api/resource/Fleet Vehicle", json={"plate": "P-1"}, headers=admin_headers)
    r = client.post("/api/resource/ToDo", json={"description": "service", "date": "2024-01-01",
                                                "fleet_vehicle": "FV-00001", "odometer_reading": 5},
                    headers=admin_headers)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["data"]["priority"], r.get_json()["data"]["fleet_vehicle"]) == ("High", "FV-00001")
    r = client.post("/api/resource/Note", json={"title": "n", "vehicle_plate": "P-1"}, headers=admin_headers)
    assert r.get_json()["data"]["vehicle_plate"] == "P-1"


def test_a_dry_run_reports_and_keeps_nothing(app, client, admin_headers):
    before = _tables(app)
    vehicle = _file(DOCTYPES, "fleet_vehicle", "fleet_vehicle.json")
    service = _file(DOCTYPES, "fleet_vehicle_service", "fleet_vehicle_service.json")
    out = _import(client, admin_headers, [vehicle, service, *_file(APP, "fixtures", "custom_field.json")],
                  dry_run=True)
    assert out[("DocType", "Fleet Vehicle")]["status"] == "created"
    assert out[("Custom Field", "ToDo-fleet_vehicle")]["status"] == "created"
    assert _tables(app) == before
    assert client.get("/api/resource/DocType/Fleet Vehicle", headers=admin_headers).status_code == 404
    r = client.post("/api/resource/ToDo", json={"description": "x"}, headers=admin_headers)
    assert "fleet_vehicle" not in r.get_json()["data"]  # the registry forgot the rolled-back Custom Field


def test_one_bad_document_is_skipped_and_the_rest_import(client, admin_headers):
    bad = {"doctype": "DocType", "name": "Bad; Name", "fields": [{"fieldname": "a", "fieldtype": "Data"}]}
    good = {"doctype": "DocType", "name": "Good One", "fields": [{"fieldname": "a", "fieldtype": "Data"}]}
    builtin = {"doctype": "DocType", "name": "ToDo", "fields": []}
    out = _import(client, admin_headers, [bad, good, builtin, {"doctype": "Server Script", "name": "s"}])
    assert out[("DocType", "Bad; Name")]["status"] == "skipped"
    assert "may contain only letters" in out[("DocType", "Bad; Name")]["notes"][0]
    assert out[("DocType", "Good One")]["status"] == "created"
    assert "built in here" in out[("DocType", "ToDo")]["notes"][0]
    assert "not a customization (Server Script)" in out[("Server Script", "s")]["notes"][0]


def test_the_import_is_for_system_managers(client, api_keys):
    r = client.post("/api/method/doctype.import", json={"docs": [{"doctype": "DocType", "name": "X"}]},
                    headers=api_keys("emp@example.com", roles=["Employee"]))
    assert r.status_code == 403


def test_a_doctype_json_as_the_body(client, admin_headers):
    body = _file(DOCTYPES, "fleet_vehicle_service", "fleet_vehicle_service.json")
    r = client.post("/api/method/doctype.import", json=body, headers=admin_headers)
    assert r.get_json()["message"]["results"][0]["status"] == "created"


def test_the_cli_imports_an_apps_folder(app, instance_dir):
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=instance_dir, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               PYTHONPATH=ROOT)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "import-doctypes", APP]
    dry = subprocess.run([*flask, "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "created: DocType Fleet Vehicle" in dry.stdout and "Dry run, nothing kept" in dry.stdout
    done = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "created: DocType Fleet Vehicle Service" in done.stdout
    assert "skipped: Custom Field Sales Invoice-fleet_vehicle" in done.stdout
    assert "ignored (not used here): allow_import, editable_grid" in done.stdout
    assert "field 'photo' left out: Attach Image fields are not supported yet" in done.stdout
    with app.app_context():
        from webapp.doctypes import registry

        assert registry.get("Fleet Vehicle") is not None  # this process sees what the other one made
        assert registry.get("ToDo").get_field("fleet_vehicle") is not None
