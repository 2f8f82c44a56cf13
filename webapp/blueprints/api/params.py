"""`frappe.form_dict`: query string, form fields, or the JSON body, merged the way Frappe does."""

from __future__ import annotations

from typing import Any

from flask import request

from webapp.errors import ValidationError


def form_dict() -> dict[str, Any]:
    data: dict[str, Any] = {}
    data.update(request.args.to_dict())
    if request.is_json:
        body = request.get_json(silent=True)
        if body is None and request.get_data():
            raise ValidationError("The request body is not valid JSON")
        if isinstance(body, dict):
            data.update(body)
        elif body is not None:
            raise ValidationError("The JSON body must be an object")
    else:
        data.update(request.form.to_dict())
    return data
