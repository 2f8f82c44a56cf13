"""Shared by the documents unit tests and the REST/lifecycle integration tests (imported, not collected)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest


@pytest.fixture
def recorder(app) -> Iterator[list[tuple[str, str]]]:
    """Record (event, doctype) for every lifecycle event fired during the test."""
    seen: list[tuple[str, str]] = []

    def listen(doc, event: str) -> None:
        seen.append((event, doc.doctype))

    listeners = app.extensions["hooks"].doc_listeners
    listeners.append(listen)
    try:
        yield seen
    finally:
        listeners.remove(listen)


@pytest.fixture
def listener(app):
    """listener(fn) adds fn(doc, event) to the app's document listeners for the rest of the test;
    listener.remove(fn) takes it off earlier."""
    listeners = app.extensions["hooks"].doc_listeners
    added = []

    def add(fn):
        listeners.append(fn)
        added.append(fn)
        return fn

    def remove(fn):
        listeners.remove(fn)
        added.remove(fn)

    add.remove = remove
    yield add
    for fn in added:
        listeners.remove(fn)


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


class Api:
    """A test client speaking as one user, by token or by session cookie."""

    def __init__(self, client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def _call(self, method: str, url: str, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return getattr(self.client, method)(url, headers=headers, **kw)

    def get(self, url: str, **kw):
        return self._call("get", url, **kw)

    def post(self, url: str, **kw):
        return self._call("post", url, **kw)

    def put(self, url: str, **kw):
        return self._call("put", url, **kw)

    def delete(self, url: str, **kw):
        return self._call("delete", url, **kw)


@pytest.fixture(params=["token", "session"])
def api_as(request, app, make_user, api_keys):
    """api_as(email, roles) -> Api for that user, authenticated by token or by an API-login session."""

    def make(email: str = "Administrator", roles: list[str] | None = None) -> Api:
        if request.param == "token":
            return Api(app.test_client(), api_keys(email, roles))
        client = app.test_client()
        if email == "Administrator":
            with client.session_transaction() as sess:
                sess["_user_id"] = email
                sess["_fresh"] = True
                sess["login_via"] = "api"
        else:
            make_user(email, roles=roles)
            r = client.post("/api/method/login", json={"usr": email, "pwd": "Password-1"})
            assert r.status_code == 200, r.get_data(as_text=True)
        return Api(client)

    return make


def seed(app, doctype: str, *docs: dict, user: str = "Administrator") -> list[str]:
    """Insert documents directly through the service; returns their names."""
    from webapp.services import documents
    from webapp.services.context import acting_as

    names = []
    with app.app_context(), acting_as(user):
        for values in docs:
            names.append(documents.insert(documents.new_doc(doctype, values)).name)
    return names
