"""Every run gets its own `frappe` state: what one script changes, the next one never sees."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")

MEDDLE = """
frappe.flags.seen_by_next = 'flag'
frappe.response['message'] = 'leaked'
frappe.form_dict['a'] = 'changed'
frappe.request.args['a'] = 'changed'
frappe.request.headers['X-Test'] = 'changed'
"""

LOOK = """
doc.description = '|'.join([
    str(frappe.flags.get('seen_by_next')), str(frappe.response.get('message')), str(frappe.form_dict.get('a')),
    frappe.request.args['a'], frappe.request.headers['X-Test'],
])
"""


def test_scripts_on_one_request_do_not_share_state(client, login_as, make_script):
    make_script("a meddle", MEDDLE, reference_doctype="ToDo", doctype_event="Before Save")
    make_script("b look", LOOK, reference_doctype="ToDo", doctype_event="Before Save")
    login_as("boss@example.com", roles=["System Manager"])
    r = client.post("/api/resource/ToDo?a=1", json={"description": "x"}, headers={"X-Test": "original"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["data"]["description"] == "None|None|None|1|original"


def test_the_request_as_a_script_sees_it(client, make_script):
    make_script("req", "frappe.response['message'] = [frappe.request.method, frappe.request.path, frappe.request.url,"
                       " frappe.request.args, frappe.request.headers.get('X-Test'), frappe.request.content_type,"
                       " frappe.request.data.decode(), frappe.request.get_json()]",
                script_type="API", api_method="req", allow_guest=1)
    body = client.post("/api/method/req?q=1", json={"k": 1}, headers={"X-Test": "t"}).get_json()["message"]
    assert body == ["POST", "/api/method/req", "http://localhost/api/method/req", {"q": "1"}, "t",
                    "application/json", '{"k": 1}', {"k": 1}]
