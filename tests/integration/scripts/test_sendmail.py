"""frappe.sendmail: an Email Queue row written with the operation (rolled back with it), sent by the
job queue through a real SMTP server (aiosmtpd on a local port) when site_config.json names one."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")

FIELDS = ["name", "status", "sender", "recipients", "cc", "bcc", "subject", "message", "error", "reference_doctype",
          "reference_name", "send_after", "sent_at", "owner", "message_id"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and refuses what the test asks it to."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse_rcpt: set[str] = set()
        self.refuse_data: str | None = None
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's hook name
        if address in self.refuse_rcpt:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        if self.refuse_data:
            return self.refuse_data
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


def _start(handler: Inbox, **smtp_kwargs):
    from aiosmtpd.controller import Controller

    handler.port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, **smtp_kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_server(site_config):
    """A local SMTP server, configured in site_config.json with Frappe's keys."""
    inbox = Inbox()
    controller = _start(inbox)
    site_config(mail_server="127.0.0.1", mail_port=inbox.port, auto_email_id="Site <noreply@example.com>")
    yield inbox
    controller.stop()


def _queue(app) -> list[dict]:
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.app_context(), acting_as("Administrator"):
        return documents.get_list("Email Queue", fields=FIELDS, order_by="creation asc", limit_page_length=0)


@pytest.fixture
def mailer(make_script):
    """API method `mail`: frappe.sendmail(**form_dict)."""
    make_script("Mailer", "frappe.sendmail(**frappe.form_dict)\nfrappe.response['message'] = 'queued'",
                script_type="API", api_method="mail")


def test_sendmail_queues_a_row_with_frappe_fields(app, client, login_as, mailer):
    login_as("ann@example.com", roles=["Employee"])
    r = client.post("/api/method/mail", json={
        "recipients": ["bob@example.com", "Carol Jones <carol@example.com>", "BOB@example.com"],
        "subject": "Claim approved", "message": "<p>Your claim <b>HR-1</b> is approved.</p>",
        "cc": "dan@example.com, erin@example.com", "reference_doctype": "Expense Claim", "reference_name": "HR-1"})
    assert r.status_code == 200, r.get_json()
    [row] = _queue(app)
    assert row["status"] == "Not Sent" and row["owner"] == "ann@example.com"
    assert row["recipients"].splitlines() == ["bob@example.com", "Carol Jones <carol@example.com>"]  # one per line, once
    assert row["cc"].splitlines() == ["dan@example.com", "erin@example.com"] and row["bcc"] is None
    assert (row["subject"], row["message"]) == ("Claim approved", "<p>Your claim <b>HR-1</b> is approved.</p>")
    assert (row["reference_doctype"], row["reference_name"]) == ("Expense Claim", "HR-1")
    assert row["message_id"].startswith("<") and row["sent_at"] is None
    # No mail server configured: the row stays Not Sent and says why.
    assert "no mail server is configured" in row["error"] and "mail_server" in row["error"]


def test_positional_arguments_are_recipients_subject_message(app, client, login_as, make_script):
    make_script("Short form", "frappe.sendmail('bob@example.com', 'Subject here', 'Body here', delayed=False, now=True)",
                script_type="API", api_method="short_form")
    login_as("ann@example.com")
    assert client.post("/api/method/short_form").status_code == 200
    assert [(r["recipients"], r["subject"], r["message"]) for r in _queue(app)] == [
        ("bob@example.com", "Subject here", "Body here")]


def test_the_row_is_rolled_back_with_the_operation(app, client, login_as, make_script):
    make_script("Mail then fail", "frappe.sendmail(recipients='bob@example.com', subject='x', message='y')\n"
                                  "frappe.throw('no after all')", script_type="API", api_method="mail_fail")
    make_script("Mail on note", "frappe.sendmail(recipients=['bob@example.com'], subject='New note ' + doc.title, "
                                "message=doc.content, reference_doctype=doc.doctype, reference_name=doc.name)",
                reference_doctype="Note", doctype_event="After Insert")
    make_script("No secret notes", "if 'secret' in doc.title:\n    frappe.throw('no secrets')",
                reference_doctype="Note", doctype_event="After Save")
    login_as("ann@example.com")
    assert client.post("/api/method/mail_fail").status_code == 417
    assert client.post("/api/resource/Note", json={"title": "secret plan", "content": "x"}).status_code == 417
    assert _queue(app) == []
    assert client.post("/api/resource/Note", json={"title": "open plan", "content": "hello"}).status_code == 200
    assert [(r["subject"], r["reference_doctype"], r["reference_name"]) for r in _queue(app)] == [
        ("New note open plan", "Note", "open plan")]


def test_the_job_queue_sends_it_through_the_configured_server(app, client, login_as, mailer, smtp_server, run_jobs):
    login_as("ann@example.com")
    r = client.post("/api/method/mail", json={
        "recipients": "bob@example.com, Carol <carol@example.com>", "cc": ["dan@example.com"],
        "bcc": ["audit@example.com"], "subject": "Weekly report", "message": "<h1>Report</h1><p>All good &amp; on time</p>"})
    assert r.status_code == 200, r.get_json()
    run_jobs()
    [row] = _queue(app)
    assert row["status"] == "Sent" and row["error"] is None and row["sent_at"] is not None
    [(mail_from, rcpt, msg)] = smtp_server.received
    assert mail_from == "noreply@example.com"  # auto_email_id
    assert sorted(rcpt) == ["audit@example.com", "bob@example.com", "carol@example.com", "dan@example.com"]
    assert msg["From"] == "Site <noreply@example.com>" and msg["Subject"] == "Weekly report"
    assert msg["To"] == "bob@example.com, Carol <carol@example.com>" and msg["Cc"] == "dan@example.com"
    assert msg["Bcc"] is None and "audit@" not in str(msg)  # BCC only on the envelope
    assert msg["Message-ID"] == row["message_id"]
    assert msg.get_body(("html",)).get_content().strip() == "<h1>Report</h1><p>All good &amp; on time</p>"
    assert msg.get_body(("plain",)).get_content().strip().splitlines() == ["Report", "All good & on time"]


def test_a_refused_email_is_marked_error_with_the_server_answer(app, client, login_as, mailer, smtp_server, run_jobs):
    login_as("ann@example.com")
    smtp_server.refuse_rcpt = {"ghost@example.com"}
    client.post("/api/method/mail", json={"recipients": "ghost@example.com", "subject": "a", "message": "b"})
    client.post("/api/method/mail", json={"recipients": ["ghost@example.com", "bob@example.com"], "subject": "c",
                                          "message": "d", "sender": "Ann <ann@example.com>"})
    run_jobs()
    smtp_server.refuse_data = "554 5.7.1 Message rejected as spam"
    client.post("/api/method/mail", json={"recipients": "bob@example.com", "subject": "e", "message": "f"})
    run_jobs()
    first, second, third = _queue(app)
    assert first["status"] == "Error" and "550" in first["error"] and "mailbox unavailable" in first["error"]
    # One of two recipients refused: it went to the other one, and the row says who was refused.
    assert second["status"] == "Sent" and "ghost@example.com refused: 550" in second["error"]
    assert third["status"] == "Error" and "554" in third["error"] and "rejected as spam" in third["error"]
    assert [(m[0], m[1]) for m in smtp_server.received] == [("ann@example.com", ["bob@example.com"])]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a local test server: no TLS
def test_no_server_listening_marks_error_and_login_is_used(app, client, login_as, mailer, site_config, run_jobs):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    login_as("ann@example.com")
    site_config(mail_server="127.0.0.1", mail_port=_free_port())  # nothing listens there
    client.post("/api/method/mail", json={"recipients": "bob@example.com", "subject": "a", "message": "b"})
    run_jobs()
    [row] = _queue(app)
    assert row["status"] == "Error" and "Could not connect to the mail server 127.0.0.1:" in row["error"]

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"s3cret")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    inbox = Inbox()
    controller = _start(inbox, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    try:
        for password, subject in (("wrong", "bad login"), ("s3cret", "good login")):
            site_config(mail_port=inbox.port, mail_login="mailer", mail_password=password)
            client.post("/api/method/mail", json={"recipients": "bob@example.com", "subject": subject, "message": "m"})
            run_jobs()
    finally:
        controller.stop()
    rows = {r["subject"]: r for r in _queue(app)}
    assert rows["bad login"]["status"] == "Error" and "535" in rows["bad login"]["error"]
    assert rows["good login"]["status"] == "Sent"
    assert [m[2]["Subject"] for m in inbox.received] == ["good login"]


def test_send_email_command_sends_what_waited_for_a_server(app, client, login_as, mailer, site_config):
    login_as("ann@example.com")
    client.post("/api/method/mail", json={"recipients": "bob@example.com", "subject": "early", "message": "m"})
    client.post("/api/method/mail", json={"recipients": "bob@example.com", "subject": "later", "message": "m",
                                          "send_after": "2999-01-01 00:00:00"})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-email"])
    assert result.exit_code != 0 and "No mail server is configured" in result.output and "2 email(s) waiting" in \
        result.output
    inbox = Inbox()
    controller = _start(inbox)
    try:
        site_config(mail_server="127.0.0.1", mail_port=inbox.port)
        result = runner.invoke(args=["send-email"])
    finally:
        controller.stop()
    assert result.exit_code == 0 and "Sent 1, failed 0, still waiting 1." in result.output
    rows = {r["subject"]: r for r in _queue(app)}
    assert rows["early"]["status"] == "Sent" and rows["early"]["error"] is None  # the notice is gone
    assert rows["later"]["status"] == "Not Sent"  # not due yet
    assert inbox.received[0][0] == "notifications@example.com"  # no auto_email_id: Frappe's default sender


def test_email_queue_is_for_system_managers_in_the_desk_and_rest(app, client, login_as, mailer, api_keys):
    login_as("ann@example.com", roles=["Employee"])
    client.post("/api/method/mail", json={"recipients": "bob@example.com", "subject": "Hello <b>there</b>",
                                          "message": "<script>alert(1)</script>"})
    [row] = _queue(app)
    # Not for ann, through any door.
    assert client.get("/api/resource/Email Queue").status_code == 403
    assert client.get(f"/api/resource/Email Queue/{row['name']}").status_code == 403
    assert client.get("/app/email-queue").status_code == 403
    # A System Manager reads it (list and form), and cannot change it.
    admin = api_keys("Administrator")
    r = client.get("/api/resource/Email Queue", headers=admin, query_string={"fields": '["name", "status"]'})
    assert r.get_json()["data"] == [{"name": row["name"], "status": "Not Sent"}]
    assert client.get(f"/api/resource/Email Queue/{row['name']}", headers=admin).get_json()["data"]["recipients"] == \
        "bob@example.com"
    assert client.put(f"/api/resource/Email Queue/{row['name']}", headers=admin, json={"status": "Sent"}).status_code \
        in (403, 417)
    assert client.post("/api/resource/Email Queue", headers=admin,
                       json={"recipients": "x@example.com", "subject": "forged"}).status_code in (403, 417)
    assert client.delete(f"/api/resource/Email Queue/{row['name']}", headers=admin).status_code in (403, 417)
    assert [(r["status"], r["subject"]) for r in _queue(app)] == [("Not Sent", "Hello <b>there</b>")]
    login_as("Administrator")
    page = client.get("/app/email-queue").get_data(as_text=True)
    assert row["name"] in page or "Hello &lt;b&gt;there&lt;/b&gt;" in page
    page = client.get(f"/app/email-queue/{row['name']}").get_data(as_text=True)
    assert "bob@example.com" in page and "<script>alert(1)</script>" not in page
