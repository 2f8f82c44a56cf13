"""API scripts: form_dict sources, replies, guests, rate limits, CSRF, GET vs POST."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.scripts.conftest import messages

pytestmark = pytest.mark.usefixtures("enable_scripts")


def test_form_dict_from_query_form_and_json(client, make_script, login_as):
    make_script("echo", "frappe.response['message'] = {'a': frappe.form_dict.get('a'), 'same': args is frappe.form_dict}",
                script_type="API", api_method="echo")
    login_as("ann@example.com")
    assert client.get("/api/method/echo?a=1").get_json() == {"message": {"a": "1", "same": True}}
    assert client.post("/api/method/echo", data={"a": "2"}).get_json()["message"]["a"] == "2"
    assert client.post("/api/method/echo", json={"a": [1, 2]}).get_json()["message"]["a"] == [1, 2]
    assert client.put("/api/method/echo", json={"a": 3}).get_json()["message"]["a"] == 3
    assert client.delete("/api/method/echo?a=4").get_json()["message"]["a"] == "4"
    # The legacy form.
    assert client.post("/", data={"cmd": "echo", "a": "5"}).get_json()["message"]["a"] == "5"


def test_flags_win_over_response_message(client, make_script, login_as):
    make_script("both", "frappe.response['message'] = 'r'\nfrappe.flags.x = 1", script_type="API", api_method="both")
    login_as("ann@example.com")
    assert client.get("/api/method/both").get_json() == {"message": {"x": 1}}


def test_script_that_sets_nothing_replies_empty(client, make_script, login_as):
    make_script("quiet", "x = 1", script_type="API", api_method="quiet")
    login_as("ann@example.com")
    assert client.get("/api/method/quiet").get_json() == {}


def test_msgprint_reaches_server_messages(client, make_script, login_as):
    make_script("talk", "frappe.msgprint('Heads up', title='Note')\nfrappe.response['message'] = 1", script_type="API",
                api_method="talk")
    login_as("ann@example.com")
    body = client.get("/api/method/talk").get_json()
    assert body["message"] == 1 and messages(body) == ["Heads up"]


def test_custom_status_headers_and_text(client, make_script, login_as):
    make_script("teapot", "frappe.response['http_status_code'] = 418\nfrappe.response['headers'] = {'X-Kind': 'tea'}\n"
                          "frappe.response['type'] = 'text'\nfrappe.response['message'] = 'short and stout'",
                script_type="API", api_method="teapot")
    login_as("ann@example.com")
    r = client.get("/api/method/teapot")
    assert r.status_code == 418 and r.headers["X-Kind"] == "tea"
    assert r.mimetype == "text/plain" and r.get_data(as_text=True) == "short and stout"


def test_csv_download_and_redirect(client, make_script, login_as):
    make_script("csv", "frappe.response['type'] = 'csv'\nfrappe.response['filename'] = 'report'\n"
                       "frappe.response['message'] = [['a', 'b'], [1, 2]]", script_type="API", api_method="csv")
    make_script("dl", "frappe.response['type'] = 'download'\nfrappe.response['filename'] = 'x.txt'\n"
                      "frappe.response['filecontent'] = 'data'\nfrappe.response['content_type'] = 'text/plain'",
                script_type="API", api_method="dl")
    make_script("go", "frappe.response['type'] = 'redirect'\nfrappe.response['location'] = '/app/todo'",
                script_type="API", api_method="go")
    make_script("evil_go", "frappe.response['type'] = 'redirect'\nfrappe.response['location'] = '//evil.example/'",
                script_type="API", api_method="evil_go")
    login_as("ann@example.com")
    r = client.get("/api/method/csv")
    assert r.mimetype == "text/csv" and r.get_data(as_text=True).splitlines() == ["a,b", "1,2"]
    assert 'filename="report.csv"' in r.headers["Content-Disposition"]
    r = client.get("/api/method/dl")
    assert r.get_data() == b"data" and 'filename="x.txt"' in r.headers["Content-Disposition"]
    r = client.get("/api/method/go")
    assert r.status_code == 302 and r.headers["Location"] == "/app/todo"
    r = client.get("/api/method/evil_go")
    assert r.status_code == 417 and "path on this site" in r.get_json()["exception"]
    assert "Location" not in r.headers


@pytest.mark.parametrize("header", ["Set-Cookie", "Transfer-Encoding", "Connection", "X-Bad\r\nInjected"])
def test_dangerous_headers_refused(client, make_script, login_as, header):
    make_script("hdr", f"frappe.response['headers'] = {{{header!r}: 'v'}}", script_type="API", api_method="hdr")
    login_as("ann@example.com")
    r = client.get("/api/method/hdr")
    assert r.status_code == 417 and "cannot be set" in r.get_json()["exception"]
    assert "Injected" not in str(r.headers)


def test_guest_needs_allow_guest(client, make_script):
    make_script("private", "frappe.response['message'] = 'secret'", script_type="API", api_method="private")
    make_script("public", "frappe.response['message'] = frappe.session.user", script_type="API", api_method="public",
                allow_guest=1)
    r = client.get("/api/method/private")
    assert r.status_code == 403 and r.get_json()["exc_type"] == "PermissionError"
    assert "secret" not in r.get_data(as_text=True)
    assert client.get("/api/method/public").get_json() == {"message": "Guest"}


def test_unknown_method_is_404(client, login_as):
    login_as("ann@example.com")
    assert client.get("/api/method/nope_nothing").status_code == 404


def test_get_cannot_write_post_commits(client, make_script, login_as):
    make_script("maker", "frappe.get_doc({'doctype': 'ToDo', 'description': 'made'}).insert()\n"
                         "frappe.response['message'] = 'ok'", script_type="API", api_method="maker")
    login_as("ann@example.com")
    r = client.get("/api/method/maker")
    assert r.status_code == 417 and "use POST" not in r.get_json()["exception"]
    assert "with POST" in r.get_json()["exception"]
    assert client.get("/api/resource/ToDo").get_json()["data"] == []
    assert client.post("/api/method/maker").get_json() == {"message": "ok"}
    assert len(client.get("/api/resource/ToDo").get_json()["data"]) == 1


def test_failing_post_writes_nothing(client, make_script, login_as):
    make_script("half", "frappe.get_doc({'doctype': 'ToDo', 'description': 'made'}).insert()\n1/0",
                script_type="API", api_method="half")
    login_as("ann@example.com")
    r = client.post("/api/method/half")
    assert r.status_code == 417 and "ZeroDivisionError" in r.get_json()["exception"] and "line 2" in r.get_json()["exception"]
    assert client.get("/api/resource/ToDo").get_json()["data"] == []


def test_db_commit_in_api_script_keeps_work_done_so_far(client, make_script, login_as):
    make_script("committer", "frappe.get_doc({'doctype': 'ToDo', 'description': 'kept'}).insert()\n"
                             "frappe.db.commit()\nfrappe.throw('after commit')", script_type="API", api_method="committer")
    login_as("ann@example.com")
    assert client.post("/api/method/committer").status_code == 417
    assert [r["name"] for r in client.get("/api/resource/ToDo").get_json()["data"]] != []


def test_rate_limit_per_method_and_address(client, make_script):
    make_script("limited", "frappe.response['message'] = 'ok'", script_type="API", api_method="limited",
                allow_guest=1, enable_rate_limit=1, rate_limit_count=3, rate_limit_seconds=60)
    for _ in range(3):
        assert client.get("/api/method/limited").status_code == 200
    r = client.get("/api/method/limited")
    assert r.status_code == 429 and r.get_json()["exc_type"] == "RateLimitExceededError"
    assert 0 < int(r.headers["Retry-After"]) <= 60
    # Another address has its own window; X-Forwarded-For is not trusted.
    assert client.get("/api/method/limited", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200
    assert client.get("/api/method/limited", headers={"X-Forwarded-For": "10.2.2.2"}).status_code == 429


def test_rate_limit_off_by_default(client, make_script):
    make_script("free", "frappe.response['message'] = 'ok'", script_type="API", api_method="free", allow_guest=1)
    for _ in range(8):
        assert client.get("/api/method/free").status_code == 200


def test_browser_session_needs_csrf_for_api_script_post(client, make_script, make_user):
    make_script("poster", "frappe.response['message'] = 'done'", script_type="API", api_method="poster")
    make_user("ann@example.com")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"usr": "ann@example.com", "pwd": "Password-1", "csrf_token": token})
    assert client.post("/api/method/poster").status_code == 400
    desk = client.get("/app").get_data(as_text=True)
    fresh = re.search(r'<meta name="csrf-token" content="([^"]+)"', desk).group(1)
    assert client.post("/api/method/poster", headers={"X-Frappe-CSRF-Token": fresh}).get_json() == {"message": "done"}


def test_print_output_never_reaches_api_caller(client, make_script, login_as, logs):
    make_script("printer", "print('internal detail')\nfrappe.response['message'] = 'x'", script_type="API",
                api_method="printer")
    login_as("ann@example.com")
    assert "internal detail" not in client.get("/api/method/printer").get_data(as_text=True)
    assert logs(server_script="printer")[0]["output"] == "internal detail"


def test_request_is_read_only_and_hides_credentials(client, make_script, api_keys):
    make_script("req", "frappe.response['message'] = {'m': frappe.request.method, 'h': sorted(frappe.request.headers),"
                       " 'body': frappe.request.get_json()}", script_type="API", api_method="req")
    headers = api_keys("tok@example.com")
    client.set_cookie("session", "abc")
    body = client.post("/api/method/req", json={"k": 1}, headers=headers).get_json()["message"]
    assert body["m"] == "POST" and body["body"] == {"k": 1}
    assert "Authorization" not in body["h"] and "Cookie" not in body["h"]


def test_call_between_scripts_and_builtins(client, make_script, login_as):
    make_script("adder", "frappe.response['message'] = int(frappe.form_dict.a) + int(frappe.form_dict.b)",
                script_type="API", api_method="adder")
    make_script("caller", "n = frappe.call('adder', a=2, b=3)\n"
                          "todos = frappe.call('frappe.client.get_count', doctype='ToDo')\n"
                          "frappe.response['message'] = [n, todos]", script_type="API", api_method="caller")
    login_as("ann@example.com")
    assert client.get("/api/method/caller").get_json() == {"message": [5, 0]}


def test_log_records_method_and_verb(client, make_script, login_as, logs):
    make_script("logged", "frappe.response['message'] = 1", script_type="API", api_method="logged")
    login_as("ann@example.com")
    client.post("/api/method/logged")
    row = logs(server_script="logged")[0]
    assert row["trigger"] == "logged POST" and row["status"] == "Success" and row["script_type"] == "API"
    assert json.loads(json.dumps(row))["user"] == "ann@example.com"


@pytest.mark.parametrize(("source", "message"), [
    ("frappe.flags = 'hello'", "hello"),
    ("frappe.flags = {'a': 1}", {"a": 1}),
    ("frappe.flags = _dict(b=2)\nfrappe.flags.c = 3", {"b": 2, "c": 3}),
])
def test_assigning_frappe_flags_is_the_reply(client, make_script, login_as, source, message):
    # Frappe's documented way to return a value (and the seed's Internal Library idiom).
    make_script("assign flags", source, script_type="API", api_method="assign_flags")
    login_as("ann@example.com")
    r = client.post("/api/method/assign_flags")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json() == {"message": message}


def test_assigned_flags_reach_run_script_and_other_frappe_names_stay_read_only(client, make_script, login_as):
    make_script("lib", "frappe.flags = 'from lib'", script_type="API", api_method="lib")
    make_script("caller", "frappe.response['message'] = run_script('lib')", script_type="API", api_method="caller")
    make_script("bad", "frappe.db = 1", script_type="API", api_method="bad")
    make_script("bad type", "frappe.flags = frappe.session", script_type="API", api_method="bad_type")
    login_as("ann@example.com")
    assert client.post("/api/method/caller").get_json() == {"message": "from lib"}
    r = client.post("/api/method/bad")
    assert r.status_code == 417 and "read-only" in r.get_json()["exception"]
    r = client.post("/api/method/bad_type")
    assert r.status_code == 417 and "frappe.flags can be set to" in r.get_json()["exception"]


def test_msgprint_in_after_events_reaches_every_successful_json_reply(client, make_script, admin_headers):
    # Frappe returns _server_messages on every JSON reply, success included.
    make_script("note after save", "frappe.msgprint('Saved ' + doc.description)", reference_doctype="ToDo",
                doctype_event="After Save")
    make_script("note after delete", "frappe.msgprint('Deleted')", reference_doctype="ToDo",
                doctype_event="After Delete")
    r = client.post("/api/resource/ToDo", json={"description": "one"}, headers=admin_headers)
    assert r.status_code == 200 and messages(r.get_json()) == ["Saved one"]
    name = r.get_json()["data"]["name"]
    r = client.put(f"/api/resource/ToDo/{name}", json={"description": "two"}, headers=admin_headers)
    assert r.status_code == 200 and messages(r.get_json()) == ["Saved two"]
    r = client.post("/api/method/frappe.client.set_value", headers=admin_headers,
                    json={"doctype": "ToDo", "name": name, "fieldname": "description", "value": "three"})
    assert r.status_code == 200 and messages(r.get_json()) == ["Saved three"]
    r = client.post("/api/method/frappe.client.insert", headers=admin_headers,
                    json={"doc": {"doctype": "ToDo", "description": "four"}})
    assert r.status_code == 200 and messages(r.get_json()) == ["Saved four"]
    r = client.delete(f"/api/resource/ToDo/{name}", headers=admin_headers)
    assert r.status_code == 200 and messages(r.get_json()) == ["Deleted"]
    r = client.get("/api/resource/ToDo", headers=admin_headers)
    assert "_server_messages" not in r.get_json()  # nothing said, nothing sent
