"""Every server and worker sees a doctype defined or changed anywhere on its next request, without a
restart, and without a registry query per request while nothing changes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from webapp.customize import registry_cache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _in_another_process(app, instance_dir, code: str) -> None:
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=instance_dir, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               PYTHONPATH=ROOT)
    prelude = ("from webapp import create_app\nfrom webapp.services import documents\n"
               "from webapp.services.context import acting_as\napp = create_app()\n"
               "with app.app_context(), acting_as('Administrator'):\n")
    body = "".join(f"    {line}\n" for line in code.strip().splitlines())
    subprocess.run([sys.executable, "-c", prelude + body], cwd=ROOT, env=env, check=True, timeout=120)


def test_a_doctype_defined_by_another_process_is_seen_at_once(app, client, admin_headers, instance_dir,
                                                              monkeypatch):
    monkeypatch.setattr(registry_cache.WATCH, "recheck_s", 3600)  # not thanks to the safety net
    assert client.get("/api/resource/Parcel", headers=admin_headers).status_code == 404  # the registry is warm
    assert client.get("/api/resource/ToDo", headers=admin_headers).status_code == 200
    _in_another_process(app, instance_dir, """
documents.create("DocType", {"name": "Parcel", "fields": [{"label": "Weight", "fieldtype": "Float"}],
                             "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}]})
documents.create("Custom Field", {"dt": "ToDo", "label": "Parcel", "fieldtype": "Link", "options": "Parcel"})
""")
    r = client.post("/api/resource/Parcel", json={"weight": 2.5}, headers=admin_headers)
    assert r.status_code == 200, r.get_json()
    parcel = r.get_json()["data"]["name"]
    r = client.post("/api/resource/ToDo", json={"description": "ship", "parcel": parcel}, headers=admin_headers)
    assert r.get_json()["data"]["parcel"] == parcel
    _in_another_process(app, instance_dir, """
doc = documents.get_doc("DocType", "Parcel")
doc.append("fields", {"label": "Fragile", "fieldtype": "Check"})
documents.save(doc)
""")
    r = client.put(f"/api/resource/Parcel/{parcel}", json={"fragile": 1}, headers=admin_headers)
    assert r.get_json()["data"]["fragile"] == 1


@pytest.fixture
def registry_queries(app):
    from webapp.extensions import db

    seen: list[str] = []

    def count(conn, cursor, statement, parameters, *args):
        if "__script_version" in statement and registry_cache.VERSION_KEY in str(parameters):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", count)


def test_no_registry_query_per_request_while_nothing_changes(app, client, admin_headers, make_doctype,
                                                            monkeypatch, registry_queries):
    monkeypatch.setattr(registry_cache.WATCH, "recheck_s", 3600)
    make_doctype("Crate", [{"label": "Label", "fieldtype": "Data"}])
    client.get("/api/resource/Crate", headers=admin_headers)
    registry_queries.clear()
    for _ in range(3):
        assert client.post("/api/resource/Crate", json={"label": "x"}, headers=admin_headers).status_code == 200
        assert client.get("/api/resource/Crate", headers=admin_headers).status_code == 200
    with app.app_context():
        signal = registry_cache.WATCH.signal()
    if signal is None:  # a database server without Redis: the version is read once per request
        assert len(registry_queries) == 6
    else:
        assert registry_queries == []


def test_a_change_is_seen_by_the_rest_of_its_own_transaction_only(app):
    from webapp.doctypes import registry
    from webapp.services import documents
    from webapp.services.context import acting_as, transaction

    class Abort(Exception):
        pass

    with app.app_context(), acting_as("Administrator"), pytest.raises(Abort):
        with transaction():
            documents.create("DocType", {"name": "Draft Type", "fields": [{"label": "A", "fieldtype": "Data"}]})
            assert registry.get("Draft Type") is not None
            documents.insert(documents.new_doc("Draft Type", {"a": "seen"}))
            raise Abort
    with app.app_context():
        assert registry.get("Draft Type") is None
        from webapp.extensions import db

        assert not sa.inspect(db.engine).has_table("tabDraft Type")
