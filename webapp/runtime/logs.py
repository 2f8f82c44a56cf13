"""The execution log: a `Server Script Log` row for every run.

A run queues its row; rows are written in batches, each batch in its own transaction on its own
connection, so a row is kept even when the operation that ran the script rolls back, and an
operation does not pay for a log insert and commit of its own (the most expensive part of a short
script run). The batch is written by whichever operation ends once the oldest queued row is
`LINGER_S` old, after its transaction (never while it holds a write lock), so a busy worker
commits once for many runs and a run's row waits at most about `LINGER_S` plus one operation. A
background thread writes what an idle process leaves queued. (It only steps in when nothing else
runs: a thread writing batches beside busy request threads trades the GIL with them on every
syscall, which costs them more than the writing.)

Readers in this process call `flush()` first (the documents store does it before any read of the
Server Script Log doctype), so a run is in the log as soon as its operation has returned. Pending
rows are also written at process exit, and the queue is bounded: past `MAX_PENDING` rows the
operation that ends waits for the backlog to be written.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
from collections import deque
from typing import Any

import sqlalchemy as sa

from webapp.doctypes import registry
from webapp.documents.naming import make_hash
from webapp.extensions import db
from webapp.services.context import after_end, transaction_memo

log = logging.getLogger(__name__)
MAX_TEXT = 65536
LINGER_S = 0.2
MAX_PENDING = 10_000


class _Writer:
    """Pending rows (`queue()`'s tuples: the engine, then the row's fields) and the idle-time writer
    thread."""

    def __init__(self) -> None:
        self.pending: deque[tuple] = deque()
        self.first_at = 0.0  # time.monotonic() when the oldest pending row was queued
        # Held while rows taken off `pending` are being written: flush() waits for a batch in flight.
        self.write_lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()

    def add(self, row: tuple) -> bool:
        """Queue a row; True when the queue is due to be written."""
        now = time.monotonic()
        if not self.pending:
            self.first_at = now
        self.pending.append(row)
        if self.thread is None:
            self._start()
        return now - self.first_at >= LINGER_S or len(self.pending) >= MAX_PENDING

    def _start(self) -> None:
        with self.start_lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="script-log-writer", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(LINGER_S)
            # Rows this old were left by a process gone quiet: operations write the rest themselves.
            if self.pending and time.monotonic() - self.first_at >= 2 * LINGER_S:
                try:
                    self.write_pending()
                except Exception:  # noqa: BLE001 - the writer must outlive any error
                    log.exception("Server Script Log writer failed")

    def write_pending(self, wait: bool = True) -> None:
        """Write every pending row; with wait=False, leave them to a write already in progress."""
        if not self.write_lock.acquire(blocking=wait):
            return
        try:
            batch: list[tuple] = []
            while self.pending:
                batch.append(self.pending.popleft())
            if batch:
                _write(batch)
        finally:
            self.write_lock.release()


_writer = _Writer()


def _after_fork_in_child() -> None:
    # The parent writes its own pending rows; the child starts empty, with its own thread and locks.
    global _writer
    _writer = _Writer()


os.register_at_fork(after_in_child=_after_fork_in_child)


def record(*, server_script: str, script_type: str, trigger: str, user: str, started: dt.datetime | float,
           duration_ms: float, status: str, output: str, error: str) -> None:
    """Queue the log row of one run. `started` is a datetime or a time.time() value; the row itself
    is built when the batch is written."""
    queue((current_engine(), server_script, script_type, trigger, user, started, duration_ms, status, output,
           error))


def queue(row: tuple) -> None:
    """record() with the row as one tuple, in record()'s order after the engine: for the run path,
    which logs every script run (one tuple per row, no keyword matching)."""
    if _writer.add(row):
        _write_when_done()


def current_engine() -> sa.Engine:
    """The current app's engine (looked up once per transaction: a script run is short)."""
    memo = transaction_memo()
    if memo is None:
        return db.engine
    engine = memo.get("log_engine")
    if engine is None:
        engine = memo["log_engine"] = db.engine
    return engine


# The row's columns, in the order _row() gives its values.
COLUMNS = ("name", "creation", "modified", "modified_by", "owner", "docstatus", "idx", "server_script", "script_type",
           "trigger", "user", "started", "duration_ms", "status", "output", "error")
_SERVER_SCRIPT, _TRIGGER = COLUMNS.index("server_script"), COLUMNS.index("trigger")


def _row(row: tuple, name: str, datetime_as_text: bool) -> tuple:
    """The values of one row in COLUMNS order. On SQLite a DATETIME is text in SQLAlchemy's format
    (what its bind processor would give, at a fraction of the cost); elsewhere the driver takes the
    datetime itself."""
    _engine, server_script, script_type, trigger, user, started, duration_ms, status, output, error = row
    if not isinstance(started, dt.datetime):
        started = dt.datetime.fromtimestamp(started)
    when: Any = started.isoformat(" ", "microseconds") if datetime_as_text else started
    return (name, when, when, user, user, 0, 0, server_script, script_type, trigger[:140], user, when,
            round(duration_ms, 3), status, output[:MAX_TEXT], error[:MAX_TEXT])


def _write_when_done() -> None:
    """The queue is due: this operation writes it once its transaction is over."""
    memo = transaction_memo()
    if memo is not None:
        if memo.get("log_write_due"):
            return
        memo["log_write_due"] = True
    after_end(_write_due)


def _write_due() -> None:
    writer = _writer
    # Another thread writing the queue right now takes these rows too; over the bound, wait for it.
    writer.write_pending(wait=len(writer.pending) >= MAX_PENDING)


def flush() -> None:
    """Write every pending row now (and wait for a batch another thread has in flight).

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
        _table = registry.table(registry.get("Server Script Log"))
    return _table


class _Statement:
    """The log INSERT, written once per database dialect in the driver's own paramstyle: a batch goes
    straight to the driver as tuples (SQLAlchemy's per-row parameter handling, datetime formatting
    above all, cost several times the insert itself).

    A chunk of rows is ONE multi-row INSERT: the driver's executemany releases and retakes the GIL
    for every row, and each time the request thread is waiting for it, so a batch written row by row
    slows every request running meanwhile."""

    CHUNK = 50  # rows per INSERT: 16 columns x 50 stays under SQLite's 999-variable floor

    def __init__(self, dialect: sa.Dialect) -> None:
        t = _log_table()
        if {c.name for c in t.columns} != set(COLUMNS):
            raise RuntimeError(f"the Server Script Log table has columns {sorted(c.name for c in t.columns)}, "
                               f"the log writer writes {sorted(COLUMNS)}")
        marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}
        if dialect.paramstyle not in marks:
            raise RuntimeError(f"the log writer does not know the {dialect.paramstyle!r} paramstyle")
        quote = dialect.identifier_preparer
        self.head = (f"INSERT INTO {quote.format_table(t)} ({', '.join(quote.quote(c) for c in COLUMNS)}) "
                     f"VALUES ")
        self.group = "(" + ", ".join([marks[dialect.paramstyle]] * len(COLUMNS)) + ")"
        # SQLAlchemy stores SQLite DATETIMEs as text; the other drivers bind a datetime themselves.
        self.datetime_as_text = dialect.name == "sqlite"

    def run(self, conn: sa.Connection, rows: list[tuple]) -> None:
        for start in range(0, len(rows), self.CHUNK):
            chunk = rows[start:start + self.CHUNK]
            params = [value for row in chunk for value in row]
            conn.exec_driver_sql(self.head + ", ".join([self.group] * len(chunk)), tuple(params))


_statements: dict[str, _Statement] = {}


def _statement(engine: sa.Engine) -> _Statement:
    statement = _statements.get(engine.dialect.name)
    if statement is None:
        statement = _statements[engine.dialect.name] = _Statement(engine.dialect)
    return statement


def _insert(engine: sa.Engine, rows: list[tuple]) -> None:
    with engine.begin() as conn:
        _statement(engine).run(conn, rows)


def _write(batch: list[tuple]) -> None:
    """One transaction per engine; when it fails, each row on its own, so one bad row (or a brief
    outage) loses no other row. A row that cannot be written is logged and dropped."""
    by_engine: dict[sa.Engine, list[tuple]] = {}
    names = os.urandom(5 * len(batch)).hex()  # one 10-character hash name per row, as make_hash() gives
    for i, row in enumerate(batch):
        engine = row[0]
        try:
            values = _row(row, names[10 * i:10 * i + 10], _statement(engine).datetime_as_text)
        except Exception:  # noqa: BLE001 - a malformed row is dropped, never the batch
            log.exception("malformed Server Script Log row %r", row[1:4])
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
            values = (make_hash(), *values[1:])  # in case the batch failed on a name already taken
            try:
                _insert(engine, [values])
            except Exception:  # noqa: BLE001 - a log that cannot be written must not break anything
                log.exception("could not write the Server Script Log row of %s (%s)", values[_SERVER_SCRIPT],
                              values[_TRIGGER])
