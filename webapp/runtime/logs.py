"""The execution log: a `Server Script Log` row for every run, written after the operation's
transaction ends (in its own transaction), so it is kept even when the operation rolls back."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from webapp.documents.naming import make_hash
from webapp.services.context import after_end

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
    after_end(lambda: _write(values))


def _write(values: dict) -> None:
    from webapp.doctypes import registry
    from webapp.extensions import db

    t = registry.table(registry.get("Server Script Log"))
    try:
        db.session.execute(sa.insert(t).values(**values))
        db.session.commit()
    except Exception:  # noqa: BLE001 - a log that cannot be written must not break the request
        db.session.rollback()
        log.exception("could not write Server Script Log for %s", values.get("server_script"))
