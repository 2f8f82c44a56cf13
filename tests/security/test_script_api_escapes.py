"""Attack payloads against the Script API, run as real Server Scripts over HTTP.

Each case asserts the attack was blocked AND that the server still serves: /api/method/ping answers
and a normal script still runs and sees an unpoisoned namespace.
"""

from __future__ import annotations

import itertools

import pytest

_seq = itertools.count()

CHECK_SCRIPT = """
ok = []
ok.append(frappe.utils.cint("7") == 7)
ok.append(frappe.utils.flt("1.5") == 1.5)
ok.append(json.dumps({"a": 1}) == '{"a": 1}')
ok.append(json.loads("[1]") == [1])
ok.append(frappe.db.sql("SELECT 1") == [(1,)])
ok.append(frappe.get_doc is not None and frappe.get_all("ToDo") is not None)
d = _dict(a=1)
ok.append(d.a == 1 and d.get("a") == 1 and list(d.keys()) == ["a"])
ok.append(frappe.get_meta("ToDo").has_field("description"))
ok.append(len(frappe.get_meta("ToDo").fields) > 3)
import datetime
ok.append(datetime.date(2020, 1, 2).isoformat() == "2020-01-02")
ok.append(datetime.date.today() is not None)
ok.append(not frappe.flags)
ok.append(frappe.utils.now() is not None and frappe.utils.escape_html("<") == "&lt;")
frappe.response["message"] = ok
"""


@pytest.fixture
def env(client, api_keys, site_config, make_user):
    site_config(server_script_enabled=True, server_script_timeout=3)
    admin = api_keys("Administrator")
    r = client.post("/api/resource/Server Script", headers=admin, json={
        "name": "check_ns", "script_type": "API", "api_method": "check_ns", "script": CHECK_SCRIPT})
    assert r.status_code == 200, r.get_json()
    employee = api_keys("employee@example.com", roles=["Employee"])
    return {"admin": admin, "employee": employee}


def add_api(client, headers, script: str, name: str | None = None) -> str:
    name = name or f"attack_{next(_seq)}"
    r = client.post("/api/resource/Server Script", headers=headers, json={
        "name": name, "script_type": "API", "api_method": name, "script": script})
    assert r.status_code == 200, r.get_json()
    return name


def call(client, headers, method: str, verb: str = "get", **kwargs):
    return getattr(client, verb)(f"/api/method/{method}", headers=headers, **kwargs)


def text_of(r) -> str:
    return r.get_data(as_text=True)


def assert_serves(client, env) -> None:
    assert client.get("/api/method/ping").get_json() == {"message": "pong"}
    r = call(client, env["admin"], "check_ns")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == [True] * 13, r.get_json()


LEAKS = ("<class", "<module", "<function", "<bound", "<built-in", "pbkdf2", "password_hash", "api_secret",
         "os.system", "uid=", "root:x:", "Environment object", "<jinja2", "<flask")


# -- 1. Jinja SSTI through frappe.render_template ------------------------------------------------
SSTI = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__dict__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ (''|attr('__class__')|attr('__mro__'))[1] }}",
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '%s'|format(''.__class__) }}",
    "{{ 'a{0.__globals__}'.format(f) }}",
    "{{ f.__globals__ }}",
    "{{ config }}{{ request.environ }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}{{ os }}",
    "{% extends '/etc/passwd' %}",
    "{{ range(10**9)|list|length }}",
    "{{ 'x' * 10**9 }}",
    "{% for i in range(10**8) %}{% endfor %}",
    "{{ f.__call__.__self__ }}",
    "{{ d.get.__self__.__class__ }}",
]


@pytest.mark.parametrize("template", SSTI)
def test_ssti_is_blocked(client, env, template):
    name = add_api(client, env["admin"], (
        "frappe.response['message'] = frappe.render_template(frappe.form_dict.t, "
        "{'f': frappe.get_doc, 'd': _dict(a=1)})"))
    r = call(client, env["admin"], name, query_string={"t": template})
    body = text_of(r)
    assert r.status_code in (200, 417), body
    for leak in LEAKS:
        assert leak not in body, (template, body[:500])
    if r.status_code == 200:
        assert r.get_json()["message"] in ("", "None", "{}") or len(r.get_json()["message"]) < 100, body[:300]
    assert_serves(client, env)


# -- 2. shared-state poisoning --------------------------------------------------------------------
POISON = [
    "frappe.utils.cint = lambda x: 0",
    "frappe.utils.__dict__['cint'] = None",
    "frappe.db.sql = lambda *a, **k: []",
    "frappe.db.get_value = None",
    "json.dumps = lambda *a, **k: 'x'",
    "frappe.get_doc = None",
    "frappe.get_meta = None",
    "_dict.get = lambda self, k, d=None: 'poisoned'",
    "_dict.keys = None",
    "_dict.poisoned = 1",
    "setattr(_dict, 'get', None)",
    "frappe.get_meta('ToDo').fields.clear()\nfrappe.get_meta('ToDo').fields.append(None)\nraise frappe.ValidationError('done')",
    "doc = frappe.new_doc('ToDo')\ndoc.meta.fields.clear()",
    "doc = frappe.new_doc('ToDo')\ndoc.meta.fields = []",
    "import datetime\ndatetime.date = None",
    "import datetime\ndatetime.date.today = lambda: None",
    "import datetime\ndatetime.date.isoformat = None",
    "frappe.flags.poisoned = 1\nfrappe.response['x'] = 1\nraise frappe.ValidationError('after flags')",
    "frappe.utils.now.__code__ = None",
    "frappe.utils.escape_html.__defaults__ = (1,)",
    "frappe.session.user = 'Administrator'",
    "frappe.ValidationError.__init__ = None",
]


@pytest.mark.parametrize("payload", POISON)
def test_shared_state_cannot_be_poisoned(client, env, payload):
    name = add_api(client, env["admin"], payload) if "__" not in payload else None
    if name is None:
        r = client.post("/api/resource/Server Script", headers=env["admin"], json={
            "name": "poison_dunder", "script_type": "API", "api_method": "poison_dunder", "script": payload})
        assert r.status_code == 417  # names starting with _ fail at save time
    else:
        for verb in ("get", "post"):
            r = call(client, env["admin"], name, verb=verb)
            assert r.status_code in (403, 417), (payload, r.get_json())
    assert_serves(client, env)
    assert_serves(client, env)


# -- 3. secrets -----------------------------------------------------------------------------------
SECRET_READS = [
    "frappe.response['message'] = frappe.get_doc('User', 'Administrator').as_dict()",
    "frappe.response['message'] = frappe.get_all('User', fields=['*'])",
    "frappe.response['message'] = frappe.get_list('User', fields=['*'])",
    "frappe.response['message'] = frappe.db.get_value('User', 'Administrator', ['*'], as_dict=True)",
    "frappe.response['message'] = frappe.db.get_value('User', 'Administrator', 'password_hash')",
    "frappe.response['message'] = frappe.db.sql('SELECT * FROM \"__Auth\"')",
    "frappe.response['message'] = frappe.db.sql('SELECT * FROM \"tabUser\"', as_dict=True)",
    "frappe.response['message'] = frappe.get_all('__Auth', fields=['*'])",
    "frappe.response['message'] = frappe.get_all('User', fields=['password_hash', 'api_secret_hash'])",
    "frappe.response['message'] = frappe.get_doc('User', 'Administrator').get('api_secret')",
]


@pytest.mark.parametrize("payload", SECRET_READS)
def test_no_secret_reaches_a_script(client, env, app, payload):
    from webapp.extensions import db
    from webapp.models import UserAuth

    with app.app_context():
        secrets = [v for a in db.session.query(UserAuth).all() for v in (a.password_hash, a.api_secret_hash, a.api_key)
                   if v]
    name = add_api(client, env["admin"], payload)
    r = call(client, env["admin"], name)
    body = text_of(r)
    assert r.status_code in (200, 403, 404, 417), body
    for secret in secrets:
        assert secret not in body
    for leak in ("pbkdf2", "scrypt", "password_hash", "api_secret_hash"):
        assert leak not in body or r.status_code != 200, body[:500]
    assert_serves(client, env)


# -- 4. privilege escalation from a DocType Event run for an Employee ----------------------------
ESCALATIONS = [
    """frappe.get_doc({"doctype": "Server Script", "name": "evil", "script_type": "API", "api_method": "evil",
    "script": "frappe.response['message'] = 1"}).insert(ignore_permissions=True)""",
    """frappe.delete_doc("Server Script", "check_ns", ignore_permissions=True)""",
    """s = frappe.get_doc("Server Script", "check_ns")
s.script = "frappe.response['message'] = 'pwned'"
s.save(ignore_permissions=True)""",
    """frappe.db.set_value("Server Script", "check_ns", "script", "frappe.response['message'] = 'pwned'")""",
    """frappe.get_doc("Server Script", "check_ns").db_set("script", "frappe.response['message'] = 'pwned'")""",
    """frappe.db.set_value("Server Script", {"name": "check_ns"}, "disabled", 1)""",
    """frappe.get_doc({"doctype": "User", "email": "evil@example.com", "roles": [{"role": "System Manager"}]}).insert(
    ignore_permissions=True)""",
]


@pytest.mark.parametrize("payload", ESCALATIONS)
def test_event_script_cannot_escalate(client, env, app, payload):
    r = client.post("/api/resource/Server Script", headers=env["admin"], json={
        "name": "escalate", "script_type": "DocType Event", "reference_doctype": "ToDo",
        "doctype_event": "Before Insert", "script": payload})
    assert r.status_code == 200, r.get_json()
    r = client.post("/api/resource/ToDo", json={"description": "trigger"}, headers=env["employee"])
    assert r.status_code in (403, 417), r.get_json()
    with app.app_context():
        from webapp.services import documents as svc
        from webapp.services.context import acting_as

        with acting_as("Administrator"):
            assert not svc.exists("Server Script", "evil")
            assert svc.exists("Server Script", "check_ns")
            assert not svc.exists("User", "evil@example.com")
    assert_serves(client, env)


# -- 5. writes during GET -------------------------------------------------------------------------
GET_WRITES = [
    "frappe.db.set_value('ToDo', frappe.form_dict.name, 'description', 'pwned')",
    "d = frappe.get_doc('ToDo', frappe.form_dict.name)\nd.db_set('description', 'pwned')",
    "d = frappe.get_doc('ToDo', frappe.form_dict.name)\nd.description = 'pwned'\nd.save()",
    "frappe.db.set_value('ToDo', frappe.form_dict.name, 'description', 'pwned')\nfrappe.db.commit()",
    "frappe.db.commit()",
    "frappe.get_doc({'doctype': 'ToDo', 'description': 'pwned'}).insert()",
    "frappe.delete_doc('ToDo', frappe.form_dict.name)",
]


@pytest.mark.parametrize("payload", GET_WRITES)
def test_get_writes_nothing(client, env, payload):
    r = client.post("/api/resource/ToDo", json={"description": "keep"}, headers=env["admin"])
    todo = r.get_json()["data"]["name"]
    name = add_api(client, env["admin"], payload)
    r = call(client, env["admin"], name, query_string={"name": todo})
    assert r.status_code == 417, r.get_json()
    assert "POST" in r.get_json()["exception"]
    rows = client.get("/api/resource/ToDo", headers=env["admin"],
                      query_string={"fields": '["name", "description"]'}).get_json()["data"]
    assert rows == [{"name": todo, "description": "keep"}]
    assert_serves(client, env)


# -- 6. request, print, exceptions, calls, recursion ---------------------------------------------
def test_request_headers_hide_cookie_and_authorization(client, env):
    name = add_api(client, env["admin"], "frappe.response['message'] = dict(frappe.request.headers)")
    r = client.get(f"/api/method/{name}", headers={**env["admin"], "Cookie": "sid=secret-cookie", "X-Test": "1"})
    headers = {k.lower(): v for k, v in r.get_json()["message"].items()}
    assert headers.get("x-test") == "1"
    assert "authorization" not in headers and "cookie" not in headers
    assert "secret-cookie" not in text_of(r) and env["admin"]["Authorization"].split(":")[-1] not in text_of(r)
    assert_serves(client, env)


def test_print_output_does_not_reach_a_non_system_manager(client, env):
    name = add_api(client, env["admin"], "print('printed-secret-xyz')\nlog('logged-secret-xyz')\n"
                                         "frappe.errprint('errprinted-secret-xyz')\nfrappe.response['message'] = 'ok'")
    r = call(client, env["employee"], name)
    assert r.status_code == 200
    assert "secret-xyz" not in text_of(r)
    name2 = add_api(client, env["admin"], "print('printed-secret-xyz')\nraise frappe.ValidationError('bad')")
    r = call(client, env["employee"], name2)
    assert r.status_code == 417 and "secret-xyz" not in text_of(r)
    assert_serves(client, env)


_TRY = "try:\n    frappe.get_doc('ToDo', 'nope')\nexcept Exception as e:\n    "
EXCEPTION_PAYLOADS = [
    "try:\n    frappe.get_doc('ToDo', 'nope')\nexcept Exception as e:\n    frappe.response['message'] = str(e.obj)",
    "try:\n    frappe.get_doc('ToDo', 'nope')\nexcept Exception as e:\n    frappe.response['message'] = str(e.__traceback__)",
    "try:\n    1/0\nexcept Exception as e:\n    frappe.response['message'] = str(e.__traceback__.tb_frame.f_globals)",
    "try:\n    frappe.db.sql('DELETE FROM x')\nexcept Exception as e:\n    frappe.response['message'] = str(e.__context__)",
    _TRY + "frappe.response['message'] = str(e.with_traceback(None).__cause__)",
    _TRY + "frappe.response['message'] = repr(e.args) + str(e.title)",
]


@pytest.mark.parametrize("payload", EXCEPTION_PAYLOADS)
def test_exception_objects_lead_nowhere(client, env, payload):
    r = client.post("/api/resource/Server Script", headers=env["admin"], json={
        "name": "exc_probe", "script_type": "API", "api_method": "exc_probe", "script": payload})
    if r.status_code == 200:
        r = call(client, env["admin"], "exc_probe")
        body = text_of(r)
        assert r.status_code in (200, 417)
        for leak in LEAKS + ("Traceback", "tb_frame", "<traceback", "Connection", "Session"):
            assert leak not in body, body[:500]
    else:
        assert r.status_code == 417
    assert_serves(client, env)


@pytest.mark.parametrize("target", ["login", "logout", "frappe.auth.get_logged_user", "frappe.client.delete",
                                     "webapp.cli.init_db", "frappe.sessions.get_csrf_token"])
def test_frappe_call_into_auth_methods_is_refused(client, env, target):
    name = add_api(client, env["admin"], (
        "frappe.response['message'] = frappe.call(frappe.form_dict.m, usr='Administrator', pwd='x', "
        "doctype='Server Script', name='check_ns')"))
    r = call(client, env["employee"], name, verb="post", json={"m": target})
    assert r.status_code in (403, 404, 417), r.get_json()
    assert "pwd" not in text_of(r)
    assert_serves(client, env)


def test_run_script_recursion_ends_with_a_clear_error(client, env):
    add_api(client, env["admin"], "run_script('rec_b')", name="rec_a")
    add_api(client, env["admin"], "run_script('rec_a')", name="rec_b")
    add_api(client, env["admin"], "frappe.call('rec_self')", name="rec_self")
    for method in ("rec_a", "rec_self"):
        r = call(client, env["admin"], method, verb="post")
        assert r.status_code == 417, r.get_json()
        assert "nested" in r.get_json()["exception"].lower() or "recurs" in r.get_json()["exception"].lower()
    assert_serves(client, env)
