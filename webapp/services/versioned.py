"""Something every process caches (the script map, the doctype registry), rebuilt when any process
changes it: a version in the database plus a cheap change stamp.

The version in the database (a row of `__script_version`, one per kind) is the truth; it is written
in the same transaction as the change, as a random token (a restored backup or a reset table can
never bring back a value some process cached for different contents). Reading it costs a query, so
a cheap change signal says when it must be read again: a stamp in a file beside the SQLite
database (every process using that file is on this machine; one pread), or a Redis key when
`REDIS_URL` is set and the database is a server. A change writes a new stamp after its transaction
ends; a reader reads the stamp before the version, so a reader that sees the new stamp reads the
committed version. As a safety net (a process that died between commit and stamp, a restored
backup) the version is re-read at least every `recheck_s` anyway. Without either signal (a
database server and no Redis) the version is read once per request or transaction.

Within one request, or one transaction outside a request, the value is checked once. A transaction
that changed it sees its own (uncommitted) value, built for it alone; everyone else keeps the
committed one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from flask.globals import _cv_app, _cv_request  # the contexts themselves (see Versioned.current)

from webapp.extensions import db
from webapp.models.script_version import ScriptVersion
from webapp.services.context import after_end, transaction_memo

log = logging.getLogger(__name__)
RECHECK_S = 1.0


class FileSignal:
    """A 16-byte stamp in a file beside the SQLite database (one pread or pwrite, about 1 us)."""

    def __init__(self, path: str) -> None:
        self.key = path
        try:
            self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            log.warning("cannot open %s: the version is read from the database every time", path)
            self.fd = None

    def read(self) -> Any:
        if self.fd is None:
            return None
        try:
            return (self.key, os.pread(self.fd, 16, 0))
        except OSError:  # no stamp: the caller reads the database version
            return None

    def changed(self) -> None:
        if self.fd is None:
            return
        try:
            os.pwrite(self.fd, secrets.token_bytes(16), 0)
        except OSError:  # readers fall back to the re-check interval
            log.warning("could not move the change stamp in %s", self.key, exc_info=True)


class LocalSignal:
    """For an in-memory SQLite database, which only this process can see."""

    def __init__(self) -> None:
        self.key = object()
        self.value = 0

    def read(self) -> Any:
        return (self.key, self.value)

    def changed(self) -> None:
        self.value += 1


class RedisSignal:
    """A Redis key per database; when Redis cannot be reached, the version is read from the database."""

    def __init__(self, redis_url: str, database_url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.key = prefix + hashlib.sha256(database_url.encode()).hexdigest()[:16]

    def read(self) -> Any:
        try:
            return (self.key, self.client.get(self.key))
        except Exception:  # noqa: BLE001 - no stamp: the caller reads the database version
            return None

    def changed(self) -> None:
        try:
            self.client.set(self.key, secrets.token_hex(8))
        except Exception:  # noqa: BLE001 - readers fall back to the re-check interval
            log.warning("could not move the change stamp %s in Redis", self.key, exc_info=True)


Signal = FileSignal | LocalSignal | RedisSignal


def make_signal(config: Any, file_suffix: str, redis_prefix: str) -> Signal | None:
    """The change signal of the current app's database (None: read the version every time)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or path.startswith("file:") or url.query.get("mode") == "memory":
            return LocalSignal()
        return FileSignal(os.path.abspath(path) + file_suffix)
    if config.get("REDIS_URL"):
        return RedisSignal(config["REDIS_URL"], url.render_as_string(hide_password=True), redis_prefix)
    return None


def read_version(key: str) -> int:
    value = db.session.execute(
        sa.select(ScriptVersion.version).where(ScriptVersion.name == key)
    ).scalar_one_or_none()
    return int(value or 0)


def write_version(key: str) -> None:
    """A new random token for `key`, in the current transaction."""
    t = ScriptVersion.__table__
    token = secrets.randbelow(2**31 - 2) + 1
    updated = db.session.execute(sa.update(t).where(t.c.name == key).values(version=token)).rowcount
    if not updated:
        db.session.execute(sa.insert(t).values(name=key, version=token))


@dataclass
class _Held:
    """A cached value with the version it was built from, the stamp read just before that version
    was last confirmed, and when (time.monotonic())."""

    value: Any
    version: int
    stamp: Any = None
    checked: float = 0.0


class _AppState:
    """Per app (so per database): its change signal and the value it holds now."""

    def __init__(self, signal: Signal | None) -> None:
        self.signal = signal
        self.held: _Held | None = None
        self.lock = threading.Lock()

    def changed(self) -> None:
        """The value changed (and that transaction is over): this process re-reads the version at
        its next check even if the stamp cannot be moved; the stamp tells the other processes."""
        held = self.held
        if held is not None:
            held.checked = float("-inf")
        if self.signal is not None:
            self.signal.changed()


class Versioned:
    """One kind of cached value: `key` names its version row, `load(version)` builds it from the
    database (in the caller's transaction)."""

    def __init__(self, key: str, load: Callable[[int], Any], file_suffix: str, redis_prefix: str) -> None:
        self.key = key
        self.load = load
        self.file_suffix = file_suffix
        self.redis_prefix = redis_prefix
        self.recheck_s = RECHECK_S
        self._memo_key = f"versioned:{key}"
        self._changed_key = f"versioned:{key}:changed"
        self._g_key = f"_versioned_{key}"
        self._ext_key = f"versioned:{key}"
        self._create_lock = threading.Lock()

    def state(self) -> _AppState:
        ext = current_app.extensions
        state = ext.get(self._ext_key)
        if state is None:
            with self._create_lock:
                state = ext.get(self._ext_key)
                if state is None:
                    signal = make_signal(current_app.config, self.file_suffix, self.redis_prefix)
                    state = ext[self._ext_key] = _AppState(signal)
        return state

    def signal(self) -> Signal | None:
        return self.state().signal

    def current(self) -> Any:
        """The value, checked once per request or transaction (see the module's docstring)."""
        tx_memo = transaction_memo()
        if tx_memo is not None:
            value = tx_memo.get(self._memo_key)
            if value is not None:
                return value
            if tx_memo.get(self._changed_key):
                # This transaction changed it: its own value, from its uncommitted rows, not shared.
                value = self.load(read_version(self.key))
                tx_memo[self._memo_key] = value
                return value
        # The request's own `g`, without the proxies' hops: this runs on every registry lookup.
        request_g = _cv_app.get().g if _cv_request.get(None) is not None else None
        if request_g is not None:
            value = request_g.__dict__.get(self._g_key)
            if value is not None:
                return value
        value = self._checked()
        if request_g is not None:
            setattr(request_g, self._g_key, value)
        if tx_memo is not None:
            tx_memo[self._memo_key] = value
        return value

    def _checked(self) -> Any:
        state = self.state()
        signal = state.signal
        stamp = signal.read() if signal is not None else None  # before the version: see the docstring
        now = time.monotonic()
        held = state.held
        if held is not None and stamp is not None and held.stamp == stamp and now - held.checked < self.recheck_s:
            return held.value
        version = read_version(self.key)
        if held is None or held.version != version:
            with state.lock:
                held = state.held
                if held is None or held.version != version:
                    held = _Held(self.load(version), version)
                    state.held = held
        held.stamp, held.checked = stamp, now
        return held.value

    def bump(self) -> None:
        """Called inside the transaction that makes the change, so the new version commits with it;
        the change stamp moves when that transaction has ended (every process then re-reads)."""
        write_version(self.key)
        if has_request_context():
            g.pop(self._g_key, None)
        memo = transaction_memo()
        state = self.state()
        if memo is not None:
            memo.pop(self._memo_key, None)
            # The rest of this transaction sees its own (uncommitted) value; nobody else does.
            if not memo.get(self._changed_key):
                memo[self._changed_key] = True
                after_end(state.changed)
        else:
            state.changed()

    def forget(self) -> None:
        """Drop what this request or transaction checked: the next use checks again."""
        memo = transaction_memo()
        if memo is not None:
            memo.pop(self._memo_key, None)
        if has_request_context():
            g.pop(self._g_key, None)

    def reset(self) -> None:
        """Drop the current app's value (tests)."""
        if has_app_context():
            state = current_app.extensions.get(self._ext_key)
            if state is not None:
                state.held = None
