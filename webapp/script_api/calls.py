"""Calls between scripts and into built-in methods, session helpers, logging, templates."""

from __future__ import annotations

from typing import Any

from webapp.documents.document import _dict
from webapp.errors import DoesNotExistError, PermissionError, ValidationError
from webapp.script_api import run_context


def _ctx():
    ctx = run_context.current()
    if ctx is None:
        raise ValidationError("Only available inside a running script")
    return ctx


def run_script(name: str, **kwargs: Any) -> _dict:
    """Run another API script with form_dict updated by kwargs; returns that script's frappe.flags."""
    from webapp.runtime import scripts

    ctx = _ctx()
    form = _dict(ctx.form_dict)
    form.update(kwargs)
    child = scripts.run_nested_api(str(name), form)
    return child.flags


def call(method: str, *args: Any, **kwargs: Any) -> Any:
    """An API script or a built-in frappe.client.* method, under the caller's permissions."""
    from webapp.blueprints.api.registry import BUILTIN_METHODS
    from webapp.runtime import scripts

    method = str(method)
    builtin = BUILTIN_METHODS.get(method)
    if builtin is not None:
        if not method.startswith("frappe.client."):
            raise PermissionError(f"frappe.call cannot call {method!r} from a script")
        if not builtin.allow_guest and _ctx().user == "Guest":
            raise PermissionError(f"Not permitted: {method} needs a login")
        result = builtin.func(dict(kwargs))
        return result.get("message") if isinstance(result, dict) else result
    ctx = _ctx()
    form = _dict(ctx.form_dict)
    form.update(kwargs)
    child = scripts.run_nested_api(method, form, by_method=True)
    return child.flags or child.response.get("message")  # plain data, copied inside the child's run


def log(*parts: Any) -> None:
    _ctx().logs.append(" ".join(str(p) for p in parts))


def get_roles(user: str | None = None) -> list[str]:
    from webapp.services.permissions import roles_of

    user = user or _ctx().user
    return sorted(r for r in roles_of(user) if r != "All") if user != "Guest" else ["Guest"]


def get_fullname(user: str | None = None) -> str:
    from webapp.services.users import get_user

    user = user or _ctx().user
    u = get_user(user)
    if u is None:
        if user == "Guest":
            return "Guest"
        raise DoesNotExistError(f"User {user} not found")
    return u.display_name


def render_template(template: str, context: dict[str, Any] | None = None, **_ignored: Any) -> str:
    """Render a Jinja template string in Jinja's sandbox (no attribute walks to the interpreter)."""
    from webapp.script_api.templating import render

    return render(str(template), dict(context or {}))
