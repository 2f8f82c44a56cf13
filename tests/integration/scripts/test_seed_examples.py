"""Every example of ../shared/seed/server-scripts-docs.md, verbatim."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")

CHANGE_VALUE = '''if "test" in doc.description:
    doc.status = 'Closed'
'''
CUSTOM_VALIDATION = '''if "validate" in doc.description:
    raise frappe.ValidationError
'''
AUTO_CREATE_TODO = '''if doc.allocated_to:
    frappe.get_doc(dict(
        doctype = 'ToDo',
        owner = doc.allocated_to,
        description = doc.subject
    )).insert()
'''
API_HELLO = "frappe.response['message'] = \"hello\"\n"
LIBRARY_1 = "# Script 1\nfrappe.flags.my_key = 'my value'\n"
LIBRARY_2 = "# Script 2\nmy_key = run_script('script_1').get('my_key')\n"


def test_change_value_before_save(client, make_script, login_as):
    make_script("Close test ToDos", CHANGE_VALUE, reference_doctype="ToDo", doctype_event="Before Save")
    login_as("ann@example.com")
    closed = client.post("/api/resource/ToDo", json={"description": "a test item"}).get_json()["data"]
    kept = client.post("/api/resource/ToDo", json={"description": "real work"}).get_json()["data"]
    assert closed["status"] == "Closed"
    assert kept["status"] == "Open"
    # The change was saved, not just returned.
    assert client.get(f"/api/resource/ToDo/{closed['name']}").get_json()["data"]["status"] == "Closed"


def test_custom_validation(client, make_script, login_as):
    make_script("Validate ToDo", CUSTOM_VALIDATION, reference_doctype="ToDo", doctype_event="Before Save")
    login_as("ann@example.com")
    r = client.post("/api/resource/ToDo", json={"description": "please validate me"})
    assert r.status_code == 417
    assert r.get_json()["exc_type"] == "ValidationError"
    assert "Validate ToDo" in r.get_json()["exception"] and "line 2" in r.get_json()["exception"]
    assert client.get("/api/resource/ToDo").get_json()["data"] == []
    assert client.post("/api/resource/ToDo", json={"description": "fine"}).status_code == 200


def test_auto_create_todo(client, make_script, login_as, make_user):
    make_user("bob@example.com")
    make_script("Task ToDo", AUTO_CREATE_TODO, reference_doctype="Task", doctype_event="After Save")
    login_as("ann@example.com")
    task = client.post("/api/resource/Task", json={"subject": "Ship it", "allocated_to": "bob@example.com"})
    assert task.status_code == 200, task.get_json()
    todos = client.get("/api/resource/ToDo?fields=[\"description\",\"owner\"]").get_json()["data"]
    assert todos == [{"description": "Ship it", "owner": "bob@example.com"}]
    # No allocation, no ToDo.
    client.post("/api/resource/Task", json={"subject": "Alone"})
    assert len(client.get("/api/resource/ToDo").get_json()["data"]) == 1


def test_api_script_hello(client, make_script, login_as):
    make_script("test_method", API_HELLO, script_type="API", api_method="test_method")
    login_as("ann@example.com")
    r = client.get("/api/method/test_method")
    assert r.status_code == 200
    assert r.get_json() == {"message": "hello"}


def test_internal_library_flags(client, make_script, login_as):
    make_script("script_1", LIBRARY_1, script_type="API", api_method="script_1")
    make_script("script_2", LIBRARY_2 + "frappe.response['message'] = my_key\n", script_type="API",
                api_method="script_2")
    login_as("ann@example.com")
    assert client.get("/api/method/script_2").get_json() == {"message": "my value"}


def test_library_script_verbatim_sets_nothing_and_replies_empty(client, make_script, login_as):
    make_script("script_1", LIBRARY_1, script_type="API", api_method="script_1")
    make_script("script_2", LIBRARY_2, script_type="API", api_method="script_2")
    login_as("ann@example.com")
    # Script 2 verbatim sets neither response nor flags: Frappe replies {}.
    assert client.get("/api/method/script_2").get_json() == {}
    # Script 1 called directly: its flags are the reply.
    assert client.get("/api/method/script_1").get_json() == {"message": {"my_key": "my value"}}
