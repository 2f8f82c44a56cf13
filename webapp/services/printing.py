"""The print view of a document as HTML: the desk's /printview and scripts' frappe.get_print."""

from __future__ import annotations

from flask import current_app, has_request_context, render_template

from webapp.doctypes import registry
from webapp.services import documents


def render(doctype: str, name: str) -> str:
    """The document's print view (read permission checked, Before Print fired, nothing written)."""
    doc = documents.print_doc(doctype, name)

    def html() -> str:
        return render_template("print/document.html", doc=doc, data=doc.as_dict(), meta=doc.meta,
                               fields=registry.visible_fields(doc.meta), child_meta=registry.child_meta)

    if has_request_context():
        return html()
    with current_app.test_request_context("/printview"):  # scheduler and jobs: links need a request
        return html()
