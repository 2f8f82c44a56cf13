"""Who is acting, and the transaction they act in.

A service call runs as a user (the request's, a script's, a job's) and inside ONE transaction:
`transaction()` opens it at the outermost call and commits or rolls back there; nested calls (a
script's `doc.save()` inside an event of another save) join it. A read-only transaction (a GET
request running an API script) refuses every write.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.net import REQUEST_FIELDS


@dataclass
class _Tx:
    depth: int = 0
    read_only: bool = False
    read_only_reason: str = ""
    after_end: list[Any] = field(default_factory=list)
    after_commit: list[Any] = field(default_factory=list)
    before_commit: list[Any] = field(default_factory=list)
    after_rollback: list[Any] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)


_user: contextvars.ContextVar[str | None] = contextvars.ContextVar("acting_user", default=None)
_tx: contextvars.ContextVar[_Tx | None] = contextvars.ContextVar("transaction", default=None)


def acting_user() -> str:
    """The user services act as: set explicitly (scripts, jobs), else the request's user, else Guest."""
    name = _user.get()
    if name:
        return name
    if not has_request_context():
        return "Guest"
    if g.get("_login_user") is None and "HTTP_COOKIE" not in request.environ:
        # No session or remember-me cookie, and no token (token auth sets the user before any view
        # runs): Flask-Login would load nobody, after hashing the client's address and user agent.
        return "Guest"
    return current_user.name if current_user.is_authenticated else "Guest"


def request_fields() -> dict[str, Any] | None:
    """Loaders of the current web request's fields (`frappe.request`), or None outside a request."""
    return REQUEST_FIELDS if has_request_context() else None


def operation_memo() -> dict[str, Any] | None:
    """A dict living as long as the current request, or else as the current outermost
    transaction; None outside both."""
    if has_request_context():
        memo = g.get("_operation_memo")
        if memo is None:
            memo = g._operation_memo = {}
        return memo
    return transaction_memo()


@contextmanager
def acting_as(user: str) -> Iterator[None]:
    token = _user.set(user)
    try:
        yield
    finally:
        _user.reset(token)


@contextmanager
def transaction(read_only: bool = False, reason: str = "") -> Iterator[None]:
    """One transaction for the outermost call; nested calls join it."""
    tx = _tx.get()
    if tx is not None:
        tx.depth += 1
        try:
            yield
        finally:
            tx.depth -= 1
        return
    tx = _Tx(depth=1, read_only=read_only, read_only_reason=reason)
    token = _tx.set(tx)
    # An operation that never touched the database (an API script that only computes) has no
    # session to end: creating one just to commit nothing costs more than the script's run.
    used = db.session.registry.has
    try:
        yield
        run_before_commit(tx)
        if used():
            db.session.commit()
    except BaseException:
        if used():
            db.session.rollback()
        tx.after_commit.clear()
        run_after_rollback(tx)
        raise
    finally:
        _tx.reset(token)
        # Work that must happen whether the transaction committed or not (the script change stamp,
        # writing a log backlog), now that the operation's transaction is over.
        for callback in tx.after_end:
            callback()
    _run_after_commit(tx)


@contextmanager
def read_only(reason: str) -> Iterator[None]:
    """Every write inside is refused with `reason`: in the current transaction for the time being
    (even a writable one), or in a read-only transaction of its own."""
    tx = _tx.get()
    if tx is None:
        with transaction(read_only=True, reason=reason):
            yield
        return
    saved = tx.read_only, tx.read_only_reason
    tx.read_only, tx.read_only_reason = True, reason
    try:
        yield
    finally:
        tx.read_only, tx.read_only_reason = saved


def ensure_writable(what: str = "write") -> None:
    tx = _tx.get()
    if tx is not None and tx.read_only:
        raise ValidationError(tx.read_only_reason or f"Cannot {what} in a read-only request")


def transaction_memo() -> dict[str, Any] | None:
    """A dict living as long as the current outermost transaction (None outside one)."""
    tx = _tx.get()
    return tx.memo if tx is not None else None


def in_transaction() -> bool:
    return _tx.get() is not None


def after_end(callback) -> None:
    """Run `callback` when the outermost transaction ends, committed or rolled back (or now)."""
    tx = _tx.get()
    if tx is None:
        callback()
    else:
        tx.after_end.append(callback)


def after_commit(callback) -> None:
    """Run `callback` once the outermost transaction has committed (or now, outside one); dropped
    when it rolls back. Jobs are queued this way: a rolled-back operation queues nothing."""
    tx = _tx.get()
    if tx is None:
        callback()
    else:
        tx.after_commit.append(callback)


def before_commit(callback) -> None:
    """Run `callback` just before the outermost transaction commits (or a script's
    `frappe.db.commit()`); an error it raises rolls the operation back."""
    tx = _tx.get()
    if tx is None:
        callback()
    else:
        tx.before_commit.append(callback)


def after_rollback(callback) -> None:
    """Run `callback` after the outermost transaction rolls back (or a script's
    `frappe.db.rollback()`); dropped when it commits."""
    tx = _tx.get()
    if tx is not None:
        tx.after_rollback.append(callback)


def run_before_commit(tx: _Tx | None = None) -> None:
    tx = tx or _tx.get()
    while tx is not None and tx.before_commit:
        tx.before_commit.pop(0)()


def run_after_rollback(tx: _Tx | None = None) -> None:
    tx = tx or _tx.get()
    if tx is None:
        return
    tx.before_commit.clear()
    callbacks, tx.after_rollback = tx.after_rollback, []
    for callback in callbacks:
        callback()


def committed_midway() -> None:
    """A script's `frappe.db.commit()`: what was waiting for a commit goes now (as in Frappe)."""
    tx = _tx.get()
    if tx is not None:
        tx.after_rollback.clear()
        _run_after_commit(tx)


def rolled_back_midway() -> None:
    """A script's `frappe.db.rollback()`: what was waiting for a commit is dropped (as in Frappe)."""
    tx = _tx.get()
    if tx is not None:
        tx.after_commit.clear()
        run_after_rollback(tx)


def _run_after_commit(tx: _Tx) -> None:
    callbacks, tx.after_commit = tx.after_commit, []
    for callback in callbacks:
        callback()
