"""The Role doctype (#13): the roles users can have, over REST, in the desk and to scripts; System
Managers add roles, the standard ones stay as they are."""

from __future__ import annotations


def test_roles_are_listed_over_rest(client, api_keys):
    admin = api_keys("Administrator")
    r = client.get("/api/resource/Role", query_string={"fields": '["name", "role_name"]', "limit_page_length": 0},
                   headers=admin)
    assert r.status_code == 200, r.get_json()
    rows = r.get_json()["data"]
    names = [row["name"] for row in rows]
    assert {"System Manager", "Employee", "Expense Approver"} <= set(names)
    assert all(row["role_name"] == row["name"] for row in rows)
    one = client.get("/api/resource/Role/Employee", headers=admin)
    assert one.status_code == 200 and one.get_json()["data"]["role_name"] == "Employee"
    assert client.get("/api/resource/Role/Nope", headers=admin).status_code == 404


def test_system_managers_add_roles_and_the_standard_ones_stay(client, api_keys):
    admin = api_keys("Administrator")
    r = client.post("/api/resource/Role", json={"role_name": "Auditor"}, headers=admin)
    assert r.status_code == 200 and r.get_json()["data"]["name"] == "Auditor"
    assert r.get_json()["data"]["disabled"] == 0 and r.get_json()["data"]["desk_access"] == 1
    assert client.delete("/api/resource/Role/Employee", headers=admin).status_code == 417
    emp = api_keys("emp@example.com", roles=["Employee"])
    assert client.post("/api/resource/Role", json={"role_name": "Hacker"}, headers=emp).status_code == 403
    names = [r["name"] for r in client.get("/api/resource/Role", headers=admin).get_json()["data"]]
    assert "Hacker" not in names and {"Employee", "Auditor"} <= set(names)
    assert client.delete("/api/resource/Role/Auditor", headers=admin).status_code == 200


def test_only_system_managers_read_roles(client, api_keys):
    emp = api_keys("emp@example.com", roles=["Employee"])
    assert client.get("/api/resource/Role", headers=emp).status_code == 403


def test_desk_list_page(client, login_as):
    login_as("Administrator")
    r = client.get("/app/role")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "System Manager" in page and "Expense Approver" in page
    assert client.get("/app/role/Employee").status_code == 200


def test_scripts_validate_role_names(client, api_keys, site_config):
    site_config(server_script_enabled=True)
    admin = api_keys("Administrator")
    r = client.post("/api/resource/Server Script", headers=admin, json={
        "name": "roles", "script_type": "API", "api_method": "roles", "script":
        'frappe.response["message"] = [frappe.db.exists("Role", "Employee"), frappe.db.exists("Role", "Nope"),'
        ' len(frappe.get_all("Role")) >= 3]'})
    assert r.status_code == 200, r.get_json()
    assert client.get("/api/method/roles", headers=admin).get_json()["message"] == ["Employee", None, True]
