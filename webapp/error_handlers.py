"""The one error handler: Frappe's JSON envelope `{"exc_type", "exception", "_server_messages"}`
under `/api/` (and for JSON clients), an HTML page elsewhere. Tracebacks never reach a client,
except a System Manager's in debug mode. A failed request leaves nothing written."""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.errors import CSRFTokenError, FrappeError, RateLimitExceededError, exc_type_of, status_of
from webapp.extensions import db, limiter
from webapp.services.messages import server_messages_json

log = logging.getLogger(__name__)


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
