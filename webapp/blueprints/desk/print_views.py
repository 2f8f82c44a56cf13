"""GET /printview?doctype=<DocType>&name=<name>: the printable document (fires Before Print)."""

from __future__ import annotations

from flask import render_template, request

from webapp.blueprints.desk import forms as F
from webapp.blueprints.desk.blueprint import bp
from webapp.errors import ValidationError
from webapp.permissions import login_required
from webapp.services import documents


@bp.route("/printview")
@login_required
def printview():
    doctype, name = request.args.get("doctype", ""), request.args.get("name", "")
    if not doctype or not name:
        raise ValidationError("printview needs ?doctype=<DocType>&name=<name>")
    doc = documents.print_doc(doctype, name)
    return render_template("print/document.html", doc=doc, data=doc.as_dict(), meta=doc.meta,
                           fields=F.visible_fields(doc.meta), child_meta=F.child_meta)
