"""How scripts are doing, from the execution log (`tabServer Script Log`): counts for the home page,
and each script's runs per hour, error rate, p50/p95 duration and last error.

Each figure is one query that an index serves: ("server_script", "started") for a script's window,
the indexes of the failed rows for the latest failures, "started" for today and the last 24 hours
(see the Server Script Log declaration). Read-only, for those who may read the log (System
Managers).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from webapp.doctypes import registry
from webapp.doctypes.server_script import FAILED_ROWS, SCRIPT_TYPES
from webapp.errors import DoesNotExistError
from webapp.extensions import db
from webapp.services import permissions
from webapp.services.context import transaction

WINDOW_HOURS = 24
LAST_FAILURES = 10


def _log() -> sa.Table:
    return registry.table(registry.get("Server Script Log"))


def _scripts() -> sa.Table:
    return registry.table(registry.get("Server Script"))


def _read():
    """Checks the reader may see the log, writes this process's queued log rows, and opens a
    read-only transaction for the queries."""
    from webapp.runtime import logs

    permissions.check("Server Script Log", "read")
    logs.flush_for_read()
    return transaction(read_only=True, reason="Reading script health writes nothing")


def _now() -> dt.datetime:
    return dt.datetime.now()


def _failed(t: sa.Table) -> sa.ColumnElement[int]:
    return sa.case((t.c.status != "Success", 1), else_=0)


def _hour(t: sa.Table) -> sa.ColumnElement[Any]:
    """The hour a run started in (a datetime on PostgreSQL, text on SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.date_trunc("hour", t.c.started)
    return sa.func.strftime("%Y-%m-%d %H:00:00", t.c.started)


def _as_datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


# -- the home page -------------------------------------------------------------------------------------
@dataclass
class Overview:
    enabled_by_type: dict[str, int]
    runs_today: int
    errors_today: int
    last_failures: list[dict[str, Any]]


def overview() -> Overview:
    """Enabled scripts per type, runs and failed runs since midnight, and the latest failed runs."""
    with _read():
        return Overview(enabled_by_type=enabled_scripts_by_type(), **_today(), last_failures=last_failures())


def enabled_scripts_by_type() -> dict[str, int]:
    s = _scripts()
    rows = db.session.execute(sa.select(s.c.script_type, sa.func.count()).where(s.c.disabled == 0)
                              .group_by(s.c.script_type)).all()
    found = {stype: int(n) for stype, n in rows}
    return {stype: found.get(stype, 0) for stype in SCRIPT_TYPES}


def _today() -> dict[str, int]:
    t = _log()
    midnight = dt.datetime.combine(_now().date(), dt.time())
    runs, failed = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(_failed(t)), 0)).where(t.c.started >= midnight)).one()
    return {"runs_today": int(runs), "errors_today": int(failed)}


def last_failures(limit: int = LAST_FAILURES, script: str | None = None) -> list[dict[str, Any]]:
    """The latest failed runs, newest first (of one script, or of all): read from the index of the
    failed rows, however long the log."""
    t = _log()
    query = (sa.select(t.c.name, t.c.server_script, t.c.script_type, t.c.trigger, t.c.user, t.c.started,
                       t.c.duration_ms, t.c.status, t.c.error)
             .where(sa.text(FAILED_ROWS)).order_by(t.c.started.desc()).limit(limit))
    if script is not None:
        query = query.where(t.c.server_script == script)
    return [dict(r._mapping) for r in db.session.execute(query)]


# -- one script, and every script over the last 24 hours -------------------------------------------------
@dataclass
class Health:
    script: str | None  # None: every script
    since: dt.datetime
    hours: list[dt.datetime]  # the start of each hour in the window, oldest first
    runs: list[int]  # runs started in each hour
    failures: list[int]  # failed runs in each hour
    p50_ms: float | None = None
    p95_ms: float | None = None
    last_error: dict[str, Any] | None = None
    scripts: list[dict[str, Any]] = field(default_factory=list)  # the overview's table
    exists: bool = True  # the script is still there (its log outlives it)

    @property
    def total(self) -> int:
        return sum(self.runs)

    @property
    def failed(self) -> int:
        return sum(self.failures)

    @property
    def error_rate(self) -> float | None:
        """Failed runs / runs in the window (None without runs)."""
        return self.failed / self.total if self.total else None

    def chart(self) -> dict[str, Any]:
        """The chart's data: x as Unix seconds, runs and failed runs per hour."""
        return {"x": [int(h.timestamp()) for h in self.hours], "runs": self.runs, "failed": self.failures,
                "labels": [h.strftime("%H:00") for h in self.hours]}


def _window(now: dt.datetime) -> list[dt.datetime]:
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    return [this_hour - dt.timedelta(hours=WINDOW_HOURS - 1 - i) for i in range(WINDOW_HOURS)]


def script_health(script: str) -> Health:
    """One script over the last 24 hours: runs and failures per hour, p50/p95, its last error."""
    with _read():
        health = _per_hour(script)
        health.p50_ms, health.p95_ms = _percentiles(script, health.since, health.total)
        found = last_failures(1, script)
        health.last_error = found[0] if found else None
        s = _scripts()
        health.exists = db.session.execute(sa.select(s.c.name).where(s.c.name == script)).first() is not None
    if not health.exists and not health.total and health.last_error is None:
        raise DoesNotExistError(f"No Server Script {script!r}, and no runs of one by that name in the log")
    return health


def all_scripts_health() -> Health:
    """Every script over the last 24 hours: runs and failures per hour, and a row per script, from one
    pass over the window (grouped by script and hour)."""
    with _read():
        t = _log()
        hours = _window(_now())
        # Grouped by expressions, not the bare column: else SQLite walks the whole (server_script,
        # started) index to skip a sort, instead of reading the window's range of the started index.
        script = sa.func.coalesce(t.c.server_script, "").label("script")
        bucket = _hour(t).label("hour")
        rows = db.session.execute(
            sa.select(script, bucket, sa.func.count(), sa.func.sum(_failed(t)), sa.func.max(t.c.started))
            .where(t.c.started >= hours[0]).group_by(script, bucket)).all()
        per_hour: dict[dt.datetime, list[int]] = {h: [0, 0] for h in hours}
        per_script: dict[str, dict[str, Any]] = {}
        for name, hour, n, failed, last in rows:
            counts = per_hour.setdefault(_as_datetime(hour), [0, 0])
            counts[0] += int(n)
            counts[1] += int(failed or 0)
            figures = per_script.setdefault(name, {"runs": 0, "failed": 0, "last_run": None})
            figures["runs"] += int(n)
            figures["failed"] += int(failed or 0)
            last = _as_datetime(last)
            figures["last_run"] = max(last, figures["last_run"] or last)
        health = Health(script=None, since=hours[0], hours=hours, runs=[per_hour[h][0] for h in hours],
                        failures=[per_hour[h][1] for h in hours])
        health.scripts = _per_script(per_script)
    return health


def _per_hour(script: str | None) -> Health:
    t = _log()
    hours = _window(_now())
    since = hours[0]
    bucket = _hour(t).label("hour")
    query = sa.select(bucket, sa.func.count(), sa.func.sum(_failed(t))).where(t.c.started >= since)
    if script is not None:
        query = query.where(t.c.server_script == script)
    found = {_as_datetime(h): (int(n), int(f or 0)) for h, n, f in db.session.execute(query.group_by(bucket))}
    return Health(script=script, since=since, hours=hours, runs=[found.get(h, (0, 0))[0] for h in hours],
                  failures=[found.get(h, (0, 0))[1] for h in hours])


def _percentiles(script: str, since: dt.datetime, total: int) -> tuple[float | None, float | None]:
    """p50 and p95 of the window's durations (nearest rank), in one query: the runs of the window
    numbered by duration, keeping the two ranks."""
    if not total:
        return None, None
    ranks = {p: max(1, math.ceil(p / 100 * total)) for p in (50, 95)}
    t = _log()
    numbered = (sa.select(t.c.duration_ms, sa.func.row_number().over(order_by=t.c.duration_ms).label("rank"))
                .where(t.c.server_script == script, t.c.started >= since).subquery())
    rows = dict(db.session.execute(sa.select(numbered.c.rank, numbered.c.duration_ms)
                                   .where(numbered.c.rank.in_(set(ranks.values())))).all())
    return (_ms(rows.get(ranks[50])), _ms(rows.get(ranks[95])))


def _ms(value: Any) -> float | None:
    return None if value is None else float(value)


def _per_script(ran: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A row per script, busiest first: the figures of those that ran, and 0 runs for the others,
    so a silent script stands out."""
    s = _scripts()
    scripts = db.session.execute(sa.select(s.c.name, s.c.script_type, s.c.disabled).order_by(s.c.name)).all()
    out = []
    for name, stype, disabled in scripts:
        figures = ran.pop(name, {"runs": 0, "failed": 0, "last_run": None})
        out.append({"name": name, "script_type": stype, "disabled": bool(disabled), "exists": True, **figures})
    for name, figures in ran.items():  # runs of scripts deleted since
        out.append({"name": name, "script_type": "", "disabled": False, "exists": False, **figures})
    out.sort(key=lambda r: (-r["runs"], r["name"]))
    for row in out:
        row["error_rate"] = row["failed"] / row["runs"] if row["runs"] else None
    return out
