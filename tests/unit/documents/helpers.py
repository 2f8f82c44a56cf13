"""Shared by the documents unit tests and the REST/lifecycle integration tests (imported, not collected)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


@pytest.fixture(autouse=True)
def clean_doctype_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every `tab<DocType>` table after the test.

    The shared `_clean` fixture empties the ORM tables (tabSeries among them) but not the doctype
    tables, which live on the registry's own MetaData: without this a Task row would outlive the
    series counter that named it.
    """
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from webapp.doctypes import registry
    from webapp.extensions import db

    with app.app_context():
        db.session.rollback()
        existing = set(sa.inspect(db.engine).get_table_names())
        for meta in registry.all_doctypes():
            if meta.name in ("User", "Has Role") or meta.table_name not in existing:
                continue  # ORM-owned tables are cleaned by the shared fixture
            db.session.execute(registry.table(meta).delete())
        db.session.commit()


@pytest.fixture
def recorder() -> Iterator[list[tuple[str, str]]]:
    """Record (event, doctype) for every lifecycle event fired during the test."""
    from webapp.runtime import events

    seen: list[tuple[str, str]] = []

    def listen(doc, event: str) -> None:
        seen.append((event, doc.doctype))

    events.subscribe(listen)
    try:
        yield seen
    finally:
        events.unsubscribe(listen)


@pytest.fixture
def listener():
    """listener(fn) subscribes fn(doc, event) for the rest of the test, and always unsubscribes."""
    from webapp.runtime import events

    added = []

    def add(fn):
        events.subscribe(fn)
        added.append(fn)
        return fn

    yield add
    for fn in added:
        events.unsubscribe(fn)


def assert_error(resp, status: int, exc_type: str, *needles: str) -> str:
    """Frappe's error envelope, exactly; returns the message."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"exc_type", "exception", "_server_messages"}, body
    assert body["exc_type"] == exc_type
    assert body["exception"].startswith(f"{exc_type}: ")
    message = body["exception"][len(exc_type) + 2:]
    msgs = json.loads(body["_server_messages"])
    assert isinstance(msgs, list) and msgs and all(isinstance(m, str) for m in msgs)
    assert json.loads(msgs[-1])["message"] == message
    for needle in needles:
        assert needle.lower() in message.lower(), message
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text and "sqlalchemy" not in text.lower() and "sqlite" not in text.lower()
    return message
