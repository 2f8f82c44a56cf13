"""No code of a script runs after its run has ended (issue #11, "code after the run").

A script can make objects whose methods are its own code: a dict subclass with its own items(), a
str subclass with its own strip(), an exception class with its own attributes. If the host read
such a value after the run (the JSON encoder calling items(), the documents service calling
strip()), that code would run without a time budget and outside the read-only rule. Each payload
below plants a side effect in such a method (it inserts a ToDo, or loops forever): the test shows
the method never runs, the run ends with a 417 that names the type, and nothing is written.
"""

from __future__ import annotations

import json
import time

import pytest

# A method body that writes when the host calls it (a GET must never write).
WRITES = """
    def {method}(self, *a, **k):
        frappe.get_doc({{"doctype": "ToDo", "description": "written after the run"}}).insert()
        return {result}
"""
LOOPS = """
    def {method}(self, *a, **k):
        while True:
            pass
"""


def evil(base: str, method: str, result: str = "[]", body: str = WRITES) -> str:
    return f"class Evil({base}):\n" + body.format(method=method, result=result)


@pytest.fixture
def env(client, api_keys, site_config):
    site_config(server_script_enabled=True, server_script_timeout=2)
    return api_keys("Administrator")


def add(client, headers, name: str, script: str, **fields) -> None:
    body = {"name": name, "script_type": fields.pop("script_type", "API"), "script": script, **fields}
    if body["script_type"] == "API":
        body.setdefault("api_method", name)
        body.setdefault("allow_guest", 1)
    r = client.post("/api/resource/Server Script", headers=headers, json=body)
    assert r.status_code == 200, r.get_json()


def todos(client, headers) -> list[str]:
    r = client.get("/api/resource/ToDo", headers=headers, query_string={"fields": '["description"]'})
    return [row["description"] for row in r.get_json()["data"]]


REPLY_CASES = {
    "response-dict-items": evil("dict", "items") + "frappe.response['message'] = Evil(a=1)",
    "response-dict-keys": evil("dict", "keys") + "frappe.response['message'] = Evil(a=1)",
    "response-nested-dict": evil("dict", "items") + "frappe.response['message'] = {'x': [Evil(a=1)]}",
    "response-_dict-subclass": evil("_dict", "items") + "frappe.response['message'] = Evil(a=1)",
    "response-list-subclass": evil("list", "copy") + "frappe.response['message'] = Evil([1])",
    "response-str-subclass": evil("str", "encode", "b''") + "frappe.response['message'] = Evil('x')",
    "response-int-subclass": evil("int", "bit_length", "1") + "frappe.response['message'] = Evil(1)",
    "response-other-key": evil("dict", "items") + "frappe.response['extra'] = Evil(a=1)",
    "flags-attribute": evil("dict", "items") + "frappe.flags.x = Evil(a=1)",
    "flags-assigned": evil("dict", "items") + "frappe.flags = {'x': Evil(a=1)}",
    "status-code": evil("int", "bit_length", "1") + "frappe.response['http_status_code'] = Evil(201)",
    "headers-dict": evil("dict", "items") + "frappe.response['headers'] = Evil({'X-A': '1'})",
    "headers-value": evil("str", "encode", "b''") + "frappe.response['headers'] = {'X-A': Evil('1')}",
    "type-text": evil("str", "encode", "b''") + "frappe.response['type'] = 'text'\n"
                                               "frappe.response['message'] = Evil('x')",
    "download-content": evil("str", "encode", "b''") + "frappe.response['type'] = 'download'\n"
                                                     "frappe.response['filecontent'] = Evil('x')",
    "object-of-script-class": "class Thing:\n    pass\nfrappe.response['message'] = Thing()",
}


@pytest.mark.parametrize("case", sorted(REPLY_CASES))
def test_reply_values_are_copied_inside_the_run(client, env, case):
    add(client, env, case.replace("-", "_"), REPLY_CASES[case])
    r = client.get(f"/api/method/{case.replace('-', '_')}")
    assert r.status_code == 417, r.get_data(as_text=True)
    body = r.get_json()
    assert "Evil" in body["exception"] or "Thing" in body["exception"]
    assert "plain data" in body["exception"]
    assert todos(client, env) == []


def test_a_method_that_loops_forever_never_runs_after_the_run(client, env):
    add(client, env, "spin", evil("dict", "items", body=LOOPS) + "frappe.response['message'] = Evil(a=1)")
    started = time.monotonic()
    r = client.post("/api/method/spin")
    assert r.status_code == 417 and "Evil" in r.get_json()["exception"]
    assert time.monotonic() - started < 2  # refused at once, not after the 2 s budget
    assert client.get("/api/method/ping").get_json() == {"message": "pong"}


def test_plain_values_still_reply_as_before(client, env):
    add(client, env, "fine", "import datetime\nfrappe.response['message'] = {'a': [1, 2.5, 'x', None, True], "
                             "'d': datetime.date(2024, 1, 2), 't': (1, 2), 'nested': _dict(b={'c': 1})}\n"
                             "frappe.response['extra'] = 'kept'")
    r = client.get("/api/method/fine")
    assert r.status_code == 200
    assert r.get_json() == {"message": {"a": [1, 2.5, "x", None, True], "d": "2024-01-02", "t": [1, 2],
                                        "nested": {"b": {"c": 1}}}, "extra": "kept"}


def test_a_document_in_the_reply_is_sent_as_its_fields(client, env):
    add(client, env, "docreply", "d = frappe.get_doc({'doctype': 'ToDo', 'description': 'hi'})\n"
                                 "d.insert()\nfrappe.response['message'] = d")
    r = client.post("/api/method/docreply", headers=env)
    assert r.status_code == 200 and r.get_json()["message"]["description"] == "hi"


def test_run_script_and_call_hand_back_plain_data(client, env):
    add(client, env, "lib", evil("dict", "items") + "frappe.flags.made = Evil(a=1)")
    add(client, env, "user_of_lib", "frappe.response['message'] = run_script('lib')")
    r = client.post("/api/method/user_of_lib")
    assert r.status_code == 417 and "Evil" in r.get_json()["exception"]
    assert todos(client, env) == []


def test_document_fields_set_by_a_script_are_plain(client, env):
    add(client, env, "strip attack", evil("str", "strip", "''") + "doc.description = Evil('looks fine')",
        script_type="DocType Event", reference_doctype="ToDo", doctype_event="Before Save")
    r = client.post("/api/resource/ToDo", headers=env, json={"description": "x"})
    assert r.status_code == 417, r.get_data(as_text=True)
    assert "doc.description is a Evil" in r.get_json()["exception"]
    assert todos(client, env) == []


def test_child_rows_and_plain_field_values_still_save(client, env):
    add(client, env, "fill rows", "doc.remark = 'set by script'\n"
                                  "doc.append('expenses', {'expense_type': 'Taxi', 'amount': 12})",
        script_type="DocType Event", reference_doctype="Expense Claim", doctype_event="Before Save")
    r = client.post("/api/resource/Expense Claim", headers=env, json={"employee_name": "Ann"})
    assert r.status_code == 200, r.get_data(as_text=True)
    data = r.get_json()["data"]
    assert data["remark"] == "set by script" and data["expenses"][0]["amount"] == 12


def test_permission_query_conditions_are_copied_as_text(client, env):
    # A str subclass whose strip() would widen the filter (and write) if the host called it later.
    add(client, env, "pq", evil("str", "strip", "'1=1'") + "conditions = Evil(\"`tabToDo`.description = 'mine'\")",
        script_type="Permission Query", reference_doctype="ToDo")
    for text in ("mine", "other"):
        assert client.post("/api/resource/ToDo", headers=env, json={"description": text}).status_code == 200
    assert todos(client, env) == ["mine"]


@pytest.mark.parametrize("conditions", ["1", "['a']", "{'a': 1}"])
def test_permission_query_conditions_must_be_text(client, env, conditions):
    add(client, env, "pq bad", f"conditions = {conditions}", script_type="Permission Query",
        reference_doctype="ToDo")
    r = client.get("/api/resource/ToDo", headers=env)
    assert r.status_code == 417 and "it must be SQL text" in r.get_json()["exception"]


ERROR_CASES = {
    # A script's exception class may shadow what the host reads of an error.
    "status-attribute": ("class E(frappe.ValidationError):\n    http_status_code = 200\nraise E('boom')", 417),
    "title-attribute": (evil("dict", "items") + "class E(frappe.ValidationError):\n    title = Evil(a=1)\n"
                        "raise E('boom')", 417),
    "message-arg": (evil("dict", "items") + "raise frappe.ValidationError(Evil(boom=1))", 417),
    "note": (evil("str", "encode", "b''") + "e = frappe.ValidationError('boom')\ne.add_note(Evil('n'))\nraise e", 417),
    "chained": (evil("dict", "items") + "try:\n    raise ValueError(Evil(a=1))\nexcept ValueError:\n"
                "    raise frappe.ValidationError('boom')", 417),
    "throw-title": (evil("dict", "items") + "frappe.throw('boom', title=Evil(a=1))", 417),
    "plain-error": ("class Mine(Exception):\n    pass\nraise Mine('boom')", 417),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_are_settled_inside_the_run(client, env, case):
    source, status = ERROR_CASES[case]
    add(client, env, case.replace("-", "_"), source)
    r = client.get(f"/api/method/{case.replace('-', '_')}")
    assert r.status_code == status, r.get_data(as_text=True)
    body = r.get_json()
    assert "boom" in body["exception"]
    json.dumps(body)  # the envelope is plain
    assert todos(client, env) == []


def test_msgprint_title_is_text(client, env):
    add(client, env, "talk", evil("dict", "items") + "frappe.msgprint('hi', title=Evil(a=1))\n"
                             "frappe.response['message'] = 1")
    r = client.get("/api/method/talk")
    assert r.status_code == 200
    assert [json.loads(m)["title"] for m in json.loads(r.get_json()["_server_messages"])] == ["{'a': 1}"]
    assert todos(client, env) == []


@pytest.mark.parametrize("payload", ["'x' * (20 * 2**20)", "['v' * 100] * 200000", "[{'k': 'v' * 100}] * 200000",
                                     "{str(i): 'v' * 60 for i in range(300000)}"])
def test_a_reply_too_large_to_send_is_refused_before_encoding(client, env, site_config, payload):
    # Sized while it is copied in the run: a reply past the cap never reaches the JSON encoder.
    site_config(server_script_timeout=10)  # the copy is a Python loop: give a loaded machine time
    add(client, env, "big", f"frappe.response['message'] = {payload}")
    r = client.post("/api/method/big")
    assert r.status_code == 417, r.status_code
    assert "too large to send" in r.get_json()["exception"]
