"""Renaming documents (Frappe's rename_doc): over REST, from scripts, with Before/After Rename
scripts, and links that follow the document."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")


@pytest.fixture
def enable_scripts(site_config):
    site_config(server_script_enabled=True)


@pytest.fixture
def admin(api_keys):
    return api_keys("Administrator")


def rename(client, headers, doctype, old, new):
    return client.post("/api/method/frappe.client.rename_doc", headers=headers,
                       json={"doctype": doctype, "old_name": old, "new_name": new})


def add_script(client, headers, name, script, **fields):
    r = client.post("/api/resource/Server Script", headers=headers,
                    json={"name": name, "script": script, "script_type": "DocType Event", **fields})
    assert r.status_code == 200, r.get_json()


def test_a_note_is_renamed_with_its_title(client, admin):
    assert client.post("/api/resource/Note", json={"title": "Draft", "content": "x"}, headers=admin).status_code == 200
    r = rename(client, admin, "Note", "Draft", "Final")
    assert r.status_code == 200 and r.get_json() == {"message": "Final"}
    note = client.get("/api/resource/Note/Final", headers=admin).get_json()["data"]
    assert note["title"] == "Final" and note["content"] == "x"
    assert client.get("/api/resource/Note/Draft", headers=admin).status_code == 404


def test_a_role_takes_its_users_along(client, admin, make_user, login_as, app):
    assert client.post("/api/resource/Role", json={"role_name": "Auditor"}, headers=admin).status_code == 200
    make_user("aud@example.com", roles=["Auditor"])
    assert rename(client, admin, "Role", "Auditor", "Reviewer").status_code == 200
    with app.app_context():
        from webapp.services.users import get_user

        assert get_user("aud@example.com").roles == ["Reviewer"]  # the Has Role link followed


def test_rename_scripts_see_the_old_and_new_names(client, admin):
    add_script(client, admin, "before", "frappe.msgprint(f'before {doc.name}: {old_name} -> {new_name}')",
               reference_doctype="Note", doctype_event="Before Rename")
    add_script(client, admin, "after", "doc.content = f'renamed from {old_name}'\ndoc.save()",
               reference_doctype="Note", doctype_event="After Rename")
    client.post("/api/resource/Note", json={"title": "A"}, headers=admin)
    r = rename(client, admin, "Note", "A", "B")
    assert r.status_code == 200
    import json

    assert [json.loads(m)["message"] for m in json.loads(r.get_json()["_server_messages"])] == ["before A: A -> B"]
    assert client.get("/api/resource/Note/B", headers=admin).get_json()["data"]["content"] == "renamed from A"


def test_a_failing_before_rename_script_leaves_everything(client, admin):
    add_script(client, admin, "no", "frappe.throw('Not this one')", reference_doctype="Role",
               doctype_event="Before Rename")
    client.post("/api/resource/Role", json={"role_name": "Keeper"}, headers=admin)
    r = rename(client, admin, "Role", "Keeper", "Other")
    assert r.status_code == 417 and "Not this one" in r.get_json()["exception"]
    assert client.get("/api/resource/Role/Keeper", headers=admin).status_code == 200
    assert client.get("/api/resource/Role/Other", headers=admin).status_code == 404


@pytest.mark.parametrize(("doctype", "old", "new", "status", "words"), [
    ("ToDo", None, "x", 417, "cannot be renamed"),
    ("Role", "System Manager", "Boss", 417, "standard role"),
    ("Note", "One", "Two", 409, "already exists"),
    ("Note", "One", "", 417, "Missing argument"),
    ("Note", "One", "bad\nname", 417, "line breaks"),
    ("Note", "Nope", "Other", 404, "not found"),
])
def test_bad_renames_are_refused_with_the_reason(client, admin, doctype, old, new, status, words):
    client.post("/api/resource/Note", json={"title": "One"}, headers=admin)
    client.post("/api/resource/Note", json={"title": "Two"}, headers=admin)
    if old is None:
        old = client.post("/api/resource/ToDo", json={"description": "t"}, headers=admin).get_json()["data"]["name"]
    r = rename(client, admin, doctype, old, new)
    assert r.status_code == status, r.get_json()
    assert words in r.get_json()["exception"]


def test_renaming_needs_write_permission_and_post(client, admin, api_keys):
    client.post("/api/resource/Role", json={"role_name": "Tester"}, headers=admin)
    employee = api_keys("emp@example.com", roles=["Employee"])
    assert rename(client, employee, "Role", "Tester", "T2").status_code == 403
    r = client.get("/api/method/frappe.client.rename_doc", headers=admin,
                   query_string={"doctype": "Role", "old_name": "Tester", "new_name": "T2"})
    assert r.status_code == 417 and "POST" in r.get_json()["exception"]


def test_scripts_rename_with_frappe_rename_doc_and_doc_rename(client, admin):
    client.post("/api/resource/Note", json={"title": "First"}, headers=admin)
    client.post("/api/resource/Note", json={"title": "Second"}, headers=admin)
    r = client.post("/api/resource/Server Script", headers=admin, json={
        "name": "renamer", "script_type": "API", "api_method": "renamer",
        "script": "a = frappe.rename_doc('Note', 'First', 'First (old)')\n"
                  "d = frappe.get_doc('Note', 'Second')\nd.rename('Second (old)')\n"
                  "frappe.response['message'] = [a, d.name, d.title]"})
    assert r.status_code == 200
    r = client.post("/api/method/renamer", headers=admin)
    assert r.get_json() == {"message": ["First (old)", "Second (old)", "Second (old)"]}


def test_a_disabled_role_is_taken_from_its_users(client, admin, make_user, app):
    client.post("/api/resource/Role", json={"role_name": "Temp"}, headers=admin)
    make_user("t@example.com", roles=["Temp", "Employee"])
    r = client.put("/api/resource/Role/Temp", json={"disabled": 1}, headers=admin)
    assert r.status_code == 200
    with app.app_context():
        from webapp.services.users import get_user

        assert get_user("t@example.com").roles == ["Employee"]
    r = client.put("/api/resource/Role/Employee", json={"disabled": 1}, headers=admin)
    assert r.status_code == 417 and "standard role" in r.get_json()["exception"]
    r = client.delete("/api/resource/Role/Employee", headers=admin)
    assert r.status_code == 417 and "standard role" in r.get_json()["exception"]
