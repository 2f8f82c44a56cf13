"""/api/resource/<DocType>[/<name>]: Frappe's REST resource API over the documents service."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from webapp.blueprints.api.blueprint import bp
from webapp.blueprints.api.views import json_reply
from webapp.errors import ValidationError
from webapp.services import documents


def _body() -> dict[str, Any]:
    """The document from a JSON body, or from the form field `data` (JSON text)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if body is None:
            raise ValidationError("The request body is not valid JSON")
    elif "data" in request.form:
        try:
            body = json.loads(request.form["data"])
        except ValueError:
            raise ValidationError("Form field 'data' must be a JSON object") from None
    elif request.form:
        body = request.form.to_dict()
    else:
        raw = request.get_data(as_text=True)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise ValidationError("Send the document as a JSON object (Content-Type: application/json)") from None
    if not isinstance(body, dict):
        raise ValidationError("The document must be a JSON object")
    return body


@bp.get("/api/resource/<doctype>")
def resource_list(doctype: str):
    args = request.args
    rows = documents.list_documents(doctype, args.to_dict())
    return json_reply({"data": rows})


@bp.post("/api/resource/<doctype>")
def resource_create(doctype: str):
    doc = documents.create(doctype, _body())
    return json_reply({"data": doc.as_dict()})


@bp.get("/api/resource/<doctype>/<path:name>")
def resource_get(doctype: str, name: str):
    return json_reply({"data": documents.get_doc(doctype, name).as_dict()})


@bp.put("/api/resource/<doctype>/<path:name>")
def resource_update(doctype: str, name: str):
    doc = documents.update(doctype, name, _body())
    return json_reply({"data": doc.as_dict()})


@bp.delete("/api/resource/<doctype>/<path:name>")
def resource_delete(doctype: str, name: str):
    documents.delete(doctype, name)
    return json_reply({"message": "ok"})
