"""The map of enabled scripts, per app (so per database) in each process, rebuilt when the script
version in the database moves.

The version in the database is the truth; reading it costs a query (and a transaction) per
operation, so a cheap change signal says when it must be read again: a stamp in a file beside the
SQLite database (every process using that file is on this machine; one pread), or a Redis key when
`REDIS_URL` is set and the database is a server. A script change writes a new stamp after its
transaction ends; a reader reads the stamp before the version, so a reader that sees the new stamp
reads the committed version. As a safety net (a process that died between commit and stamp, a
restored backup) the version is re-read at least every `RECHECK_S` anyway. Without either signal
(a database server and no Redis) the version is read once per request or transaction.

Compiled code is cached by the sandbox by source hash, so a rebuild recompiles only what changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import redis
import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context

from webapp.doctypes import registry
from webapp.doctypes.events import DOCTYPE_EVENT_MAP
from webapp.extensions import db
from webapp.models.script_version import ScriptVersion
from webapp.sandbox import CompiledScript, ScriptCompileError, compile_script
from webapp.services.context import after_end, transaction_memo

VERSION_KEY = "server_script"
RECHECK_S = 1.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScriptInfo:
    name: str
    script_type: str
    reference_doctype: str | None
    doctype_event: str | None
    api_method: str | None
    allow_guest: bool
    enable_rate_limit: bool
    rate_limit_count: int
    rate_limit_seconds: int
    event_frequency: str | None
    cron_format: str | None
    disabled: bool
    source: str
    compiled: CompiledScript | None
    compile_error: str | None

    @property
    def filename(self) -> str:
        return script_filename(self.name)


@dataclass
class ScriptMap:
    version: int
    events: dict[tuple[str, str], list[ScriptInfo]] = field(default_factory=dict)
    api: dict[str, ScriptInfo] = field(default_factory=dict)
    permission_query: dict[str, list[ScriptInfo]] = field(default_factory=dict)
    scheduler: list[ScriptInfo] = field(default_factory=list)
    by_name: dict[str, ScriptInfo] = field(default_factory=dict)
    # The change stamp read just before `version` was last confirmed, and when (time.monotonic()).
    stamp: Any = None
    checked: float = 0.0


def script_filename(name: str) -> str:
    return f"<Server Script: {name}>"


_lock = threading.Lock()


@dataclass
class _AppCache:
    """Per app (so per database): its change signal and its current map."""

    signal: Any
    map: ScriptMap | None = None

    def changed(self) -> None:
        """Scripts changed (and that transaction is over): this process re-reads the version at its
        next check even if the stamp cannot be moved; the stamp tells the other processes."""
        smap = self.map
        if smap is not None:
            smap.checked = float("-inf")
        if self.signal is not None:
            self.signal.changed()


def _app_cache() -> _AppCache:
    ext = current_app.extensions
    state = ext.get("server_script_cache")
    if state is None:
        with _lock:
            state = ext.get("server_script_cache")
            if state is None:
                state = ext["server_script_cache"] = _AppCache(_make_signal(current_app.config))
    return state


def read_version() -> int:
    value = db.session.execute(
        sa.select(ScriptVersion.version).where(ScriptVersion.name == VERSION_KEY)
    ).scalar_one_or_none()
    return int(value or 0)


def bump_version() -> None:
    """Called inside the transaction that changes a script, so the bump commits with the change;
    the change stamp moves when that transaction has ended (every worker then re-reads the version)."""
    # A random token rather than +1: a restored backup or a reset table can never bring back a value
    # some worker already cached for a different set of scripts.
    t = ScriptVersion.__table__
    token = secrets.randbelow(2**31 - 2) + 1
    updated = db.session.execute(sa.update(t).where(t.c.name == VERSION_KEY).values(version=token)).rowcount
    if not updated:
        db.session.execute(sa.insert(t).values(name=VERSION_KEY, version=token))
    if has_request_context():
        g.pop("_script_map", None)
    memo = transaction_memo()
    state = _app_cache()
    if memo is not None:
        memo.pop("script_map", None)
        # The rest of this transaction sees its own (uncommitted) scripts; nobody else does.
        if not memo.get("scripts_changed"):
            memo["scripts_changed"] = True
            after_end(state.changed)
    else:
        state.changed()


# -- the change signal ----------------------------------------------------------------------------
class FileSignal:
    """A 16-byte stamp in a file beside the SQLite database (one pread or pwrite, about 1 us)."""

    def __init__(self, path: str) -> None:
        self.key = path
        try:
            self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            log.warning("cannot open %s: the script version is read from the database every time", path)
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
            log.warning("could not move the Server Script change stamp in %s", self.key, exc_info=True)


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

    def __init__(self, redis_url: str, database_url: str) -> None:
        self.client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.key = "server_script_version:" + hashlib.sha256(database_url.encode()).hexdigest()[:16]

    def read(self) -> Any:
        try:
            return (self.key, self.client.get(self.key))
        except Exception:  # noqa: BLE001 - no stamp: the caller reads the database version
            return None

    def changed(self) -> None:
        try:
            self.client.set(self.key, secrets.token_hex(8))
        except Exception:  # noqa: BLE001 - readers fall back to the re-check interval
            log.warning("could not move the Server Script change stamp in Redis", exc_info=True)


Signal = FileSignal | LocalSignal | RedisSignal


def _signal() -> Signal | None:
    """The change signal of the current app's database."""
    return _app_cache().signal


def _make_signal(config: Any) -> Signal | None:
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or path.startswith("file:") or url.query.get("mode") == "memory":
            return LocalSignal()
        return FileSignal(os.path.abspath(path) + ".script-version")
    if config.get("REDIS_URL"):
        return RedisSignal(config["REDIS_URL"], url.render_as_string(hide_password=True))
    return None


def _compile(name: str, source: str) -> tuple[CompiledScript | None, str | None]:
    try:
        return compile_script(source or "", script_filename(name)), None
    except ScriptCompileError as exc:
        return None, str(exc)


def _load(version: int) -> ScriptMap:
    meta = registry.get("Server Script")
    t = registry.table(meta)
    rows = db.session.execute(sa.select(t).order_by(t.c.name)).all()
    smap = ScriptMap(version=version)
    for row in rows:
        r = row._mapping
        compiled, error = _compile(r["name"], r["script"] or "")
        info = ScriptInfo(
            name=r["name"], script_type=r["script_type"], reference_doctype=r["reference_doctype"],
            doctype_event=r["doctype_event"], api_method=r["api_method"], allow_guest=bool(r["allow_guest"]),
            enable_rate_limit=bool(r["enable_rate_limit"]), rate_limit_count=int(r["rate_limit_count"] or 0),
            rate_limit_seconds=int(r["rate_limit_seconds"] or 0), event_frequency=r["event_frequency"],
            cron_format=r["cron_format"], disabled=bool(r["disabled"]), source=r["script"] or "",
            compiled=compiled, compile_error=error,
        )
        smap.by_name[info.name] = info
        if info.disabled:
            continue
        if info.script_type == "DocType Event" and info.reference_doctype and info.doctype_event in DOCTYPE_EVENT_MAP:
            key = (info.reference_doctype, DOCTYPE_EVENT_MAP[info.doctype_event])
            smap.events.setdefault(key, []).append(info)
        elif info.script_type == "API" and info.api_method:
            smap.api[info.api_method] = info
        elif info.script_type == "Permission Query" and info.reference_doctype:
            smap.permission_query.setdefault(info.reference_doctype, []).append(info)
        elif info.script_type == "Scheduler Event":
            smap.scheduler.append(info)
    return smap


def current() -> ScriptMap:
    """The script map, checked once per request or transaction (see the module's docstring)."""
    tx_memo = transaction_memo()
    if tx_memo is not None:
        smap = tx_memo.get("script_map")
        if smap is not None:
            return smap
        if tx_memo.get("scripts_changed"):
            # This transaction changed scripts: its own map, from its uncommitted rows, not shared.
            smap = _load(read_version())
            tx_memo["script_map"] = smap
            return smap
    in_request = has_request_context()
    if in_request:
        smap = g.get("_script_map")
        if smap is not None:
            return smap
    smap = _checked()
    if in_request:
        g._script_map = smap
    if tx_memo is not None:
        tx_memo["script_map"] = smap
    return smap


def _checked() -> ScriptMap:
    state = _app_cache()
    signal = state.signal
    stamp = signal.read() if signal is not None else None  # before the version: see the docstring
    now = time.monotonic()
    smap = state.map
    if smap is not None and stamp is not None and smap.stamp == stamp and now - smap.checked < RECHECK_S:
        return smap
    version = read_version()
    if smap is None or smap.version != version:
        with _lock:
            smap = state.map
            if smap is None or smap.version != version:
                smap = _load(version)
                state.map = smap
    smap.stamp, smap.checked = stamp, now
    return smap


def reset() -> None:
    """Drop the current app's map (tests)."""
    if has_app_context():
        state = current_app.extensions.get("server_script_cache")
        if state is not None:
            state.map = None
