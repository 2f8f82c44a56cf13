"""Outgoing email: `Email Queue` rows written in the operation's transaction, sent by a job.

`queue_email` checks everything a header could be abused with (every address through the app's
email validation, no line breaks or control characters in addresses or the subject) and caps the
recipients, the size and the number of emails per operation. When a mail server is configured
(Frappe's site_config.json keys: `mail_server`, `mail_port`, `use_ssl`, `use_tls`, `mail_login`,
`mail_password`, `auto_email_id` for the default sender) the commit queues a `send_email` job;
without one the row stays Not Sent and its `error` says why. `send_pending` (the job, and
`flask --app wsgi send-email`) claims each due Not Sent row (Not Sent -> Sending, so two senders never
send one row twice), sends it with smtplib and marks it Sent or Error with the server's answer.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from webapp.doctypes import registry
from webapp.documents import store
from webapp.documents.coerce import to_datetime
from webapp.documents.naming import make_hash
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.models.user import ADMINISTRATOR
from webapp.services import jobs
from webapp.services.context import acting_user, ensure_writable, transaction, transaction_memo

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 100  # to + cc + bcc, per email
MAX_MESSAGE_BYTES = 1_000_000
MAX_SUBJECT_CHARS = 500
MAX_EMAILS_PER_OPERATION = 100
MAX_DATA_CHARS = 140
DEFAULT_SENDER = "notifications@example.com"  # Frappe's, when auto_email_id is not set
SMTP_TIMEOUT_S = 30
CONFIGURE_HINT = ("set mail_server (and mail_port, use_tls or use_ssl, mail_login, mail_password, auto_email_id) "
                  "with .venv/bin/flask --app wsgi set-config")
NO_SERVER = f"Not sent: no mail server is configured; {CONFIGURE_HINT}, then run .venv/bin/flask --app wsgi send-email"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAMED = re.compile(r'^\s*"?([^"<>\\]*?)"?\s*<([^<>\s]+)>\s*$')


def normalize_email(email: str) -> str:
    email = (email or "").strip()
    if email == ADMINISTRATOR:
        return email
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(f"Invalid email address {email!r}: {exc}").for_fields("email") from None



def _meta():
    return registry.get("Email Queue")


# -- settings -------------------------------------------------------------------------------------
def smtp_settings() -> dict[str, Any] | None:
    """The outgoing mail server from site_config.json (None when `mail_server` is not set)."""
    conf = current_app.extensions["site_config"]
    server = str(conf.get("mail_server") or "").strip()
    if not server:
        return None
    use_ssl, use_tls = _flag(conf.get("use_ssl")), _flag(conf.get("use_tls"))
    try:
        port = int(conf.get("mail_port") or 0)
    except (TypeError, ValueError):
        port = 0
    return {"server": server, "port": port or (465 if use_ssl else 587 if use_tls else 25), "use_ssl": use_ssl,
            "use_tls": use_tls, "login": str(conf.get("mail_login") or ""),
            "password": str(conf.get("mail_password") or ""), "sender": str(conf.get("auto_email_id") or "")}


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


# -- validation -----------------------------------------------------------------------------------
def _no_breaks(value: str, what: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError(f"frappe.sendmail: {what} must not contain line breaks or control characters")


def parse_address(item: Any, what: str = "recipient") -> str:
    """One address, plain or `Name <address>`, checked by the app's email validation; its display form."""
    if not isinstance(item, str):
        raise ValidationError(f"frappe.sendmail: each {what} must be an email address as text, not {type(item).__name__}")
    _no_breaks(item, f"a {what}")
    item = item.strip()
    match = _NAMED.match(item)
    display, address = (match.group(1).strip(), match.group(2)) if match else ("", item)
    if "@" not in address or any(c in address for c in '<>" ,;'):
        raise ValidationError(f"frappe.sendmail: {item!r} is not a valid email address")
    address = normalize_email(address)
    result = formataddr((display, address)) if display else address
    if len(result) > MAX_DATA_CHARS and what == "sender":
        raise ValidationError(f"frappe.sendmail: the sender is longer than {MAX_DATA_CHARS} characters")
    return result


def parse_addresses(value: Any, what: str = "recipients") -> list[str]:
    """A list of addresses, or one comma-separated string; each checked; duplicates dropped."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        _no_breaks(value, what)
        items: list[Any] = [part for part in value.split(",") if part.strip()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ValidationError(f"frappe.sendmail: {what} must be a list of addresses or a comma-separated string")
    if len(items) > MAX_RECIPIENTS:
        raise ValidationError(f"frappe.sendmail: too many recipients ({len(items)}); at most {MAX_RECIPIENTS} per email")
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        display = parse_address(item)
        key = parseaddr(display)[1].lower()
        if key not in seen:
            seen.add(key)
            out.append(display)
    return out


def _text_field(value: Any, label: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    _no_breaks(text, label)
    if len(text) > MAX_DATA_CHARS:
        raise ValidationError(f"frappe.sendmail: {label} is longer than {MAX_DATA_CHARS} characters")
    return text


def _send_after(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.datetime.combine(dt.date.today() + dt.timedelta(days=value), dt.time())  # Frappe: days from today
    try:
        return to_datetime(value)
    except (TypeError, ValueError):
        raise ValidationError(f"frappe.sendmail: send_after {value!r} is not a date and time") from None


# -- queueing -------------------------------------------------------------------------------------
def queue_email(recipients: Any, subject: Any = "No Subject", message: Any = "No Message", sender: Any = "",
                cc: Any = None, bcc: Any = None, reference_doctype: Any = None, reference_name: Any = None,
                send_after: Any = None) -> str:
    """Write one Email Queue row in the current transaction; returns its name."""
    ensure_writable("queue an email")
    to = parse_addresses(recipients, "recipients")
    copy = parse_addresses(cc, "cc")
    blind = parse_addresses(bcc, "bcc")
    if not to:
        raise ValidationError("frappe.sendmail needs at least one recipient")
    total = len(to) + len(copy) + len(blind)
    if total > MAX_RECIPIENTS:
        raise ValidationError(f"frappe.sendmail: too many recipients ({total}); at most {MAX_RECIPIENTS} per email")
    subject = "" if subject is None else str(subject)
    _no_breaks(subject, "the subject")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise ValidationError(f"frappe.sendmail: the subject is longer than {MAX_SUBJECT_CHARS} characters")
    message = "" if message is None else str(message)
    size = len(message.encode("utf-8", "surrogatepass"))
    if size > MAX_MESSAGE_BYTES:
        raise ValidationError(f"frappe.sendmail: the message is too large ({size:,} bytes; at most "
                              f"{MAX_MESSAGE_BYTES:,})")
    settings = smtp_settings()
    sender_text = parse_address(sender, "sender") if sender else _configured_sender(settings)
    values = {
        "recipients": "\n".join(to), "cc": "\n".join(copy) or None, "bcc": "\n".join(blind) or None,
        "subject": subject, "message": message, "sender": sender_text or None,
        "reference_doctype": _text_field(reference_doctype, "reference_doctype"),
        "reference_name": _text_field(reference_name, "reference_name"),
        "send_after": _send_after(send_after), "status": "Not Sent",
        "error": None if settings else NO_SERVER, "message_id": make_msgid(domain=_domain(sender_text)),
    }
    memo = transaction_memo()
    if memo is not None:
        memo["emails_queued"] = memo.get("emails_queued", 0) + 1
        if memo["emails_queued"] > MAX_EMAILS_PER_OPERATION:
            raise ValidationError(f"frappe.sendmail: at most {MAX_EMAILS_PER_OPERATION} emails per operation")
    user = acting_user()
    now = dt.datetime.now()
    values.update(name=make_hash(), owner=user, modified_by=user, creation=now, modified=now, docstatus=0, idx=0)
    with transaction():
        store.insert_row(_meta(), values)
        if settings is not None and (memo is None or not memo.get("email_job")):
            if memo is not None:
                memo["email_job"] = True
            jobs.enqueue("send_email", "short")
    return values["name"]


def _configured_sender(settings: dict[str, Any] | None) -> str:
    """auto_email_id, when it is a valid address (a bad one is the operator's to fix, not the script's:
    the row then goes out from the default sender)."""
    if not settings or not settings["sender"]:
        return ""
    try:
        return parse_address(settings["sender"], "sender")
    except ValidationError:
        log.warning("auto_email_id in site_config.json is not a valid email address: %r", settings["sender"])
        return ""


def _domain(address: str) -> str:
    addr = parseaddr(address)[1] if address else ""
    return addr.rpartition("@")[2] or "localhost"


# -- sending --------------------------------------------------------------------------------------
def send_pending(limit: int = 500) -> dict[str, int]:
    """Send every due Not Sent row (up to `limit`); {"sent": n, "failed": n}. The rows stay Not Sent
    when no mail server is configured."""
    settings = smtp_settings()
    result = {"sent": 0, "failed": 0}
    if settings is None:
        return result
    names = _claim(limit)
    if not names:
        return result
    smtp: smtplib.SMTP | None = None
    try:
        try:
            smtp = _connect(settings)
        except (OSError, smtplib.SMTPException) as exc:
            error = f"Could not connect to the mail server {settings['server']}:{settings['port']}: {_smtp_error(exc)}"
            for name in names:
                _finish(name, "Error", error)
            result["failed"] = len(names)
            return result
        for name in names:
            try:
                refused = _send_one(smtp, name, settings)
            except (OSError, smtplib.SMTPException, ValueError) as exc:
                _finish(name, "Error", _smtp_error(exc))
                result["failed"] += 1
                # SMTP errors are OSErrors too: reconnect only when the connection itself broke.
                if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException):
                    smtp = _reconnect(smtp, settings)
                continue
            note = "; ".join(f"{addr} refused: {_smtp_error(err)}" for addr, err in refused.items())
            _finish(name, "Sent", note or None)
            result["sent"] += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return result


def _claim(limit: int) -> list[str]:
    """Due Not Sent rows, each moved to Sending in a statement of its own (one sender per row)."""
    t = registry.table(_meta())
    now = dt.datetime.now()
    with transaction():
        due = sa.or_(t.c.send_after.is_(None), t.c.send_after <= now)
        names = list(db.session.scalars(sa.select(t.c.name).where(t.c.status == "Not Sent", due)
                                        .order_by(t.c.creation).limit(limit)))
    claimed: list[str] = []
    for name in names:
        with transaction():
            hit = db.session.execute(sa.update(t).where(t.c.name == name, t.c.status == "Not Sent")
                                     .values(status="Sending", modified=dt.datetime.now())).rowcount
        if hit:
            claimed.append(name)
    return claimed


def _finish(name: str, status: str, error: str | None) -> None:
    t = registry.table(_meta())
    now = dt.datetime.now()
    values: dict[str, Any] = {"status": status, "error": error, "modified": now}
    if status == "Sent":
        values["sent_at"] = now
    with transaction():
        db.session.execute(sa.update(t).where(t.c.name == name).values(**values))


def _connect(settings: dict[str, Any]) -> smtplib.SMTP:
    if settings["use_ssl"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings["server"], settings["port"], timeout=SMTP_TIMEOUT_S,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings["server"], settings["port"], timeout=SMTP_TIMEOUT_S)
        if settings["use_tls"]:
            smtp.starttls(context=ssl.create_default_context())
    if settings["login"] and settings["password"]:
        smtp.login(settings["login"], settings["password"])
    return smtp


def _reconnect(smtp: smtplib.SMTP | None, settings: dict[str, Any]) -> smtplib.SMTP | None:
    try:
        if smtp is not None:
            smtp.close()
        return _connect(settings)
    except (OSError, smtplib.SMTPException):
        log.warning("could not reconnect to the mail server", exc_info=True)
        return None


def _send_one(smtp: smtplib.SMTP | None, name: str, settings: dict[str, Any]) -> dict[str, Any]:
    if smtp is None:
        raise smtplib.SMTPServerDisconnected("Not connected to the mail server")
    row = store.load(_meta(), name)
    sender = row.get("sender") or settings["sender"] or DEFAULT_SENDER
    to = _lines(row.get("recipients"))
    cc = _lines(row.get("cc"))
    bcc = _lines(row.get("bcc"))
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = row.get("subject") or ""
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = row.get("message_id") or make_msgid(domain=_domain(sender))
    body = row.get("message") or ""
    msg.set_content(_as_text(body))
    msg.add_alternative(_as_html(body), subtype="html")
    envelope = [parseaddr(a)[1] for a in (*to, *cc, *bcc)]
    return smtp.send_message(msg, from_addr=parseaddr(sender)[1], to_addrs=envelope)


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _looks_like_html(body: str) -> bool:
    return bool(re.search(r"<[a-zA-Z/][^>]*>", body))


def _as_html(body: str) -> str:
    return body if _looks_like_html(body) else html.escape(body).replace("\n", "<br>\n")


def _as_text(body: str) -> str:
    if not _looks_like_html(body):
        return body
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|</h[1-6]\s*>", "\n", body)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _smtp_error(exc: Any) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr} refused: {_smtp_error(err)}" for addr, err in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, tuple) and len(exc) == 2:  # an entry of send_message's refused dict
        code, text = exc
        return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def pending_count() -> int:
    t = registry.table(_meta())
    with transaction():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(t).where(t.c.status == "Not Sent")) or 0)
