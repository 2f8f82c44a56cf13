"""Who may open a view: login required, then one of the roles, else 403 (views only; what a user
may do with documents is webapp/services/permissions.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import redirect, request, url_for
from flask_login import current_user

from webapp.errors import AuthenticationError, PermissionError


def _needs_login():
    if request.path.startswith("/api/"):
        raise AuthenticationError("Login required")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _needs_login()
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return _needs_login()
            if not current_user.has_role(*roles):
                raise PermissionError(f"Not permitted: this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return wrapper

    return decorate
