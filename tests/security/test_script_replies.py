"""Replies of API scripts (issue #11, "Replies" and "Guest escalation").

One redirect rule whichever way a script asks for one; non-JSON replies cannot run active content on
the app's origin; and a guest's script reaches only what a guest may call directly.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def env(client, api_keys, site_config):
    site_config(server_script_enabled=True)
    return api_keys("Administrator")


def add(client, headers, name: str, script: str, **fields) -> None:
    body = {"name": name, "script_type": "API", "api_method": name, "script": script, "allow_guest": 1, **fields}
    r = client.post("/api/resource/Server Script", headers=headers, json=body)
    assert r.status_code == 200, r.get_json()


OFF_SITE = ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", " https://evil.example",
            "/ok\r\nSet-Cookie: a=b", "javascript:alert(1)", "/a\x0b/b", "http:evil.example"]


@pytest.mark.parametrize("location", OFF_SITE)
@pytest.mark.parametrize("door", ["type", "status-and-header", "header-only", "lowercase-header"])
def test_no_script_redirects_off_site(client, env, location, door):
    loc = repr(location)
    source = {
        "type": f"frappe.response['type'] = 'redirect'\nfrappe.response['location'] = {loc}",
        "status-and-header": f"frappe.response['http_status_code'] = 302\nfrappe.response['headers'] = {{'Location': {loc}}}",
        "header-only": f"frappe.response['headers'] = {{'Location': {loc}}}",
        "lowercase-header": f"frappe.response['http_status_code'] = 301\nfrappe.response['headers'] = {{'location': {loc}}}",
    }[door]
    add(client, env, "go", source)
    r = client.get("/api/method/go")
    assert r.status_code == 417, (r.status_code, r.headers)
    assert "Location" not in r.headers
    assert "path on this site" in r.get_json()["exception"] or "cannot be set" in r.get_json()["exception"]


def test_same_site_redirect_through_either_door(client, env):
    add(client, env, "go_type", "frappe.response['type'] = 'redirect'\nfrappe.response['location'] = '/app/todo'")
    add(client, env, "go_header", "frappe.response['http_status_code'] = 303\n"
                                  "frappe.response['headers'] = {'Location': '/app/note'}")
    r = client.get("/api/method/go_type")
    assert r.status_code == 302 and r.headers["Location"] == "/app/todo"
    r = client.get("/api/method/go_header")
    assert r.status_code == 303 and r.headers["Location"] == "/app/note"


def test_refresh_header_and_redirect_without_location_are_refused(client, env):
    add(client, env, "refresh", "frappe.response['headers'] = {'Refresh': '0; url=https://evil.example/'}")
    add(client, env, "bare302", "frappe.response['http_status_code'] = 302")
    assert client.get("/api/method/refresh").status_code == 417
    r = client.get("/api/method/bare302")
    assert r.status_code == 417 and "needs a Location" in r.get_json()["exception"]


ACTIVE = {
    "download-inline-html": "frappe.response['type'] = 'download'\nfrappe.response['filename'] = 'x.html'\n"
                            "frappe.response['content_type'] = 'text/html'\n"
                            "frappe.response['filecontent'] = '<script>alert(1)</script>'\n"
                            "frappe.response['headers'] = {'Content-Disposition': 'inline'}",
    "text-with-content-type": "frappe.response['type'] = 'text'\nfrappe.response['message'] = '<script>alert(1)</script>'\n"
                              "frappe.response['headers'] = {'Content-Type': 'text/html'}",
    "json-with-content-type": "frappe.response['message'] = '<script>alert(1)</script>'\n"
                              "frappe.response['headers'] = {'Content-Type': 'text/html'}",
    "svg-download": "frappe.response['type'] = 'download'\nfrappe.response['filename'] = 'x.svg'\n"
                    "frappe.response['content_type'] = 'image/svg+xml'\n"
                    "frappe.response['filecontent'] = '<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>'",
}


@pytest.mark.parametrize("case", sorted(ACTIVE))
def test_non_json_replies_are_sandboxed(client, env, case):
    add(client, env, "active", ACTIVE[case])
    r = client.get("/api/method/active")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    csp = r.headers["Content-Security-Policy"]
    assert csp.split(";")[0].strip() == "sandbox" and "default-src 'none'" in csp


@pytest.mark.parametrize("header", ["Content-Security-Policy", "X-Content-Type-Options",
                                    "content-security-policy-report-only"])
def test_scripts_cannot_loosen_the_sandbox_headers(client, env, header):
    add(client, env, "loosen", f"frappe.response['type'] = 'text'\nfrappe.response['headers'] = {{'{header}': 'x'}}")
    assert client.get("/api/method/loosen").status_code == 417


def test_json_replies_are_not_sniffed(client, env):
    add(client, env, "plain_json", "frappe.response['message'] = '<b>x</b>'")
    r = client.get("/api/method/plain_json")
    assert r.mimetype == "application/json" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/method/ping").headers["X-Content-Type-Options"] == "nosniff"


# -- guest escalation -----------------------------------------------------------------------------
@pytest.fixture
def guest_doors(client, env):
    add(client, env, "members_only", "frappe.flags.secret = 'for members'", allow_guest=0)
    add(client, env, "via_call", "frappe.response['message'] = frappe.call('members_only')", allow_guest=1)
    add(client, env, "via_run_script", "frappe.response['message'] = run_script('members_only')", allow_guest=1)
    add(client, env, "via_enqueue", "frappe.enqueue('members_only')\nfrappe.response['message'] = 'queued'",
        allow_guest=1)
    add(client, env, "via_enqueue_now", "frappe.response['message'] = frappe.enqueue('members_only', now=True)",
        allow_guest=1)
    add(client, env, "via_client", "frappe.response['message'] = frappe.call('frappe.client.get_count', "
                                   "doctype='ToDo')", allow_guest=1)
    return env


@pytest.mark.parametrize("door", ["via_call", "via_run_script", "via_enqueue", "via_enqueue_now", "via_client"])
def test_a_guest_script_cannot_reach_login_only_methods(client, guest_doors, door):
    assert client.post("/api/method/members_only").status_code == 403  # the direct door
    r = client.post(f"/api/method/{door}")
    assert r.status_code == 403, r.get_data(as_text=True)
    assert "for members" not in r.get_data(as_text=True)
    assert r.get_json()["exc_type"] == "PermissionError"


@pytest.mark.parametrize("door", ["via_call", "via_run_script", "via_enqueue_now", "via_client"])
def test_a_logged_in_user_still_reaches_them(client, guest_doors, door, login_as):
    login_as("member@example.com")
    r = client.post(f"/api/method/{door}")
    assert r.status_code == 200, r.get_data(as_text=True)


def test_a_guest_script_reaches_guest_scripts(client, env):
    add(client, env, "public_lib", "frappe.flags.hello = 'all'", allow_guest=1)
    add(client, env, "public_caller", "frappe.response['message'] = run_script('public_lib')", allow_guest=1)
    assert client.post("/api/method/public_caller").get_json() == {"message": {"hello": "all"}}
