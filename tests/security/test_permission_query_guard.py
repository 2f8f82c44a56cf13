"""The database guard a Permission Query's list runs under, tried directly: even SQL text that got
past the condition check cannot write, run a second statement or end the transaction, and the
connection is back to normal (writable, own role) afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from webapp.errors import PermissionError, ValidationError
from webapp.services import readonly_sql as sql

STATEMENTS = [
    pytest.param('SELECT name FROM "tabToDo"; DELETE FROM "tabToDo"', id="second-statement"),
    pytest.param('SELECT name FROM "tabToDo"; COMMIT; DELETE FROM "tabToDo"', id="commit-then-delete"),
    pytest.param('DELETE FROM "tabToDo"', id="delete"),
    pytest.param('UPDATE "tabToDo" SET description = \'x\'', id="update"),
    pytest.param('SELECT name FROM "tabToDo" WHERE name IN (SELECT "user" FROM "__Auth")', id="credentials"),
]


@pytest.fixture
def three_todos(db):
    from webapp.services import documents
    from webapp.services.context import acting_as

    with acting_as("Administrator"):
        for i in range(3):
            documents.insert(documents.new_doc("ToDo", {"description": f"todo {i}"}))
    db.session.commit()


def _count(db) -> int:
    return db.session.execute(text('SELECT count(*) FROM "tabToDo"')).scalar()


def _insert(db, name: str) -> None:
    import datetime as dt

    from webapp.doctypes import registry

    now = dt.datetime.now()
    db.session.execute(registry.table(registry.get("ToDo")).insert().values(
        name=name, description=name, status="Open", priority="Medium", docstatus=0, idx=0, owner="Administrator",
        modified_by="Administrator", creation=now, modified=now))


@pytest.mark.parametrize("statement", STATEMENTS)
def test_guarded_reads_refuse_anything_but_reading(db, three_todos, statement):
    # Refused by the guard (PermissionError, as Frappe answers a refused query) or by the database.
    with pytest.raises((PermissionError, ValidationError)) as caught:
        with sql.guarded_reads("The test list", 5.0) as run:
            run(text(statement))
    assert str(caught.value).startswith("The test list")
    db.session.rollback()
    assert _count(db) == 3
    # Back to normal on this connection: it writes, as the app's own role.
    _insert(db, "after")
    assert _count(db) == 4
    if db.engine.dialect.name == "postgresql":
        assert db.session.execute(text("SELECT current_user")).scalar() != sql.READER_ROLE
        assert db.session.execute(text("SHOW transaction_read_only")).scalar() == "off"
    else:
        assert db.session.execute(text("PRAGMA query_only")).scalar() == 0
    db.session.rollback()


def test_guarded_reads_read_the_operations_own_rows(db, three_todos):
    _insert(db, "fresh")
    with sql.guarded_reads("The test list", 5.0) as run:
        rows = run(text('SELECT description FROM "tabToDo" ORDER BY description'))
    assert [r[0] for r in rows] == ["fresh", "todo 0", "todo 1", "todo 2"]
    db.session.rollback()


def test_guarded_reads_stop_a_runaway_condition(db, three_todos):
    runaway = ("SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
               "SELECT x FROM c) AS t")
    with pytest.raises(Exception) as caught:  # noqa: PT011 - ScriptTimeoutError (a sandbox error)
        with sql.guarded_reads("The test list", 0.3) as run:
            run(text(runaway))
    assert "time limit" in str(caught.value)
    db.session.rollback()
    assert _count(db) == 3
