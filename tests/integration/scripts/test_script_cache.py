"""The per-process script map: a change made anywhere is seen by the next operation, without a
version query per operation while nothing changes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from webapp.runtime import cache
from webapp.services import versioned

pytestmark = pytest.mark.usefixtures("enable_scripts")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _insert_todo(app, description: str = "x"):
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.app_context(), acting_as("Administrator"):
        return documents.insert(documents.new_doc("ToDo", {"description": description}))


def _set_description_script(text: str) -> str:
    return f"doc.description = {text!r}"


def test_a_change_made_by_another_process_is_seen_at_once(app, make_script, instance_dir, monkeypatch):
    monkeypatch.setattr(cache.WATCH, "recheck_s", 3600)  # not thanks to the safety net
    make_script("describe", _set_description_script("v1"), reference_doctype="ToDo", doctype_event="Before Save")
    assert _insert_todo(app).description == "v1"  # cached here now
    code = (
        "from webapp import create_app\n"
        "from webapp.services import documents\n"
        "from webapp.services.context import acting_as\n"
        "app = create_app()\n"
        "with app.app_context(), acting_as('Administrator'):\n"
        "    doc = documents.get_doc('Server Script', 'describe')\n"
        f"    doc.script = {_set_description_script('v2')!r}\n"
        "    documents.save(doc)\n"
    )
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=instance_dir, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               PYTHONPATH=ROOT)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    assert _insert_todo(app).description == "v2"


def test_a_change_is_seen_by_the_rest_of_its_own_transaction_only(app, make_script):
    from webapp.services import documents
    from webapp.services.context import acting_as, transaction

    class Abort(Exception):
        pass

    with app.app_context(), acting_as("Administrator"), pytest.raises(Abort):
        with transaction():
            documents.insert(documents.new_doc("Server Script", {
                "name": "uncommitted", "script_type": "DocType Event", "reference_doctype": "ToDo",
                "doctype_event": "Before Save", "script": _set_description_script("seen")}))
            assert documents.insert(documents.new_doc("ToDo", {"description": "x"})).description == "seen"
            raise Abort
    assert _insert_todo(app).description == "x"


@pytest.fixture
def version_queries(app, monkeypatch):
    from webapp.extensions import db

    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "__script_version" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", count)


def test_no_version_query_while_nothing_changes(app, make_script, monkeypatch, version_queries):
    monkeypatch.setattr(cache.WATCH, "recheck_s", 3600)
    make_script("describe", _set_description_script("v1"), reference_doctype="ToDo", doctype_event="Before Save")
    _insert_todo(app)
    version_queries.clear()
    for _ in range(3):
        assert _insert_todo(app).description == "v1"
    with app.app_context():
        signal = cache.WATCH.signal()
    if signal is None:  # a database server without Redis: the version is read every operation
        assert len(version_queries) == 3
    else:
        assert version_queries == []


def test_a_version_changed_behind_the_signal_is_seen_after_the_recheck_interval(app, make_script, monkeypatch):
    """A restored backup or a process that died between its commit and the stamp: the safety net."""
    from webapp.extensions import db
    from webapp.models.script_version import ScriptVersion

    make_script("describe", _set_description_script("v1"), reference_doctype="ToDo", doctype_event="Before Save")
    assert _insert_todo(app).description == "v1"
    with app.app_context():
        db.session.execute(sa.text('update "tabServer Script" set script = :s where name = :n'),
                           {"s": _set_description_script("v2"), "n": "describe"})
        db.session.execute(sa.update(ScriptVersion.__table__).values(version=12345))
        db.session.commit()
    monkeypatch.setattr(cache.WATCH, "recheck_s", 0)
    assert _insert_todo(app).description == "v2"


def test_two_apps_on_two_databases_keep_their_own_scripts(app, make_script, tmp_path, monkeypatch):
    from webapp import create_app
    from webapp.cli import init_db

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}"})
    with other.app_context():
        init_db()
    make_script("describe", _set_description_script("first app"), reference_doctype="ToDo",
                doctype_event="Before Save")
    assert _insert_todo(app).description == "first app"
    assert _insert_todo(other).description == "x"
    loads = []
    real_load = cache._load
    monkeypatch.setattr(cache, "_load", lambda version: loads.append(version) or real_load(version))
    for _ in range(2):  # each app keeps its own map: using one does not throw away the other's
        assert _insert_todo(app).description == "first app"
        assert _insert_todo(other).description == "x"
    assert loads == []
    with other.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def test_a_change_is_seen_at_once_here_even_when_the_stamp_cannot_move(app, client, make_script, admin_headers,
                                                                      monkeypatch):
    class StuckStamp:  # a signal whose stamp never moves (a full disk, Redis down)
        def read(self):
            return ("stuck", b"")

        def changed(self):
            pass

    monkeypatch.setattr(cache.WATCH, "recheck_s", 3600)
    make_script("describe", _set_description_script("v1"), reference_doctype="ToDo", doctype_event="Before Save")
    with app.app_context():
        monkeypatch.setattr(cache.WATCH.state(), "signal", StuckStamp())
    assert _insert_todo(app).description == "v1"
    r = client.put("/api/resource/Server Script/describe", json={"script": _set_description_script("v2")},
                   headers=admin_headers)
    assert r.status_code == 200, r.get_json()
    assert _insert_todo(app).description == "v2"


def test_a_stamp_that_cannot_be_written_fails_nothing(tmp_path, monkeypatch):
    signal = versioned.FileSignal(str(tmp_path / "db.sqlite3.script-version"))

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(versioned.os, "pwrite", full_disk)
    signal.changed()  # logged, not raised: the script change has committed already
    monkeypatch.setattr(versioned.os, "pread", full_disk)
    assert signal.read() is None  # the caller reads the database version instead
