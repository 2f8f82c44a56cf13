"""Attempts to break frappe.enqueue and frappe.sendmail: escalating through a job, smuggling a user or
objects into one, flooding the queue, injecting mail headers, spraying recipients, and reaching the
Email Queue from a script by any door."""

from __future__ import annotations

import pytest

from tests.integration.scripts.conftest import HeldQueue

pytestmark = pytest.mark.usefixtures("enable_scripts")


def _todos(app) -> list[dict]:
    from webapp.services import documents

    with app.app_context():
        return documents.get_list("ToDo", fields=["description", "owner"], order_by="creation asc",
                                  limit_page_length=0, ignore_permissions=True)


def _email_rows(app) -> list[dict]:
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.app_context(), acting_as("Administrator"):
        return documents.get_list("Email Queue", fields=["name", "recipients", "subject"], limit_page_length=0)


# -- jobs -----------------------------------------------------------------------------------------
def test_a_job_has_the_enqueuing_users_rights_not_more(app, client, make_script, login_as, logs, run_jobs):
    make_script("Grab", "frappe.get_doc({'doctype': 'Server Script', 'name': 'planted', 'script_type': 'API', "
                        "'api_method': 'planted', 'script': 'x = 1'}).insert()", script_type="API", api_method="grab")
    make_script("Peek", "frappe.get_list('Server Script Log')", script_type="API", api_method="peek")
    make_script("Kick", "frappe.enqueue('grab')\nfrappe.enqueue('peek')", script_type="API", api_method="kick")
    login_as("ann@example.com", roles=["Employee"])
    assert client.post("/api/method/kick").status_code == 200
    run_jobs()
    grab, peek = logs(server_script="Grab")[0], logs(server_script="Peek")[0]
    assert (grab["status"], grab["user"]) == ("Error", "ann@example.com") and "PermissionError" in grab["error"]
    assert (peek["status"], peek["user"]) == ("Error", "ann@example.com") and "PermissionError" in peek["error"]
    assert client.get("/api/resource/Server Script/planted", headers={}).status_code in (403, 404)
    from webapp.services import documents

    with app.app_context():
        assert not documents.exists("Server Script", "planted")


def test_a_guest_enqueued_job_runs_as_guest(app, client, make_script, logs, run_jobs):
    make_script("Who", "frappe.get_doc({'doctype': 'ToDo', 'description': 'ran as ' + frappe.session.user})"
                       ".insert(ignore_permissions=True)", script_type="API", api_method="who", allow_guest=1)
    make_script("Write", "frappe.get_doc({'doctype': 'ToDo', 'description': 'guest write'}).insert()",
                script_type="API", api_method="write", allow_guest=1)
    make_script("Public kick", "frappe.enqueue('who')\nfrappe.enqueue('write')", script_type="API",
                api_method="public_kick", allow_guest=1)
    assert client.post("/api/method/public_kick").status_code == 200
    run_jobs()
    assert _todos(app) == [{"description": "ran as Guest", "owner": "Guest"}]
    [write] = logs(server_script="Write")
    assert (write["status"], write["user"]) == ("Error", "Guest") and "Guest cannot create ToDo" in write["error"]


def test_kwargs_cannot_choose_the_user_and_stay_plain_data(app, client, make_script, login_as, held_jobs):
    make_script("Who", "frappe.get_doc({'doctype': 'ToDo', 'description': frappe.session.user + ' / ' + "
                       "frappe.form_dict.user}).insert(ignore_permissions=True)", script_type="API", api_method="who")
    make_script("Kick", "frappe.enqueue('who', user='Administrator', form_dict={'user': 'Administrator'})",
                script_type="API", api_method="kick")
    make_script("Kick doc", "frappe.enqueue('who', user='x', doc=frappe.get_doc('User', 'Administrator'))",
                script_type="API", api_method="kick_doc")
    login_as("ann@example.com")
    assert client.post("/api/method/kick").status_code == 200
    assert client.post("/api/method/kick_doc").status_code == 200
    [(_job, _queue, payload), (_job2, _queue2, payload2)] = held_jobs.pushed
    assert payload["user"] == "ann@example.com" and payload["form_dict"]["user"] == "Administrator"
    assert isinstance(payload2["form_dict"]["doc"], dict)  # a document goes as its data, never as the object
    held_jobs.release()
    assert [t["description"] for t in _todos(app)] == ["ann@example.com / Administrator", "ann@example.com / x"]


def test_a_job_gets_the_same_budget_and_a_runaway_one_does_not_stop_the_queue(app, client, make_script, login_as,
                                                                               logs, site_config, run_jobs):
    site_config(server_script_timeout=0.5)
    make_script("Spin", "while True:\n    pass", script_type="API", api_method="spin")
    make_script("Next", "frappe.get_doc({'doctype': 'ToDo', 'description': 'after spin'}).insert()", script_type="API",
                api_method="next_one")
    make_script("Kick", "frappe.enqueue('spin')\nfrappe.enqueue('next_one')", script_type="API", api_method="kick")
    login_as("ann@example.com")
    assert client.post("/api/method/kick").status_code == 200
    run_jobs()
    [spin] = logs(server_script="Spin")
    assert spin["status"] == "Timeout" and "ScriptTimeoutError" in spin["error"]
    assert [t["description"] for t in _todos(app)] == ["after spin"]


def test_the_queue_cannot_be_flooded_or_stuffed(app, client, make_script, login_as, held_jobs):
    make_script("Target", "x = 1", script_type="API", api_method="target")
    make_script("Flood", "for i in range(101):\n    frappe.enqueue('target', i=i)", script_type="API",
                api_method="flood")
    make_script("Stuff", "frappe.enqueue('target', blob='a' * 2000000)", script_type="API", api_method="stuff")
    login_as("ann@example.com")
    r = client.post("/api/method/flood")
    assert r.status_code == 417 and "at most 100 jobs" in r.get_json()["exception"]
    r = client.post("/api/method/stuff")
    assert r.status_code == 417 and "too large" in r.get_json()["exception"]
    assert held_jobs.pushed == []


def test_a_job_payload_names_only_known_jobs(app):
    from webapp.errors import ValidationError
    from webapp.services import jobs

    with app.app_context(), pytest.raises(ValidationError, match="Unknown job"):
        jobs.enqueue("os:system", command="true")
    with pytest.raises(KeyError):
        jobs.run_job("os:system", {"command": "true"}, app)


# -- sendmail -------------------------------------------------------------------------------------
@pytest.fixture
def mailer(make_script):
    make_script("Mailer", "frappe.sendmail(**frappe.form_dict)", script_type="API", api_method="mail")


@pytest.mark.parametrize("args, words", [
    ({"recipients": "bob@example.com", "subject": "Hi\r\nBcc: victim@example.com"}, ["subject", "line breaks"]),
    ({"recipients": "bob@example.com", "subject": "Hi\nX-Spam: no"}, ["subject", "line breaks"]),
    ({"recipients": "bob@example.com\r\nBcc: victim@example.com"}, ["line breaks"]),
    ({"recipients": ["bob@example.com\nBcc: victim@example.com"]}, ["line breaks"]),
    ({"recipients": ["Bob\r\nBcc: victim@example.com <bob@example.com>"]}, ["line breaks"]),
    ({"recipients": "bob@example.com", "cc": "x@example.com\rBcc: victim@example.com"}, ["line breaks"]),
    ({"recipients": "bob@example.com", "sender": "me@example.com\r\nBcc: victim@example.com"}, ["line breaks"]),
    ({"recipients": "bob@example.com", "sender": "not an address"}, ["'not an address'", "not a valid"]),
    ({"recipients": "bob@example.com, not-an-email"}, ["'not-an-email'", "not a valid"]),
    ({"recipients": ["bob@example.com", "eve@"]}, ["eve@"]),
    ({"recipients": ["Administrator"]}, ["'Administrator'", "not a valid"]),
    ({"recipients": "a@b@example.com"}, ["a@b@example.com"]),
    ({"recipients": ["<bob@example.com> <eve@example.com>"]}, ["not a valid"]),
    ({"recipients": [["bob@example.com"]]}, ["as text"]),
    ({"recipients": ""}, ["at least one recipient"]),
    ({"recipients": [f"user{i}@example.com" for i in range(101)]}, ["too many recipients (101)", "at most 100"]),
    ({"recipients": [f"user{i}@example.com" for i in range(60)],
      "bcc": [f"hidden{i}@example.com" for i in range(41)]}, ["too many recipients (101)"]),
    ({"recipients": "bob@example.com", "message": "x" * 1_000_001}, ["message is too large", "1,000,000"]),
    ({"recipients": "bob@example.com", "subject": "s" * 501}, ["subject is longer than 500"]),
    ({"recipients": "bob@example.com", "attachments": [{"fname": "a.txt"}]}, ["attachments are not supported"]),
])
def test_sendmail_refuses_header_injection_bad_addresses_and_oversize(app, client, login_as, mailer, args, words):
    login_as("ann@example.com")
    r = client.post("/api/method/mail", json=args)
    assert r.status_code == 417, r.get_json()
    message = r.get_json()["exception"]
    assert r.get_json()["exc_type"] == "ValidationError" and all(w in message for w in words), message
    assert _email_rows(app) == []


def test_sendmail_is_capped_per_operation_and_refused_in_get(app, client, login_as, make_script, mailer):
    make_script("Spam", "for i in range(101):\n    frappe.sendmail(recipients='bob@example.com', subject=str(i))",
                script_type="API", api_method="spam")
    login_as("ann@example.com")
    r = client.post("/api/method/spam")
    assert r.status_code == 417 and "at most 100 emails per operation" in r.get_json()["exception"]
    r = client.get("/api/method/mail", query_string={"recipients": "bob@example.com"})
    assert r.status_code == 417 and "POST" in r.get_json()["exception"]
    assert _email_rows(app) == []


@pytest.mark.parametrize("script", [
    "frappe.get_all('Email Queue')",
    "frappe.get_list('Email Queue', ignore_permissions=True)",
    "frappe.get_doc('Email Queue', frappe.form_dict.name)",
    "frappe.get_last_doc('Email Queue')",
    "frappe.get_meta('Email Queue')",
    "frappe.new_doc('Email Queue')",
    "frappe.get_doc({'doctype': 'Email Queue', 'recipients': 'x@example.com', 'status': 'Not Sent'}).insert("
    "ignore_permissions=True)",
    "frappe.db.get_value('Email Queue', frappe.form_dict.name, 'message')",
    "frappe.db.get_values('Email Queue', {}, ['recipients'])",
    "frappe.db.exists('Email Queue', frappe.form_dict.name)",
    "frappe.db.count('Email Queue')",
    "frappe.db.set_value('Email Queue', frappe.form_dict.name, 'recipients', 'eve@example.com')",
    "frappe.delete_doc('Email Queue', frappe.form_dict.name, ignore_permissions=True)",
    "frappe.call('frappe.client.get_list', doctype='Email Queue')",
    "frappe.call('frappe.client.get', doctype='Email Queue', name=frappe.form_dict.name)",
    "frappe.call('frappe.client.set_value', doctype='Email Queue', name=frappe.form_dict.name, "
    "fieldname='status', value='Not Sent')",
    'frappe.db.sql(\'select message from "tabEmail Queue"\')',
    'frappe.db.sql(\'select count(*) from "TABEMAIL QUEUE"\')',
    "frappe.db.sql('with q as (select * from \"tabEmail Queue\") select * from q')",
])
def test_no_script_door_reaches_the_email_queue(app, client, make_script, script):
    from webapp.services import mail
    from webapp.services.context import acting_as

    make_script("Snoop", f"frappe.response['message'] = {script}", script_type="API", api_method="snoop")
    with app.app_context(), acting_as("Administrator"):
        name = mail.queue_email("bob@example.com", subject="private", message="the secret body")
    # Even run by Administrator, who may read the Email Queue in the desk and over REST.
    r = client.post("/api/method/snoop", json={"name": name}, headers=_admin(app))
    assert r.status_code in (403, 417), r.get_json()
    body = r.get_json()
    assert "secret body" not in str(body) and "bob@example.com" not in str(body) and "message" not in body
    assert "Email Queue" in body["exception"] or "tabEmail Queue" in body["exception"] or "TABEMAIL" in \
        body["exception"], body["exception"]
    assert [(r["recipients"], r["subject"]) for r in _email_rows(app)] == [("bob@example.com", "private")]


def _admin(app) -> dict[str, str]:
    from webapp.services import users

    with app.app_context():
        key, secret = users.generate_keys("Administrator")
    return {"Authorization": f"token {key}:{secret}"}


def test_a_held_queue_sees_exactly_one_send_job_per_operation(app, client, login_as, make_script, site_config):
    """Many emails in one operation queue one send job (not one per email), and only after the commit."""
    held = HeldQueue(app)
    before = app.extensions.get("job_queue")
    app.extensions["job_queue"] = held
    try:
        site_config(mail_server="127.0.0.1", mail_port=1)
        make_script("Three", "for i in range(3):\n    frappe.sendmail(recipients='bob@example.com', subject=str(i))",
                    script_type="API", api_method="three")
        login_as("ann@example.com")
        assert client.post("/api/method/three").status_code == 200
        assert [(job, queue) for job, queue, _payload in held.pushed] == [("send_email", "short")]
    finally:
        app.extensions["job_queue"] = before


def test_no_document_event_script_can_follow_the_email_queue(client, admin_headers):
    r = client.post("/api/resource/Server Script", headers=admin_headers, json={
        "name": "Watch mail", "script_type": "DocType Event", "reference_doctype": "Email Queue",
        "doctype_event": "Before Save", "script": "x = 1"})
    assert r.status_code == 417 and "'Email Queue' is not a document type scripts can follow" in r.get_json()["exception"]
