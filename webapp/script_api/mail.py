"""`frappe.sendmail`: queue an email (an Email Queue row in the operation's transaction)."""

from __future__ import annotations

from typing import Any

from webapp.errors import ValidationError
from webapp.services import mail, run_context


def sendmail(recipients: Any = None, subject: Any = "No Subject", message: Any = "No Message", *, sender: Any = "",
             cc: Any = None, bcc: Any = None, reference_doctype: Any = None, reference_name: Any = None,
             send_after: Any = None, content: Any = None, doctype: Any = None, name: Any = None,
             attachments: Any = None, template: Any = None, **_ignored: Any) -> None:
    """Queue an email (an Email Queue row in this operation's transaction; sent by the job queue).

    Positional order as Frappe documents it (recipients, subject, message); everything else by
    keyword, with Frappe's names (`sender`, `cc`, `bcc`, `reference_doctype`, `reference_name`,
    `send_after`, `content` for message, `doctype`/`name` for the reference). Other Frappe options
    (`delayed`, `now`, `as_markdown`, ...) are accepted and change nothing."""
    if run_context.current() is None:
        raise ValidationError("Only available inside a running script")
    if attachments:
        raise ValidationError("frappe.sendmail: attachments are not supported")
    if template:
        raise ValidationError("frappe.sendmail: email templates are not supported; render the message with "
                              "frappe.render_template and pass it as message")
    mail.queue_email(recipients, subject=subject, message=content if content is not None else message,
                     sender=sender, cc=cc, bcc=bcc, reference_doctype=reference_doctype or doctype,
                     reference_name=reference_name or name, send_after=send_after)
