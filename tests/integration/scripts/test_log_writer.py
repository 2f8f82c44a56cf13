"""The execution log's batch writer: rows reach the table after a flush, a read in this process
flushes first, rows outlive a rolled-back operation, a database error loses no other row, a due
queue is written by the operation that ends, an idle process's rows by the writer thread, the
backlog is bounded, and pending rows are written when the process exits."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from webapp.runtime import logs as script_logs

pytestmark = pytest.mark.usefixtures("enable_scripts")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture
def no_writer_thread(monkeypatch):
    """A fresh writer whose thread never starts and whose queue is never due: rows are written only
    by a flush."""
    monkeypatch.setattr(script_logs, "_writer", script_logs._Writer())
    monkeypatch.setattr(script_logs._Writer, "_start", lambda self: None)
    monkeypatch.setattr(script_logs, "LINGER_S", 3600)


def _stored_rows(app, **filters) -> list[dict]:
    """Log rows straight from the table (no flush on the way)."""
    from webapp.extensions import db

    with app.app_context():
        t = script_logs._log_table()
        query = sa.select(t).where(*[t.c[k] == v for k, v in filters.items()]).order_by(t.c.started)
        rows = [dict(r._mapping) for r in db.session.execute(query)]
        db.session.rollback()
        return rows


def _insert_todo(app, description: str = "x", user: str = "Administrator"):
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.app_context(), acting_as(user):
        return documents.insert(documents.new_doc("ToDo", {"description": description}))


def test_rows_are_written_by_flush(app, make_script, no_writer_thread):
    make_script("stamp", "log('ran')", reference_doctype="ToDo", doctype_event="Before Save")
    _insert_todo(app)
    _insert_todo(app)
    assert _stored_rows(app, server_script="stamp") == []  # no thread: still pending
    script_logs.flush()
    rows = _stored_rows(app, server_script="stamp")
    assert [(r["status"], r["output"], r["user"]) for r in rows] == [("Success", "ran", "Administrator")] * 2
    assert len({r["name"] for r in rows}) == 2


def test_reading_the_log_in_this_process_flushes_first(app, client, make_script, logs, no_writer_thread):
    make_script("api stamp", "frappe.response['message'] = 1", script_type="API", api_method="stamp",
                allow_guest=1)
    assert client.get("/api/method/stamp").get_json() == {"message": 1}
    assert [r["trigger"] for r in logs(server_script="api stamp")] == ["stamp GET"]


def test_rows_are_kept_when_the_operation_rolls_back(app, make_script, no_writer_thread):
    from webapp.errors import ValidationError

    make_script("fine", "doc.description = 'checked'", reference_doctype="ToDo", doctype_event="Before Save")
    make_script("zz refuse", "frappe.throw('no')", reference_doctype="ToDo", doctype_event="Before Save")
    with pytest.raises(ValidationError):
        _insert_todo(app)
    script_logs.flush()
    assert _stored_rows(app, server_script="fine")[0]["status"] == "Success"
    assert _stored_rows(app, server_script="zz refuse")[0]["status"] == "Error"
    from webapp.extensions import db

    with app.app_context():
        assert db.session.execute(sa.text('select count(*) from "tabToDo"')).scalar_one() == 0


def test_a_failed_batch_is_retried_row_by_row(app, make_script, monkeypatch, no_writer_thread):
    make_script("stamp", "pass", reference_doctype="ToDo", doctype_event="Before Save")
    for i in range(3):
        _insert_todo(app, f"todo {i}")
    real_insert, calls = script_logs._insert, []

    def fail_first(engine, rows):
        calls.append(len(rows))
        if len(calls) == 1:
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        real_insert(engine, rows)

    monkeypatch.setattr(script_logs, "_insert", fail_first)
    script_logs.flush()
    assert calls == [3, 1, 1, 1]
    assert len(_stored_rows(app, server_script="stamp")) == 3


def test_a_row_the_database_refuses_loses_no_other_row(app, make_script, no_writer_thread, monkeypatch):
    errors: list[str] = []
    monkeypatch.setattr(script_logs.log, "exception", lambda msg, *args: errors.append(msg % args))
    make_script("stamp", "pass", reference_doctype="ToDo", doctype_event="Before Save")
    _insert_todo(app, "before")
    with app.app_context():
        from webapp.extensions import db

        # A value the database cannot store, as a row's datetime.
        script_logs._writer.add((db.engine, "bad", "API", "t", "u", dt.datetime.now(), 1.0, object(), "", ""))
    _insert_todo(app, "after")
    script_logs.flush()
    assert len(_stored_rows(app, server_script="stamp")) == 2
    assert _stored_rows(app, server_script="bad") == []
    assert not script_logs._writer.pending
    assert errors == ["could not write the Server Script Log row of bad (t)"]


def _wait_until_written(app, server_script: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while True:
        rows = _stored_rows(app, server_script=server_script)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.02)


def test_the_writer_thread_survives_an_error(app, make_script, monkeypatch):
    monkeypatch.setattr(script_logs, "_writer", script_logs._Writer())
    make_script("stamp", "pass", reference_doctype="ToDo", doctype_event="Before Save")
    real_write, failures = script_logs._write, []

    def fail_once(batch):
        if not failures:
            failures.append(len(batch))
            raise RuntimeError("unexpected")
        real_write(batch)

    monkeypatch.setattr(script_logs, "_write", fail_once)
    _insert_todo(app, "lost")
    deadline = time.monotonic() + 20
    while not failures and time.monotonic() < deadline:
        time.sleep(0.02)
    assert failures == [1]
    _insert_todo(app, "kept")
    # The failed batch is lost; the next one is written by the thread itself (no flush here).
    assert len(_wait_until_written(app, "stamp", 1)) == 1
    assert script_logs._writer.thread is not None and script_logs._writer.thread.is_alive()


def test_a_due_queue_is_written_by_the_operation_that_ends(app, make_script, monkeypatch, no_writer_thread):
    make_script("stamp", "pass", reference_doctype="ToDo", doctype_event="Before Save")
    _insert_todo(app, "queued")
    assert len(script_logs._writer.pending) == 1  # not due yet: waits for more rows
    monkeypatch.setattr(script_logs, "LINGER_S", 0)
    _insert_todo(app, "due")
    assert not script_logs._writer.pending
    assert len(_stored_rows(app, server_script="stamp")) == 2


def test_the_backlog_is_bounded(app, make_script, monkeypatch, no_writer_thread):
    monkeypatch.setattr(script_logs, "MAX_PENDING", 1)
    make_script("a", "pass", reference_doctype="ToDo", doctype_event="Before Save")
    make_script("b", "pass", reference_doctype="ToDo", doctype_event="Before Save")
    _insert_todo(app)
    # Over the bound: the operation wrote the backlog itself once its transaction was over.
    assert not script_logs._writer.pending
    assert len(_stored_rows(app, server_script="a")) == len(_stored_rows(app, server_script="b")) == 1


def test_pending_rows_are_written_at_process_exit(app, make_script, instance_dir):
    make_script("stamp", "pass", reference_doctype="ToDo", doctype_event="Before Save")
    code = (
        "from webapp import create_app\n"
        "from webapp.runtime import logs\n"
        "from webapp.services import documents\n"
        "from webapp.services.context import acting_as\n"
        "logs.LINGER_S = 3600\n"
        "app = create_app()\n"
        "with app.app_context(), acting_as('Administrator'):\n"
        "    documents.insert(documents.new_doc('ToDo', {'description': 'from another process'}))\n"
    )
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=instance_dir, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               PYTHONPATH=ROOT)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    assert [r["status"] for r in _stored_rows(app, server_script="stamp")] == ["Success"]


def test_a_script_reads_the_log_after_writing_in_its_transaction(app, make_script, no_writer_thread):
    # On SQLite the operation holds the write lock here: the read must not wait on a flush that needs it.
    make_script("stamp", "pass", reference_doctype="Note", doctype_event="Before Save")
    make_script("reader", "frappe.get_doc({'doctype': 'Note', 'title': 'n'}).insert()\n"
                          "doc.description = str(len(frappe.get_all('Server Script Log')))",
                reference_doctype="ToDo", doctype_event="Before Save")
    doc = _insert_todo(app)
    assert doc.description.isdigit()
    script_logs.flush()
    assert len(_stored_rows(app, server_script="stamp")) == 1
    assert len(_stored_rows(app, server_script="reader")) == 1


@pytest.mark.parametrize("when", [dt.datetime(2026, 1, 2, 3, 4, 5, 678901), dt.datetime(2026, 12, 31, 23, 59, 59),
                                  dt.datetime(1999, 7, 8, 0, 0, 0, 1)])
def test_rows_carry_what_sqlalchemy_would_bind(app, when):
    """The writer skips SQLAlchemy's per-row processing: its values must be what SQLAlchemy would
    have bound (on SQLite a DATETIME is text in SQLAlchemy's own format; elsewhere the datetime)."""
    from webapp.extensions import db

    with app.app_context():
        dialect = db.engine.dialect
        t = script_logs._log_table()
        statement = script_logs._statement(db.engine)
        values = script_logs._row((db.engine, "s", "API", "t" * 200, "u", when, 1.23456, "Success", "out", ""),
                                  "abc", statement.datetime_as_text)
        for column, value in zip(script_logs.COLUMNS, values, strict=True):
            process = t.c[column].type.dialect_impl(dialect).bind_processor(dialect)
            expected = {"name": "abc", "started": when, "creation": when, "modified": when, "duration_ms": 1.235,
                        "trigger": "t" * 140}.get(column, value)
            assert value == (process(expected) if process else expected), column


def test_rows_keep_their_started_time_to_the_microsecond(app, make_script, no_writer_thread):
    make_script("stamp", "pass", reference_doctype="ToDo", doctype_event="Before Save")
    before = dt.datetime.now()
    _insert_todo(app)
    script_logs.flush()
    row = _stored_rows(app, server_script="stamp")[0]
    assert before <= row["started"] <= dt.datetime.now()
    assert row["creation"] == row["modified"] == row["started"]
