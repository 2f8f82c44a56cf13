"""GET /printview?doctype=<DocType>&name=<name>: the printable document (fires Before Print)."""

from __future__ import annotations

from flask import request

from webapp.blueprints.access import login_required
from webapp.blueprints.desk.blueprint import bp
from webapp.errors import ValidationError
from webapp.services import printing


@bp.route("/printview")
@login_required
def printview():
    doctype, name = request.args.get("doctype", ""), request.args.get("name", "")
    if not doctype or not name:
        raise ValidationError("printview needs ?doctype=<DocType>&name=<name>")
    return printing.render(doctype, name)
