"""Helpers for Server Script tests: create scripts over the REST API as a System Manager."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def admin_headers(api_keys):
    return api_keys("Administrator")


@pytest.fixture
def enable_scripts(site_config):
    site_config(server_script_enabled=True)


@pytest.fixture
def make_script(client, admin_headers):
    """make_script(name, script, script_type="DocType Event", **fields) -> the saved script (dict)."""

    def make(name: str, script: str, script_type: str = "DocType Event", **fields):
        body = {"name": name, "script_type": script_type, "script": script, **fields}
        r = client.post("/api/resource/Server Script", json=body, headers=admin_headers)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["data"]

    return make


@pytest.fixture
def logs(client, admin_headers):
    """logs(**filters) -> execution log rows, oldest first."""

    def read(**filters):
        r = client.get("/api/resource/Server Script Log", query_string={
            "fields": json.dumps(["*"]), "filters": json.dumps(filters), "order_by": "started asc",
            "limit_page_length": 0}, headers=admin_headers)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["data"]

    return read


def messages(body: dict) -> list[str]:
    return [json.loads(m)["message"] for m in json.loads(body.get("_server_messages") or "[]")]
