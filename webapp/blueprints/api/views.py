"""Thin views: parse, call the method service, render its reply."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, jsonify, request

from webapp.blueprints.api.blueprint import bp
from webapp.blueprints.api.params import form_dict
from webapp.errors import ValidationError
from webapp.net import client_address
from webapp.services import methods
from webapp.services.messages import server_messages_json
from webapp.services.methods import Reply

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# What a script's reply other than JSON is shown as: a sandboxed document, so no script of its runs
# on this origin, whatever content type or disposition the script chose.
SCRIPT_REPLY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def json_reply(body: dict) -> Response:
    """A JSON answer with the messages the request collected (`frappe.msgprint`), as Frappe sends them
    on every JSON reply, success included."""
    body = dict(body or {})
    msgs = server_messages_json()
    if msgs:
        body["_server_messages"] = msgs
    return jsonify(body)


def _attachment(filename: str) -> str:
    safe = "".join(c for c in filename if c.isprintable() and c not in '"\\/\r\n')[:200] or "download"
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(safe)}"


def render(reply: Reply | dict) -> Response:
    if not isinstance(reply, Reply):
        return json_reply(reply)
    if reply.kind == "json":
        response = json_reply(reply.body)
    elif reply.kind in ("text", "csv"):
        response = Response(reply.body, mimetype="text/plain" if reply.kind == "text" else "text/csv")
        if reply.filename:
            response.headers["Content-Disposition"] = _attachment(reply.filename)
    elif reply.kind == "download":
        response = Response(reply.body, mimetype=reply.content_type or "application/octet-stream")
        response.headers["Content-Disposition"] = _attachment(reply.filename or "download")
    elif reply.kind == "redirect":
        response = Response("", headers={"Location": reply.location})
    else:
        raise ValidationError(f"Unknown reply kind {reply.kind!r}")
    if reply.status is not None:
        response.status_code = reply.status
    for key, value in reply.headers.items():
        response.headers[key] = value
    if response.mimetype != "application/json":
        response.headers["Content-Security-Policy"] = SCRIPT_REPLY_CSP
    return response


def _call(name: str, args: dict) -> Response:
    return render(methods.call(name, args, request.method, client_address()))


@bp.route("/api/method/<path:name>", methods=ANY_METHOD)
def method(name: str):
    return _call(name, form_dict())


@bp.route("/", methods=["POST"])
def legacy_cmd():
    args = form_dict()
    cmd = str(args.pop("cmd", "") or "")
    if not cmd:
        raise ValidationError("POST / needs a 'cmd' field, e.g. cmd=login")
    return _call(cmd, args)


@bp.route("/api/method/", methods=ANY_METHOD)
def method_missing():
    raise ValidationError(f"Name the method: /api/method/<name> ({request.method})")
