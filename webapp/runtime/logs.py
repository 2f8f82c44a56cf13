"""The execution log: a `Server Script Log` row for every run.

Rows are written by a background thread of this process, in batches, each batch in its own
transaction on its own connection: a row is kept even when the operation that ran the script rolls
back, and the request never waits for a log insert and commit (the most expensive part of a
short script run). A batch waits up to `LINGER_S` for more rows, so a busy worker commits once for
many runs.

Readers in this process call `flush()` first (the documents store does it before any read of the
Server Script Log doctype), so a run is in the log as soon as its operation has returned. Readers
in other processes see it within `LINGER_S`. Pending rows are also written at process exit, and
the queue is bounded: past `MAX_PENDING` rows, an operation writes the backlog itself when its
transaction has ended (never while it holds a write lock of its own).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import operator
import os
import threading
import time
from collections import deque
from typing import Any

import sqlalchemy as sa

from webapp.documents.naming import make_hash
from webapp.extensions import db
from webapp.services.context import after_end, transaction_memo

log = logging.getLogger(__name__)
MAX_TEXT = 65536
LINGER_S = 0.2
MAX_PENDING = 10_000


class _Writer:
    """Pending rows (engine, the fields given to record()) and the thread that writes them."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.pending: deque[tuple[sa.Engine, tuple]] = deque()
        self.wake = threading.Event()
        # Held while rows taken off `pending` are being written: flush() waits for a batch in flight.
        self.write_lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()

    def add(self, engine: sa.Engine, fields: tuple) -> None:
        self.pending.append((engine, fields))
        if self.thread is None:
            self._start()
        if not self.wake.is_set():
            self.wake.set()

    def _start(self) -> None:
        with self.start_lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="script-log-writer", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            self.wake.wait()
            self.wake.clear()
            time.sleep(LINGER_S)  # let the rows of the runs that follow join this batch
            try:
                self.write_pending()
            except Exception:  # noqa: BLE001 - the writer must outlive any error
                log.exception("Server Script Log writer failed")

    def write_pending(self) -> None:
        with self.write_lock:
            batch: list[tuple[sa.Engine, tuple]] = []
            while self.pending:
                batch.append(self.pending.popleft())
            if batch:
                _write(batch)


_writer = _Writer()


def _after_fork_in_child() -> None:
    # The parent writes its own pending rows; the child starts empty, with its own thread and locks.
    global _writer
    _writer = _Writer()


os.register_at_fork(after_in_child=_after_fork_in_child)


def record(*, server_script: str, script_type: str, trigger: str, user: str, started: dt.datetime | float,
           duration_ms: float, status: str, output: str, error: str) -> None:
    """Queue the log row of one run (written in the background, in its own transaction).
    `started` is a datetime or a time.time() value; the row is built by the writer."""
    writer = _writer
    writer.add(db.engine, (server_script, script_type, trigger, user, started, duration_ms, status, output, error))
    if len(writer.pending) > MAX_PENDING:
        _write_backlog_when_done()


def _row(fields: tuple, name: str) -> dict[str, Any]:
    server_script, script_type, trigger, user, started, duration_ms, status, output, error = fields
    if not isinstance(started, dt.datetime):
        started = dt.datetime.fromtimestamp(started)
    return {
        "name": name, "server_script": server_script, "script_type": script_type, "trigger": trigger[:140],
        "user": user, "started": started, "duration_ms": round(duration_ms, 3), "status": status,
        "output": output[:MAX_TEXT], "error": error[:MAX_TEXT], "creation": started, "modified": started,
        "owner": user, "modified_by": user, "docstatus": 0, "idx": 0,
    }


def _write_backlog_when_done() -> None:
    """Back-pressure: the operation writes the backlog itself once its transaction is over."""
    memo = transaction_memo()
    if memo is not None:
        if memo.get("log_backlog"):
            return
        memo["log_backlog"] = True
    after_end(flush)


def flush() -> None:
    """Write every pending row now (and wait for a batch the writer thread has in flight).

    Call it outside a transaction that has written (on SQLite that transaction holds the write lock
    the log insert needs): `flush_for_read()` checks that for readers.
    """
    _writer.write_pending()


def flush_for_read() -> None:
    """Before reading the log in this process: write pending rows, unless this thread is in the
    middle of a SQLite write transaction (the insert would wait for our own lock); rows of runs in
    that very transaction were never visible to it anyway."""
    if not _writer.pending and not _writer.write_lock.locked():
        return
    if not _holds_sqlite_write():
        flush()


def _holds_sqlite_write() -> bool:
    session = db.session()
    if not session.in_transaction() or db.engine.dialect.name != "sqlite":
        return False
    dbapi = session.connection().connection.driver_connection
    return bool(getattr(dbapi, "in_transaction", True))


atexit.register(flush)

_table: sa.Table | None = None


def _log_table() -> sa.Table:
    global _table
    if _table is None:
        from webapp.doctypes import registry

        _table = registry.table(registry.get("Server Script Log"))
    return _table


class _Statement:
    """The log INSERT compiled once per database dialect, in the driver's own paramstyle: a batch goes
    straight to the driver's executemany (SQLAlchemy's per-row parameter handling cost more than
    the insert itself)."""

    def __init__(self, dialect: sa.Dialect) -> None:
        t = _log_table()
        columns = [c.name for c in t.columns]
        compiled = sa.insert(t).compile(dialect=dialect, column_keys=columns)
        self.sql = compiled.string
        # Positional paramstyles (SQLite's "?") take tuples in the statement's order; named ones dicts.
        self.pick = operator.itemgetter(*compiled.positiontup) if compiled.positional else None
        processors = {c: t.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns}
        self.processors = [(c, p) for c, p in processors.items() if p is not None]

    def params(self, rows: list[dict[str, Any]]) -> list:
        out = []
        for row in rows:
            if self.processors:
                row = {**row, **{c: process(row[c]) for c, process in self.processors}}
            out.append(self.pick(row) if self.pick is not None else row)
        return out


_statements: dict[str, _Statement] = {}


def _insert(engine: sa.Engine, rows: list[dict[str, Any]]) -> None:
    statement = _statements.get(engine.dialect.name)
    if statement is None:
        statement = _statements[engine.dialect.name] = _Statement(engine.dialect)
    with engine.begin() as conn:
        conn.exec_driver_sql(statement.sql, statement.params(rows))


def _write(batch: list[tuple[sa.Engine, tuple]]) -> None:
    """One transaction per engine; when it fails, each row on its own, so one bad row (or a brief
    outage) loses no other row. A row that cannot be written is logged and dropped."""
    by_engine: dict[sa.Engine, list[dict[str, Any]]] = {}
    names = os.urandom(5 * len(batch)).hex()  # one 10-character hash name per row, as make_hash() gives
    for i, (engine, fields) in enumerate(batch):
        try:
            values = _row(fields, names[10 * i:10 * i + 10])
        except Exception:  # noqa: BLE001 - a malformed row is dropped, never the batch
            log.exception("malformed Server Script Log row %r", fields[:3])
            continue
        by_engine.setdefault(engine, []).append(values)
    for engine, rows in by_engine.items():
        try:
            _insert(engine, rows)
            continue
        except Exception:  # noqa: BLE001 - retried row by row below
            log.warning("could not write %d Server Script Log rows in one batch; retrying one by one",
                        len(rows), exc_info=True)
        for values in rows:
            values["name"] = make_hash()  # in case the batch failed on a name already taken
            try:
                _insert(engine, [values])
            except Exception:  # noqa: BLE001 - a log that cannot be written must not break anything
                log.exception("could not write the Server Script Log row of %s (%s)", values["server_script"],
                              values["trigger"])
