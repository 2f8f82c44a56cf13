"""One exception hierarchy (Frappe's class names, each with its HTTP status) and one error handler.

Under `/api/` (and for JSON clients) errors answer Frappe's envelope:
`{"exc_type", "exception", "_server_messages"}`; elsewhere an HTML page. Tracebacks never reach a
client, except a System Manager's in debug mode.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.extensions import db, limiter

log = logging.getLogger(__name__)


class FrappeError(Exception):
    http_status_code = 500

    def __init__(self, message: str = "", *args: Any, title: str | None = None) -> None:
        super().__init__(message, *args) if message else super().__init__()
        self.title = title

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ValidationError(FrappeError):
    http_status_code = 417
    #: the fields the error is about (the desk shows the message next to them)
    fields: tuple[str, ...] = ()

    def for_fields(self, *fieldnames: str) -> ValidationError:
        self.fields = tuple(fieldnames)
        return self


class MandatoryError(ValidationError):
    pass


class LinkValidationError(ValidationError):
    pass


class TimestampMismatchError(ValidationError):
    pass


class DoesNotExistError(ValidationError):
    http_status_code = 404


class NameError(FrappeError):  # noqa: A001 - Frappe's name (a document name problem), not the builtin
    http_status_code = 409


class DuplicateEntryError(ValidationError, NameError):
    http_status_code = 409


class PermissionError(FrappeError):  # noqa: A001 - Frappe's name, scripts catch it by this name
    http_status_code = 403


class AuthenticationError(FrappeError):
    http_status_code = 401


class CSRFTokenError(FrappeError):
    http_status_code = 400


class RateLimitExceededError(FrappeError):
    http_status_code = 429

    def __init__(self, message: str = "", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerScriptDisabledError(PermissionError):
    pass


# -- the rest of Frappe's exceptions (frappe/exceptions.py) that scripts raise and catch by name,
# each with Frappe's base class and HTTP status -----------------------------------------------
class SessionExpired(FrappeError):
    http_status_code = 401


class PageDoesNotExistError(ValidationError):
    http_status_code = 404


class OutgoingEmailError(FrappeError):
    http_status_code = 501


class SessionStopped(FrappeError):
    http_status_code = 503


class UnsupportedMediaType(FrappeError):
    http_status_code = 415


class TooManyRequestsError(FrappeError):
    http_status_code = 429


class InReadOnlyMode(ValidationError):
    http_status_code = 503


class SessionBootFailed(ValidationError):
    http_status_code = 500


class LinkExpired(ValidationError):
    http_status_code = 410


class InvalidKeyError(ValidationError):
    http_status_code = 401


class InvalidAuthorizationHeader(CSRFTokenError):
    pass


class InvalidAuthorizationPrefix(CSRFTokenError):
    pass


class InvalidAuthorizationToken(CSRFTokenError):
    pass


class CancelledLinkError(LinkValidationError):
    pass


class QueryTimeoutError(FrappeError):
    """A query ran past its time (500, as in Frappe)."""


class QueryDeadlockError(FrappeError):
    pass


class TooManyWritesError(FrappeError):
    pass


class SecurityException(FrappeError):
    pass


class RetryBackgroundJobError(FrappeError):
    pass


class FileAlreadyAttachedException(FrappeError):
    pass


class DataError(ValidationError):
    pass


class MappingMismatchError(ValidationError):
    pass


class InvalidStatusError(ValidationError):
    pass


class NonNegativeError(ValidationError):
    pass


class InvalidSignatureError(ValidationError):
    pass


class CannotChangeConstantError(ValidationError):
    pass


class CharacterLengthExceededError(ValidationError):
    pass


class UpdateAfterSubmitError(ValidationError):
    pass


class DocstatusTransitionError(ValidationError):
    pass


class EmptyTableError(ValidationError):
    pass


class LinkExistsError(ValidationError):
    pass


class InvalidEmailAddressError(ValidationError):
    pass


class InvalidNameError(ValidationError):
    pass


class InvalidPhoneNumberError(ValidationError):
    pass


class TemplateNotFoundError(ValidationError):
    pass


class UniqueValidationError(ValidationError):
    pass


class ImplicitCommitError(ValidationError):
    pass


class DocumentLockedError(ValidationError):
    pass


class CircularLinkingError(ValidationError):
    pass


class InvalidColumnName(ValidationError):
    pass


class InvalidDates(ValidationError):
    pass


class DataTooLongException(ValidationError):
    pass


class DocumentAlreadyRestored(ValidationError):
    pass


class AttachmentLimitReached(ValidationError):
    pass


# Frappe's exception classes that scripts get as `frappe.<Name>`. Left out, being about a bench,
# its sites and apps, which this product does not have: SiteNotSpecifiedError,
# ImproperDBConfigurationError, IncorrectSitePath, AppNotInstalledError, IncompatibleApp,
# UnknownDomainError, InvalidDatabaseFile, ExecutableNotFound, InvalidRemoteException,
# InvalidRoundingMethod, RequestToken, Redirect, NotFound.
SCRIPT_EXCEPTIONS = tuple(sorted(
    name for name, value in dict(globals()).items()
    if isinstance(value, type) and issubclass(value, FrappeError) and value.__module__ == __name__
    and name not in ("FrappeError", "ServerScriptDisabledError", "ScriptError")
))


class ScriptError(ValidationError):
    """A server script failed; the message names the script and the line."""


def exc_type_of(exc: BaseException) -> str:
    """The `exc_type` Frappe clients branch on: the class name, or the Frappe class a class of ours
    stands for (`frappe_exc_type`: SQLNotAllowed answers as Frappe's PermissionError)."""
    return getattr(exc, "frappe_exc_type", None) or type(exc).__name__


def status_of(exc: BaseException) -> int:
    return int(getattr(exc, "http_status_code", 500) or 500)


def message_of(exc: BaseException) -> str:
    if isinstance(exc, FrappeError):
        return exc.message
    return str(exc)


def add_message(message: str, title: str | None = None, indicator: str | None = None) -> None:
    """A message shown to the user after the request (`frappe.msgprint`)."""
    if not has_request_context():
        return
    entry: dict[str, Any] = {"message": message}
    if title:
        entry["title"] = title
    if indicator:
        entry["indicator"] = indicator
    g.setdefault("server_messages", []).append(entry)


def server_messages_json(extra: list[dict[str, Any]] | None = None) -> str | None:
    msgs = list(g.get("server_messages", [])) if has_request_context() else []
    msgs += extra or []
    if not msgs:
        return None
    return json.dumps([json.dumps(m) for m in msgs])


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    if request.path == "/" and request.method == "POST":
        return True  # legacy `cmd=` calls
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(exc: BaseException, status: int, exc_type: str, message: str) -> Response:
    # Views never commit; a failed request must leave nothing written.
    try:
        db.session.rollback()
    except Exception:  # pragma: no cover - the connection itself may be gone
        log.exception("rollback failed")
    if wants_json():
        body: dict[str, Any] = {
            "exc_type": exc_type,
            "exception": f"{exc_type}: {message}" if message else exc_type,
            "_server_messages": server_messages_json([{"message": message or exc_type, "title": _title(exc)}]),
        }
        if status >= 500 and _may_see_traceback():
            body["exc"] = json.dumps([traceback.format_exc()])
        resp = jsonify(body)
    else:
        resp = Response(
            render_template("errors/error.html", status=status, exc_type=exc_type, message=message),
            mimetype="text/html",
        )
    resp.status_code = status
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def _title(exc: BaseException) -> str:
    return getattr(exc, "title", None) or {
        401: "Not Permitted",
        403: "Not Permitted",
        404: "Not Found",
        409: "Duplicate Entry",
        417: "Message",
        429: "Too Many Requests",
    }.get(status_of(exc), "Error")


def _may_see_traceback() -> bool:
    if not current_app.debug:
        return False
    return bool(getattr(current_user, "is_authenticated", False) and current_user.has_role("System Manager"))


_HTTP_NAMES = {
    400: "ValidationError",
    401: "AuthenticationError",
    403: "PermissionError",
    404: "DoesNotExistError",
    405: "ValidationError",
    413: "ValidationError",
    429: "RateLimitExceededError",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(FrappeError)
    def _frappe(exc: FrappeError) -> Response:
        return error_response(exc, status_of(exc), exc_type_of(exc), exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Response:
        err = CSRFTokenError(f"Invalid or missing CSRF token: {exc.description}")
        return error_response(err, 400, "CSRFTokenError", err.message)

    @app.errorhandler(RateLimitExceeded)
    def _ratelimit(exc: RateLimitExceeded) -> Response:
        retry = 60
        limit = getattr(exc, "limit", None)
        try:
            reset = limiter.current_limit.reset_at if limiter.current_limit else None
            if reset:
                retry = max(1, int(reset - time.time()) + 1)
        except Exception:  # noqa: BLE001,S110 - defensive: the 429 must still be sent with a default
            pass
        err = RateLimitExceededError(f"Too many requests ({limit.limit if limit else exc.description}); "
                                     f"try again in {retry} seconds", retry_after=retry)
        return error_response(err, 429, "RateLimitExceededError", err.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        return error_response(exc, status, _HTTP_NAMES.get(status, type(exc).__name__), exc.description or "")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        status = getattr(exc, "http_status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            # Typed errors from the sandbox (ScriptTimeoutError...) carry their own status.
            return error_response(exc, status, type(exc).__name__, str(exc))
        log.error("Unhandled error on %s %s\n%s", request.method, request.path, traceback.format_exc())
        return error_response(exc, 500, type(exc).__name__, "The server met an unexpected error; it has been logged.")
