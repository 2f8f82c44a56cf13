"""Email Queue: outgoing mail queued by `frappe.sendmail`, with Frappe's field names where it has them.

Read-only everywhere (rows are written by the mail service only) and readable by System Managers
only; Server Scripts cannot reach it except through `frappe.sendmail` (`script_access=False`).
"""

from __future__ import annotations

from webapp.doctypes.meta import DocType, Field, Perm

EMAIL_STATUSES = ("Not Sent", "Sending", "Sent", "Error")

EMAIL_QUEUE = DocType(
    "Email Queue",
    naming="hash",
    read_only=True,
    script_access=False,
    script_access_hint="queue email with frappe.sendmail",
    script_events=False,
    customizable=False,
    module="Email",
    title_field="subject",
    sort_field="creation",
    description="Outgoing email queued by frappe.sendmail; sent by the job queue when a mail server is "
                "configured (mail_server in site_config.json).",
    permissions=[Perm("System Manager", read=True)],
    fields=[
        Field("status", "Select", options="\n".join(EMAIL_STATUSES), default="Not Sent", in_list_view=True,
              in_standard_filter=True, search_index=True),
        Field("sender", "Data", in_list_view=True),
        Field("recipients", "Text", in_list_view=True, description="One address per line"),
        Field("cc", "Text", label="CC"),
        Field("bcc", "Text", label="BCC"),
        Field("subject", "Text"),
        Field("message", "Text", description="HTML"),
        Field("error", "Text"),
        Field("message_id", "Data", label="Message ID"),
        Field("reference_doctype", "Data", in_standard_filter=True),
        Field("reference_name", "Data"),
        Field("send_after", "Datetime"),
        Field("sent_at", "Datetime"),
    ],
)
