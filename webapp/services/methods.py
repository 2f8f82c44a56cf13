"""`/api/method/<name>`: the built-in methods, the ones the app's hooks add (API scripts), and the
reply value every method gives back, which the API blueprint turns into an HTTP response.

A built-in method is a function of its arguments: `func(args, http_method)` -> the reply body (a
dict such as `{"message": ...}`) or a `Reply`. It reads no request, so a script's `frappe.call`
runs the same function a client reaches over HTTP, as the script's user and inside its operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webapp import hooks
from webapp.errors import AuthenticationError, DoesNotExistError, PermissionError, ValidationError
from webapp.services.context import acting_user

WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class Reply:
    """What a method answers, as plain values: the blueprint makes the HTTP response of it.

    kind: "json" (body: a dict, sent with the request's messages), "text" / "csv" (body: text),
    "download" (body: bytes, with `content_type` and `filename`), "redirect" (`location`, a path
    on this site). `status` and `headers` apply to every kind."""

    body: Any = None
    kind: str = "json"
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    filename: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class Method:
    name: str
    func: Callable[[dict[str, Any], str], Any]
    allow_guest: bool = False
    # False: only over HTTP (login and logout act on the browser's session, not a script's user).
    from_scripts: bool = True


BUILTIN: dict[str, Method] = {}


def builtin_method(name: str, allow_guest: bool = False, from_scripts: bool = True):
    """Declare a built-in method (the modules that hold them are imported by the factory)."""
    def register(func: Callable[[dict[str, Any], str], Any]):
        BUILTIN[name] = Method(name, func, allow_guest, from_scripts)
        return func

    return register


def is_builtin(name: str) -> bool:
    return name in BUILTIN


def require_write_verb(http_method: str) -> None:
    if http_method not in WRITE_VERBS:
        raise ValidationError("This method changes data; call it with POST")


@dataclass(frozen=True)
class MethodCall:
    """One call of a method that is not built in, as the app's method hooks receive it."""

    name: str
    args: dict[str, Any]
    http_method: str
    client: str  # the caller's address (rate limits)


def call(name: str, args: dict[str, Any], http_method: str = "POST", client: str = "") -> Any:
    """Answer `/api/method/<name>`: a dict body or a Reply."""
    builtin = BUILTIN.get(name)
    if builtin is not None:
        if not builtin.allow_guest and acting_user() == "Guest":
            if name.startswith("frappe.auth"):
                raise AuthenticationError("Login required")
            raise PermissionError(f"Not permitted: {name} needs a login")
        return builtin.func(args, http_method)
    request = MethodCall(name, args, http_method, client)
    for handler in hooks.current().method_fallbacks:
        result = handler(request)
        if result is not None:
            return result
    raise DoesNotExistError(f"No method {name!r}")


def check_builtin_for_script(name: str, user: str) -> Method:
    """The built-in method `name` if a script running as `user` may call it; else PermissionError
    (as Frappe answers a method that is not whitelisted)."""
    builtin = BUILTIN.get(name)
    if builtin is None or not builtin.from_scripts:
        raise PermissionError(f"{name!r} is not a whitelisted method a script can call")
    if not builtin.allow_guest and user == "Guest":
        raise PermissionError(f"Not permitted: {name} needs a login")
    return builtin


def call_builtin_from_script(name: str, args: dict[str, Any], user: str) -> Any:
    """`frappe.call` of a built-in method: what a client of `user` could call, its `message`."""
    result = check_builtin_for_script(name, user).func(args, "POST")
    if isinstance(result, Reply):
        return result.body
    return result.get("message") if isinstance(result, dict) else result
