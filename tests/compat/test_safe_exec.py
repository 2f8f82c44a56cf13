"""Frappe's frappe/tests/test_safe_exec.py, ported to this app (#13).

Frappe's tests call `safe_exec(script)` directly; here each script is saved over the REST API as an
API Server Script and called over /api/method (a client's way in), its result read from
`frappe.response["message"]`. Names are Frappe's; xfail(strict=True) names the feature a test needs,
a skip ("not applicable: ...") says why a test of Frappe's internals has no counterpart here.
"""

from __future__ import annotations

import json
import types

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")


def safe_exec(client, admin_headers, script: str, name: str = "safe_exec_probe"):
    """Save `script` as an API script and run it; the response (a save refused: that response)."""
    r = client.post("/api/resource/Server Script", headers=admin_headers, json={
        "name": name, "script_type": "API", "api_method": name, "script": script})
    if r.status_code != 200:
        return r
    return client.post(f"/api/method/{name}", headers=admin_headers)


def out_of(r):
    assert r.status_code == 200, r.get_json()
    return r.get_json().get("message")


def test_import_fails(client, admin_headers):
    # Frappe raises ImportError when the import runs; here the script is refused when saved (even
    # in a branch that never runs: README "Differences from Frappe"), naming the import.
    r = safe_exec(client, admin_headers, "import os")
    assert r.status_code == 417
    assert "import of 'os' is not allowed" in r.get_json()["exception"]
    r = safe_exec(client, admin_headers, "try:\n    import os\nexcept ImportError:\n    pass", "importer")
    assert r.status_code == 417 and "import of 'os' is not allowed" in r.get_json()["exception"]


def test_internal_attributes(client, admin_headers):
    r = safe_exec(client, admin_headers, "().__class__.__call__")
    assert r.status_code == 417 and "invalid python code" in r.get_json()["exception"].lower()  # SyntaxError


def test_utils(client, admin_headers):
    assert out_of(safe_exec(client, admin_headers, 'frappe.response["message"] = frappe.utils.cint("1")')) == 1


@pytest.mark.skip(reason="not applicable: frappe.safe_eval evaluates Frappe's own expressions (depends_on, "
                         "print formats, naming rules) in its Python; it is not in a script's namespace, and this "
                         "product evaluates no such expression on the server")
def test_safe_eval():
    pass


@pytest.mark.skip(reason="not applicable: tests frappe.safe_eval (see test_safe_eval)")
def test_safe_eval_wal():
    pass


def test_sql(client, admin_headers):
    out = out_of(safe_exec(client, admin_headers, """
frappe.response["message"] = frappe.db.sql("select name from tabDocType where name='DocType'")"""))
    assert out[0][0] == "DocType"
    r = safe_exec(client, admin_headers, 'frappe.db.sql("update tabToDo set description=NULL")', "sql_update")
    assert r.status_code == 403 and r.get_json()["exc_type"] == "PermissionError"


def test_query_builder(client, admin_headers):
    # (the table name quoted for PostgreSQL, which folds a bare tabUser to tabuser)
    out = out_of(safe_exec(client, admin_headers, """
frappe.response["message"] = [frappe.qb.from_("User").select(frappe.qb.terms.PseudoColumn("Max(name)")).run(),
                              frappe.db.sql('SELECT Max(name) FROM "tabUser"')]"""))
    assert out[1] == out[0] == [["Administrator"]]


def test_safe_query_builder(client, admin_headers):
    r = safe_exec(client, admin_headers, 'frappe.qb.from_("User").delete().run()')
    assert r.status_code == 403 and r.get_json()["exc_type"] == "PermissionError"


def test_call(client, admin_headers):
    # call non whitelisted method
    r = safe_exec(client, admin_headers, 'frappe.call("frappe.get_user")', "call_private")
    assert r.status_code == 403 and r.get_json()["exc_type"] == "PermissionError"
    # call whitelisted method
    assert safe_exec(client, admin_headers, 'frappe.call("ping")', "call_ping").status_code == 200


def test_enqueue(client, admin_headers):
    # enqueue non whitelisted method
    r = safe_exec(client, admin_headers, 'frappe.enqueue("frappe.get_user", now=True)', "enqueue_private")
    assert r.status_code == 403 and r.get_json()["exc_type"] == "PermissionError"
    # enqueue whitelisted method
    assert safe_exec(client, admin_headers, 'frappe.enqueue("ping", now=True)', "enqueue_ping").status_code == 200


def test_ensure_getattrable_globals(app):
    # Frappe walks get_safe_globals() (dicts) for modules, code, tracebacks and frames. Here the
    # namespace is made of read-only namespaces: walk what a script reaches by attribute.
    from webapp.sandbox import safe_builtins
    from webapp.script_api import build_namespace
    from webapp.script_api.run import Run as RunContext

    def check_safe(objects, seen, depth=0):
        for obj in objects:
            if id(obj) in seen or depth > 4:
                continue
            seen.add(id(obj))
            if isinstance(obj, types.ModuleType | types.CodeType | types.TracebackType | types.FrameType):
                pytest.fail(f"{obj} wont work in safe exec.")
            elif isinstance(obj, dict):
                check_safe(obj.values(), seen, depth + 1)
            elif type(obj).__name__.startswith("ReadOnlyNamespace") or hasattr(obj, "__ns_name__"):
                check_safe([getattr(obj, n) for n in dir(obj)], seen, depth + 1)

    with app.test_request_context("/api/method/x"):
        for kind in ("DocType Event", "API"):
            namespace = build_namespace(RunContext("x", kind, "Administrator"), None, True)
            check_safe(namespace.values(), set())
    check_safe(safe_builtins().values(), set())


def test_unsafe_objects(app):
    import webapp
    from webapp.sandbox import Limits, compile_script, execute

    unsafe_global = {"frappe": webapp}
    result = execute(compile_script('frappe.msgprint("Hello")'), unsafe_global, Limits())
    assert isinstance(result.error, SyntaxError)


def test_attrdict(client, admin_headers):
    # jinja
    out = out_of(safe_exec(client, admin_headers, """
frappe.response["message"] = frappe.render_template("{% set my_dict = _dict() %} {{- my_dict.works -}}", {})"""))
    assert out == "None"
    # RestrictedPython
    assert safe_exec(client, admin_headers, "my_dict = _dict()", "attrdict").status_code == 200


def test_write_wrapper(client, admin_headers):
    # Allow modifying _dict instance
    assert safe_exec(client, admin_headers, "_dict().x = 1").status_code == 200
    # dont Allow modifying _dict class
    r = safe_exec(client, admin_headers, "_dict.x = 1", "write_class")
    assert r.status_code >= 400


def test_print(client, admin_headers, logs):
    import secrets

    test_str = secrets.token_hex(28)
    assert safe_exec(client, admin_headers, f"print('{test_str}')").status_code == 200
    assert logs(server_script="safe_exec_probe")[-1]["output"] == test_str


# class TestNoSafeExec
def test_safe_exec_disabled_by_default(client, admin_headers, site_config):
    site_config(server_script_enabled=False)
    r = client.post("/api/resource/Server Script", headers=admin_headers, json={
        "name": "pass", "script_type": "API", "api_method": "pass_", "script": "pass"})
    assert r.status_code == 200, r.get_json()
    r = client.post("/api/method/pass_", headers=admin_headers)
    assert r.status_code == 403 and r.get_json()["exc_type"] == "ServerScriptDisabledError"
    assert "server_script_enabled" in json.dumps(r.get_json())


# class TestJinjaGlobals
@pytest.mark.skip(reason="not applicable: Frappe builds a Jinja environment per site and request (frappe.local) "
                         "with request data in its globals; here render_template's sandboxed environment holds "
                         "no request state (its globals are _dict and _) and each call passes its own context")
def test_jenv_thread_safety():
    pass
