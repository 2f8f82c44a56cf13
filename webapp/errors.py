"""One exception hierarchy: Frappe's class names, each with its HTTP status.

Pure (no Flask, no database): the script host raises and catches these too. How an error is
answered (Frappe's JSON envelope or an HTML page) is webapp/error_handlers.py.
"""

from __future__ import annotations

from typing import Any


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
