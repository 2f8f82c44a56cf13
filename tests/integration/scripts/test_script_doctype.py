"""Saving a Server Script: validation with clear 417s, System Managers only, the feature switch."""

from __future__ import annotations

import json

import pytest


def _post(client, headers, **body):
    return client.post("/api/resource/Server Script", json=body, headers=headers)


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"script_type": "DocType Event", "doctype_event": "Before Save", "script": "x = 1"}, "Reference Document Type"),
        ({"script_type": "DocType Event", "reference_doctype": "ToDo", "script": "x = 1"}, "DocType Event must be one of"),
        ({"script_type": "DocType Event", "reference_doctype": "Nope", "doctype_event": "Before Save", "script": "x=1"},
         "'Nope' is not a document type"),
        ({"script_type": "DocType Event", "reference_doctype": "ToDo", "doctype_event": "Before Submit", "script": "x=1"},
         "not submittable"),
        ({"script_type": "API", "api_method": "ping", "script": "x = 1"}, "built-in method"),
        ({"script_type": "API", "api_method": "frappe.client.get", "script": "x = 1"}, "built-in method"),
        ({"script_type": "API", "api_method": "bad name!", "script": "x = 1"}, "may contain only"),
        ({"script_type": "API", "api_method": "m", "enable_rate_limit": 1, "rate_limit_count": 0, "script": "x=1"},
         "Rate Limit Count"),
        ({"script_type": "API", "api_method": "m", "script": "x = 1\nif x:\n  y = (\n"}, "Invalid Python code on line 3"),
        ({"script_type": "API", "api_method": "m", "script": "_secret = 1"}, "Invalid Python code on line 1"),
        ({"script_type": "API", "api_method": "m", "script": "import os"}, "os"),
        ({"script_type": "API", "api_method": "m", "script": "   "}, "empty"),
        ({"script_type": "Shell", "script": "x = 1"}, "Script Type"),
        ({"script_type": "Scheduler Event", "script": "x = 1"}, "needs an Event Frequency"),
        ({"script_type": "Scheduler Event", "event_frequency": "Fortnightly", "script": "x = 1"},
         "needs an Event Frequency"),
        ({"script_type": "Scheduler Event", "event_frequency": "Cron", "script": "x = 1"}, "needs a Cron Format"),
        ({"script_type": "Scheduler Event", "event_frequency": "Cron", "cron_format": "61 * * * *", "script": "x=1"},
         "'61 * * * *' is not a valid cron expression"),
        ({"script_type": "Scheduler Event", "event_frequency": "Cron", "cron_format": "* * * *", "script": "x=1"},
         "has 4 fields"),
        ({"script_type": "Scheduler Event", "event_frequency": "Cron", "cron_format": "0 0 30 2 *", "script": "x=1"},
         "never comes round"),
        ({"script_type": "Scheduler Event", "event_frequency": "Daily", "script": "import os"}, "os"),
        ({"script_type": "Permission Query", "script": "conditions = ''"}, "needs a Reference Document Type"),
        ({"script_type": "Permission Query", "reference_doctype": "Email Queue", "script": "x = 1"},
         "not a document type scripts can follow"),
        ({"script_type": "Permission Query", "reference_doctype": "Server Script", "script": "x = 1"},
         "not a document type scripts can follow"),
    ],
)
def test_bad_scripts_are_refused_with_a_clear_message(client, api_keys, body, needle):
    headers = api_keys("Administrator")
    r = _post(client, headers, name="s1", **body)
    assert r.status_code == 417, r.get_json()
    assert needle in r.get_json()["exception"]
    assert client.get("/api/resource/Server Script", headers=headers).get_json()["data"] == []


def test_compile_error_names_the_line(client, api_keys):
    r = _post(client, api_keys("Administrator"), name="s", script_type="API", api_method="m",
              script="a = 1\nb = 2\nc = (3\n")
    assert r.status_code == 417
    assert "Invalid Python code on line 3: " in r.get_json()["exception"]


def test_duplicate_api_method_refused(client, api_keys):
    headers = api_keys("Administrator")
    assert _post(client, headers, name="one", script_type="API", api_method="same", script="x=1").status_code == 200
    r = _post(client, headers, name="two", script_type="API", api_method="same", script="x=1")
    assert r.status_code == 409 and "already used by Server Script 'one'" in r.get_json()["exception"]
    # Saving the owner again is fine.
    assert client.put("/api/resource/Server Script/one", json={"script": "y = 2"}, headers=headers).status_code == 200


def test_duplicate_name_refused(client, api_keys):
    headers = api_keys("Administrator")
    _post(client, headers, name="one", script_type="API", api_method="a", script="x=1")
    assert _post(client, headers, name="one", script_type="API", api_method="b", script="x=1").status_code == 409


@pytest.mark.parametrize("roles", [["Employee"], ["Expense Approver"], []])
def test_only_system_managers_manage_scripts(client, api_keys, roles):
    admin = api_keys("Administrator")
    _post(client, admin, name="mine", script_type="API", api_method="m", script="x=1")
    other = api_keys("emp@example.com", roles=roles)
    assert _post(client, other, name="s", script_type="API", api_method="n", script="x=1").status_code == 403
    assert client.put("/api/resource/Server Script/mine", json={"script": "y=1"}, headers=other).status_code == 403
    assert client.delete("/api/resource/Server Script/mine", headers=other).status_code == 403
    assert client.get("/api/resource/Server Script", headers=other).status_code == 403
    assert client.get("/api/resource/Server Script Log", headers=other).status_code == 403
    assert client.get("/api/resource/Server Script/mine", headers=admin).get_json()["data"]["script"] == "x=1"


def test_system_manager_role_is_enough(client, api_keys):
    sm = api_keys("sm@example.com", roles=["System Manager"])
    assert _post(client, sm, name="s", script_type="API", api_method="n", script="x=1").status_code == 200


def test_frappe_fixture_json_loads_as_is(client, api_keys, site_config):
    """An exported Frappe fixture row, extra keys and all."""
    site_config(server_script_enabled=True)
    fixture = {
        "allow_guest": 1, "api_method": "fixture_hello", "cron_format": None, "disabled": 0,
        "docstatus": 0, "doctype": "Server Script", "doctype_event": None, "enable_rate_limit": 0,
        "event_frequency": None, "modified": "2024-05-02 10:11:12.123456", "module": "Custom",
        "name": "Fixture Hello", "rate_limit_count": 5, "rate_limit_seconds": 86400, "reference_doctype": None,
        "script": "frappe.response['message'] = 'from fixture'", "script_type": "API", "__islocal": 1,
    }
    r = client.post("/api/resource/Server Script", json=fixture, headers=api_keys("Administrator"))
    assert r.status_code == 200, r.get_json()
    assert client.get("/api/method/fixture_hello").get_json() == {"message": "from fixture"}


def test_log_is_read_only(client, api_keys):
    headers = api_keys("Administrator")
    r = client.post("/api/resource/Server Script Log", json={"server_script": "x"}, headers=headers)
    assert r.status_code == 417


class TestFeatureSwitch:
    def test_api_script_answers_403_with_hint_when_disabled(self, client, api_keys):
        headers = api_keys("Administrator")
        _post(client, headers, name="h", script_type="API", api_method="hello", allow_guest=1,
              script="frappe.response['message'] = 'hi'")
        r = client.get("/api/method/hello")
        assert r.status_code == 403
        assert "set-config server_script_enabled true" in r.get_json()["exception"]

    def test_doc_operation_with_script_answers_403_and_writes_nothing(self, client, api_keys):
        headers = api_keys("Administrator")
        _post(client, headers, name="t", script_type="DocType Event", reference_doctype="ToDo",
              doctype_event="Before Save", script="doc.priority = 'High'")
        r = client.post("/api/resource/ToDo", json={"description": "x"}, headers=headers)
        assert r.status_code == 403 and "server_script_enabled" in r.get_json()["exception"]
        assert client.get("/api/resource/ToDo", headers=headers).get_json()["data"] == []
        # Documents without scripts are unaffected.
        assert client.post("/api/resource/Note", json={"title": "n"}, headers=headers).status_code == 200

    def test_enabling_applies_on_next_request(self, client, api_keys, site_config):
        headers = api_keys("Administrator")
        _post(client, headers, name="h", script_type="API", api_method="hello", allow_guest=1,
              script="frappe.response['message'] = 'hi'")
        assert client.get("/api/method/hello").status_code == 403
        site_config(server_script_enabled=True)
        assert client.get("/api/method/hello").get_json() == {"message": "hi"}
        site_config(server_script_enabled=False)
        assert client.get("/api/method/hello").status_code == 403

    def test_timeout_from_site_config(self, client, api_keys, site_config):
        site_config(server_script_enabled=True, server_script_timeout=0.3)
        headers = api_keys("Administrator")
        _post(client, headers, name="spin", script_type="API", api_method="spin", script="while True:\n    pass\n")
        r = client.post("/api/method/spin", headers=headers)
        assert r.status_code == 417 and r.get_json()["exc_type"] == "ScriptTimeoutError"
        assert "'spin'" in r.get_json()["exception"]
        assert client.get("/api/method/ping").get_json() == {"message": "pong"}
        row = client.get("/api/resource/Server Script Log?fields=[\"status\"]", headers=headers).get_json()["data"]
        assert row == [{"status": "Timeout"}]


def test_an_api_script_without_a_method_is_saved_but_not_callable(client, admin_headers, site_config):
    # Frappe saves it (its own tests switch a script to API and back); it is served once it has one.
    site_config(server_script_enabled=True)
    r = client.post("/api/resource/Server Script", headers=admin_headers,
                    json={"name": "later", "script_type": "API", "script": "frappe.response['message'] = 1"})
    assert r.status_code == 200 and r.get_json()["data"]["api_method"] is None
    [note] = [json.loads(m) for m in json.loads(r.get_json()["_server_messages"])]
    assert "no API Method yet" in note["message"] and note["indicator"] == "orange"
    r = client.put("/api/resource/Server Script/later", headers=admin_headers, json={"api_method": "later_m"})
    assert r.status_code == 200 and "_server_messages" not in r.get_json()
    assert client.post("/api/method/later_m", headers=admin_headers).get_json() == {"message": 1}
