"""Scheduler Event scripts: `flask --app wsgi scheduler` runs each one when its period comes round.

Every frequency is a cron expression (Frappe's): All every 4 minutes (Frappe's default scheduler
tick), Hourly at minute 0, Daily at midnight, Weekly at midnight on Sunday, Monthly at midnight on
the 1st, Yearly at midnight on 1 January; Cron is the script's own `cron_format`. Times are the
server's local time, like every other time the app stores.

A script is due when the latest scheduled time at or before now (its *period*) is later than the
period it last ran for, or before its first run, later than the script's creation. Missed periods
(the scheduler was stopped for a day) are caught up with one run, not one per period, as in
Frappe. Each period is claimed in the database before the script runs, with one UPDATE that only
succeeds while the stored period is older: of two schedulers ticking at once exactly one runs it,
and a restart knows what already ran. A run that fails or dies half-way still used its period: a
period runs at most once.

Scripts run as Administrator, each in its own transaction (committed when it succeeds; a script
may also call frappe.db.commit/rollback), one failure never stops the others, and every run is
logged in the Server Script Log with trigger "Scheduler <Frequency>" or "Scheduler Cron <expr>".
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from croniter import CroniterBadDateError, CroniterError, croniter
from sqlalchemy.dialects import postgresql, sqlite

from webapp import errors
from webapp.extensions import db
from webapp.models.scheduler_run import SchedulerRun
from webapp.runtime import cache, logs, scripts
from webapp.services import documents, script_settings
from webapp.services.context import acting_as, transaction
from webapp.services.run_context import RunContext

log = logging.getLogger(__name__)

KIND = "Scheduler Event"
RUN_AS = "Administrator"
ALL_EVERY_MINUTES = 4
FREQUENCY_CRON = {
    "All": f"*/{ALL_EVERY_MINUTES} * * * *",
    "Hourly": "0 * * * *",
    "Daily": "0 0 * * *",
    "Weekly": "0 0 * * 0",
    "Monthly": "0 0 1 * *",
    "Yearly": "0 0 1 1 *",
}
CRON_ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_HELP = "five fields: minute hour day-of-month month day-of-week, e.g. */15 * * * * (every 15 minutes)"


def now() -> dt.datetime:
    """The scheduler's clock (tests replace it)."""
    return dt.datetime.now()


# -- schedules ------------------------------------------------------------------------------------
def cron_problem(expr: str) -> str | None:
    """Why `expr` is not a usable cron expression, or None when it is."""
    text = " ".join(str(expr or "").split())
    if not text:
        return f"a Cron script needs a Cron Format, {CRON_HELP}"
    fields = text.split(" ")
    if text.startswith("@"):
        if text.lower() not in CRON_ALIASES:
            return f"{text!r} is not a cron expression; use {CRON_HELP}, or one of {', '.join(CRON_ALIASES)}"
    elif len(fields) != 5:
        return f"{text!r} has {len(fields)} field{'s' if len(fields) != 1 else ''}; a cron expression has {CRON_HELP}"
    try:
        croniter(text, dt.datetime(2000, 1, 1)).get_next(dt.datetime)
    except CroniterBadDateError:
        return f"{text!r} never comes round (no date matches it)"
    except (CroniterError, ValueError, KeyError, TypeError, OverflowError) as exc:
        return f"{text!r} is not a valid cron expression ({exc}); use {CRON_HELP}"
    return None


def cron_of(info: cache.ScriptInfo) -> str | None:
    """The script's schedule as a cron expression (None when it has no usable one)."""
    if info.event_frequency == "Cron":
        expr = " ".join(str(info.cron_format or "").split())
        return expr if cron_problem(expr) is None else None
    return FREQUENCY_CRON.get(info.event_frequency or "")


def trigger_of(info: cache.ScriptInfo) -> str:
    if info.event_frequency == "Cron":
        return f"Scheduler Cron {' '.join(str(info.cron_format or '').split())}"
    return f"Scheduler {info.event_frequency}"


def period_at(cron: str, when: dt.datetime) -> dt.datetime:
    """The latest scheduled time at or before `when` (to the minute)."""
    minute = when.replace(second=0, microsecond=0)
    return croniter(cron, minute + dt.timedelta(seconds=1)).get_prev(dt.datetime)


def due_period(cron: str, last_run: dt.datetime | None, created: dt.datetime | None,
               when: dt.datetime) -> dt.datetime | None:
    """The period to run at `when`, or None: the latest scheduled time, when it is later than the
    last period run (before any run: than the script's creation)."""
    period = period_at(cron, when)
    since = last_run or created
    if since is not None and period <= since:
        return None
    return period


# -- claims ---------------------------------------------------------------------------------------
def _table() -> sa.Table:
    return SchedulerRun.__table__


def last_runs() -> dict[str, dt.datetime | None]:
    t = _table()
    return {r.server_script: r.last_run for r in db.session.execute(sa.select(t.c.server_script, t.c.last_run))}


def claim(name: str, period: dt.datetime, at: dt.datetime | None = None) -> bool:
    """Take `period` of script `name` for this process; False when it is taken already (by another
    scheduler, or an earlier run of this one). Committed before the script runs."""
    t = _table()
    with transaction():
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(insert(t).values(server_script=name, last_run=None, claimed_at=None)
                           .on_conflict_do_nothing(index_elements=["server_script"]))
        won = db.session.execute(
            sa.update(t)
            .where(t.c.server_script == name, sa.or_(t.c.last_run.is_(None), t.c.last_run < period))
            .values(last_run=period, claimed_at=at or now())
        ).rowcount
    return won == 1


def forget_missing(names: set[str]) -> None:
    """Drop the claims of scripts that no longer exist (a new script of that name starts afresh)."""
    t = _table()
    with transaction():
        stored = set(db.session.execute(sa.select(t.c.server_script)).scalars())
        gone = stored - names
        if gone:
            db.session.execute(sa.delete(t).where(t.c.server_script.in_(sorted(gone))))


# -- running --------------------------------------------------------------------------------------
@dataclass
class Outcome:
    script: str
    trigger: str
    period: dt.datetime
    status: str  # "Success" | "Error" (also Timeout / Memory from the sandbox)
    error: str = ""


@dataclass
class Tick:
    enabled: bool
    ran: list[Outcome]
    skipped: list[str]  # scripts without a usable schedule


def _created() -> dict[str, dt.datetime | None]:
    rows = documents.get_list("Server Script", fields=["name", "creation"], filters={"script_type": KIND},
                              ignore_permissions=True, limit_page_length=0)
    return {r["name"]: r["creation"] for r in rows}


def due(when: dt.datetime) -> tuple[list[tuple[cache.ScriptInfo, dt.datetime]], list[str]]:
    """The enabled Scheduler Event scripts due at `when` with their periods, and the names of those
    that have no usable schedule."""
    with transaction():
        smap = cache.current()
        if not smap.scheduler:
            return [], []
        created, last = _created(), last_runs()
    found, unusable = [], []
    for info in smap.scheduler:
        cron = cron_of(info)
        if cron is None:
            unusable.append(info.name)
            continue
        period = due_period(cron, last.get(info.name), created.get(info.name), when)
        if period is not None:
            found.append((info, period))
    return found, unusable


def run_due(when: dt.datetime | None = None) -> Tick:
    """One scheduler tick: run every script due at `when` (default: now) whose period this process
    claims. With Server Scripts disabled nothing runs (and nothing is claimed)."""
    when = when or now()
    try:
        is_enabled, budget, _ = script_settings.settings()
        if not is_enabled:
            return Tick(False, [], [])
        found, unusable = due(when)
        ran = []
        for info, period in found:
            if claim(info.name, period, at=when):
                ran.append(run_one(info, period, budget))
        with transaction():
            names = set(cache.current().by_name)
        forget_missing(names)
        return Tick(True, ran, unusable)
    finally:
        logs.flush()
        db.session.remove()


def run_one(info: cache.ScriptInfo, period: dt.datetime, budget=None) -> Outcome:
    """Run one script for `period`, as Administrator, in its own transaction; never raises."""
    trigger = trigger_of(info)
    with acting_as(RUN_AS):
        try:
            if info.compiled is None:
                logs.record(server_script=info.name, script_type=KIND, trigger=trigger, user=RUN_AS,
                            started=dt.datetime.now(), duration_ms=0.0, status="Error", output="",
                            error=f"ScriptError: the script does not compile: {info.compile_error}")
                return Outcome(info.name, trigger, period, "Error", f"does not compile: {info.compile_error}")
            with transaction():
                scripts.run(info, RunContext(info.name, KIND, RUN_AS), trigger=trigger, budget=budget)
        except Exception as exc:  # noqa: BLE001 - one script's failure is logged; the others still run
            log.info("scheduled script %s failed: %s", info.name, exc)
            status = {"ScriptTimeoutError": "Timeout", "ScriptMemoryError": "Memory"}.get(type(exc).__name__, "Error")
            return Outcome(info.name, trigger, period, status, f"{type(exc).__name__}: {errors.message_of(exc)}")
    return Outcome(info.name, trigger, period, "Success")


def run_forever(report: Callable[[Tick], None], stop: threading.Event | None = None) -> None:
    """Tick at the start of every minute (cron's resolution) until `stop` is set."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            report(run_due())
        except Exception:  # noqa: BLE001 - a database hiccup must not end the scheduler
            log.exception("scheduler tick failed; trying again next minute")
        current = dt.datetime.now()
        next_minute = current.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        stop.wait(max(0.5, (next_minute - current).total_seconds() + 0.2))
