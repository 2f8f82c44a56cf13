"""`frappe.get_print` / `frappe.attach_print`: the document's print view as HTML."""

from __future__ import annotations

from typing import Any

from webapp.documents.document import AttrDict, Document
from webapp.errors import ValidationError
from webapp.services import printing


def get_print(doctype: Any = None, name: Any = None, print_format: Any = None, style: Any = None,
              as_pdf: bool = False, doc: Any = None, **_ignored: Any) -> str:
    """The HTML of the print view (`/printview`); there are no print formats or PDF here."""
    if isinstance(doc, Document):
        doctype, name = doc.doctype, doc.name
    if not doctype or not name:
        raise ValidationError("get_print needs a doctype and a name (or doc=)")
    if as_pdf:
        raise ValidationError("get_print: PDF output is not available here; use the HTML (as_pdf=False)")
    if print_format not in (None, "", "Standard"):
        raise ValidationError(f"get_print: there are no print formats here, only the standard view "
                              f"(print_format={print_format!r})")
    return printing.render(str(doctype), str(name))


def attach_print(doctype: Any, name: Any, file_name: Any = None, print_format: Any = None, **kwargs: Any) -> AttrDict:
    """{"fname": "<name>.html", "fcontent": the print view's HTML as bytes} (Frappe's shape; Frappe
    attaches a PDF when its print settings say so, HTML otherwise)."""
    html = get_print(doctype, name, print_format=print_format, doc=kwargs.get("doc"))
    return AttrDict(fname=f"{file_name or name}.html", fcontent=html.encode("utf-8"))
