"""Thin views: parse, call one handler, answer JSON."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from webapp.blueprints.api import bp
from webapp.blueprints.api.params import form_dict
from webapp.blueprints.api.registry import BUILTIN_METHODS
from webapp.errors import AuthenticationError, DoesNotExistError, PermissionError, ValidationError, server_messages_json

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# Hooks for method names that are not built in (API scripts register one).
fallback_handlers: list = []


def call_method(name: str, args: dict):
    builtin = BUILTIN_METHODS.get(name)
    if builtin is not None:
        if not builtin.allow_guest and not current_user.is_authenticated:
            raise AuthenticationError("Login required") if name.startswith("frappe.auth") else PermissionError(
                f"Not permitted: {name} needs a login"
            )
        return builtin.func(args)
    for handler in fallback_handlers:
        result = handler(name, args)
        if result is not None:
            return result
    raise DoesNotExistError(f"No method {name!r}")


def _reply(result):
    if not isinstance(result, dict) or "_response" not in result:
        body = dict(result or {})
        msgs = server_messages_json()
        if msgs:
            body["_server_messages"] = msgs
        return jsonify(body)
    return result["_response"]


@bp.route("/api/method/<path:name>", methods=ANY_METHOD)
def method(name: str):
    return _reply(call_method(name, form_dict()))


@bp.route("/", methods=["POST"])
def legacy_cmd():
    args = form_dict()
    cmd = str(args.pop("cmd", "") or "")
    if not cmd:
        raise ValidationError("POST / needs a 'cmd' field, e.g. cmd=login")
    return _reply(call_method(cmd, args))


@bp.route("/api/method/", methods=ANY_METHOD)
def method_missing():
    raise ValidationError(f"Name the method: /api/method/<name> ({request.method})")
