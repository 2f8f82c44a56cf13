"""The map of enabled scripts, per app (so per database) in each process, rebuilt when the script
version in the database moves (webapp/services/versioned.py: a version written in the changing
transaction plus a cheap change stamp, a file beside SQLite or a Redis key).

Compiled code is cached by the sandbox by source hash, so a rebuild recompiles only what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from webapp.doctypes import registry
from webapp.doctypes.events import DOCTYPE_EVENT_MAP
from webapp.extensions import db
from webapp.sandbox import CompiledScript, ScriptCompileError, compile_script
from webapp.services import versioned

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


def read_version() -> int:
    return versioned.read_version(VERSION_KEY)


def bump_version() -> None:
    """Called inside the transaction that changes a script, so the bump commits with the change;
    the change stamp moves when that transaction has ended (every worker then re-reads the version)."""
    WATCH.bump()


# The file and Redis key names are the ones this cache always used.
WATCH = versioned.Versioned(VERSION_KEY, lambda version: _load(version), ".script-version", "server_script_version:")


def current() -> ScriptMap:
    """The script map, checked once per request or transaction."""
    return WATCH.current()


def reset() -> None:
    """Drop the current app's map (tests)."""
    WATCH.reset()
