"""The execution log: a `Server Script Log` row for every run, written after the operation's
transaction ends (in its own transaction), so it is kept even when the operation rolls back."""

from __future__ import annotations

import contextvars
import datetime as dt
import logging

import sqlalchemy as sa

from webapp.documents.naming import make_hash
from webapp.services.context import after_end, in_transaction

_pending: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("pending_script_logs", default=None)

log = logging.getLogger(__name__)
MAX_TEXT = 65536


def record(*, server_script: str, script_type: str, trigger: str, user: str, started: dt.datetime,
           duration_ms: float, status: str, output: str, error: str) -> None:
    values = {
        "name": make_hash(), "server_script": server_script, "script_type": script_type, "trigger": trigger[:140],
        "user": user, "started": started, "duration_ms": round(duration_ms, 3), "status": status,
        "output": output[:MAX_TEXT], "error": error[:MAX_TEXT], "creation": started, "modified": started,
        "owner": user, "modified_by": user, "docstatus": 0, "idx": 0,
    }
    pending = _pending.get()
    if pending is None:
        # First run in this operation: one write for all of its runs, after the operation ends.
        pending = []
        _pending.set(pending)
        after_end(lambda: _write(pending))
    pending.append(values)
    if not in_transaction():
        _pending.set(None)


def _write(rows: list[dict]) -> None:
    from webapp.doctypes import registry
    from webapp.extensions import db

    _pending.set(None)
    if not rows:
        return
    t = registry.table(registry.get("Server Script Log"))
    try:
        db.session.execute(sa.insert(t), rows)
        db.session.commit()
    except Exception:  # noqa: BLE001 - a log that cannot be written must not break the request
        db.session.rollback()
        log.exception("could not write %d Server Script Log rows", len(rows))
