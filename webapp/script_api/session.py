"""The run's user and its log: `frappe.get_roles`, `frappe.get_fullname`, `log()`."""

from __future__ import annotations

from typing import Any

from webapp.errors import DoesNotExistError, ValidationError
from webapp.services import run_context
from webapp.services.permissions import roles_of
from webapp.services.users import get_user


def _ctx():
    ctx = run_context.current()
    if ctx is None:
        raise ValidationError("Only available inside a running script")
    return ctx


def log(*parts: Any) -> None:
    _ctx().logs.append(" ".join(str(p) for p in parts))


def get_roles(user: str | None = None) -> list[str]:
    user = user or _ctx().user
    return sorted(r for r in roles_of(user) if r != "All") if user != "Guest" else ["Guest"]


def get_fullname(user: str | None = None) -> str:
    user = user or _ctx().user
    u = get_user(user)
    if u is None:
        if user == "Guest":
            return "Guest"
        raise DoesNotExistError(f"User {user} not found")
    return u.display_name
