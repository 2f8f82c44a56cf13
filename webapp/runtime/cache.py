"""The per-process map of enabled scripts, rebuilt when the script version in the database moves.

The version is read at most once per request (one primary-key SELECT); compiled code is cached by
the sandbox by source hash, so a rebuild recompiles only what changed.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa

from webapp.runtime.events import DOCTYPE_EVENT_MAP
from webapp.sandbox import CompiledScript, ScriptCompileError, compile_script

VERSION_KEY = "server_script"


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


def script_filename(name: str) -> str:
    return f"<Server Script: {name}>"


_lock = threading.Lock()
_map: ScriptMap | None = None


def read_version() -> int:
    from webapp.extensions import db
    from webapp.models.script_version import ScriptVersion

    value = db.session.execute(
        sa.select(ScriptVersion.version).where(ScriptVersion.name == VERSION_KEY)
    ).scalar_one_or_none()
    return int(value or 0)


def bump_version() -> None:
    """Called inside the transaction that changes a script, so the bump commits with the change."""
    from webapp.extensions import db
    from webapp.models.script_version import ScriptVersion

    # A random token rather than +1: a restored backup or a reset table can never bring back a value
    # some worker already cached for a different set of scripts.
    t = ScriptVersion.__table__
    token = secrets.randbelow(2**31 - 2) + 1
    updated = db.session.execute(sa.update(t).where(t.c.name == VERSION_KEY).values(version=token)).rowcount
    if not updated:
        db.session.execute(sa.insert(t).values(name=VERSION_KEY, version=token))
    _forget_request_memo()


def _forget_request_memo() -> None:
    from flask import g, has_request_context

    from webapp.services.context import transaction_memo

    if has_request_context():
        g.pop("_script_map", None)
    memo = transaction_memo()
    if memo is not None:
        memo.pop("script_map", None)


def _compile(name: str, source: str) -> tuple[CompiledScript | None, str | None]:
    try:
        return compile_script(source or "", script_filename(name)), None
    except ScriptCompileError as exc:
        return None, str(exc)


def _load(version: int) -> ScriptMap:
    from webapp.doctypes import registry
    from webapp.extensions import db

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
    """The script map, checked against the database version once per request."""
    global _map
    from flask import g, has_request_context

    from webapp.services.context import transaction_memo

    tx_memo = transaction_memo()
    if tx_memo is not None and "script_map" in tx_memo:
        return tx_memo["script_map"]
    if has_request_context():
        memo = g.get("_script_map")
        if memo is not None:
            return memo
    version = read_version()
    smap = _map
    if smap is None or smap.version != version:
        with _lock:
            smap = _map
            if smap is None or smap.version != version:
                smap = _load(version)
                _map = smap
    if has_request_context():
        g._script_map = smap
    if tx_memo is not None:
        tx_memo["script_map"] = smap
    return smap


def reset() -> None:
    """Drop the process cache (tests, and after init-db)."""
    global _map
    with _lock:
        _map = None
