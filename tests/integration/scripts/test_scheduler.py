"""Scheduler Event scripts: when each frequency is due (on a fixed clock), claiming a period so it runs
once across restarts and concurrent schedulers, runs as Administrator in their own transactions,
failures logged without stopping the others, the feature switch, and `flask --app wsgi scheduler`."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from webapp.blueprints.desk.script_editor import TEMPLATES
from webapp.runtime import scheduler

D = dt.datetime
MIN = dt.timedelta(minutes=1)
CREATED = D(2024, 1, 1, 9, 30)


# -- when each frequency is due -------------------------------------------------------------------
@pytest.mark.parametrize("frequency,created,not_yet,due_at", [
    ("All", D(2024, 1, 1, 10, 1), D(2024, 1, 1, 10, 3, 59), D(2024, 1, 1, 10, 4)),
    ("Hourly", D(2024, 1, 1, 9, 30), D(2024, 1, 1, 9, 59, 59), D(2024, 1, 1, 10, 0)),
    ("Daily", D(2024, 1, 1, 12, 0), D(2024, 1, 1, 23, 59, 59), D(2024, 1, 2, 0, 0)),
    ("Weekly", D(2024, 1, 3, 8, 0), D(2024, 1, 6, 23, 59), D(2024, 1, 7, 0, 0)),  # 7 January 2024: a Sunday
    ("Monthly", D(2024, 1, 15), D(2024, 1, 31, 23, 59), D(2024, 2, 1, 0, 0)),
    ("Yearly", D(2024, 3, 1), D(2024, 12, 31, 23, 59), D(2025, 1, 1, 0, 0)),
])
def test_each_frequency_is_due_at_the_start_of_its_next_period(frequency, created, not_yet, due_at):
    cron = scheduler.FREQUENCY_CRON[frequency]
    assert scheduler.due_period(cron, None, created, not_yet) is None
    assert scheduler.due_period(cron, None, created, due_at) == due_at
    # Later in the same period it is still that period (the scheduler may tick late) ...
    assert scheduler.due_period(cron, None, created, due_at + 3 * MIN + dt.timedelta(seconds=59)) == due_at
    # ... and once that period has run, nothing until the next one.
    assert scheduler.due_period(cron, due_at, created, due_at + 3 * MIN) is None
    following = scheduler.period_at(cron, due_at + dt.timedelta(days=400))
    assert scheduler.due_period(cron, due_at, created, following) == following > due_at


def test_all_runs_every_four_minutes_and_cron_follows_its_expression():
    cron = scheduler.FREQUENCY_CRON["All"]
    ticks = [D(2024, 1, 1, 10, 0) + i * MIN for i in range(13)]
    last, ran = D(2024, 1, 1, 9, 59), []
    for now in ticks:
        period = scheduler.due_period(cron, last, None, now)
        if period:
            ran.append(period.minute)
            last = period
    assert ran == [0, 4, 8, 12]
    workdays = "*/15 9-17 * * 1-5"
    assert scheduler.period_at(workdays, D(2024, 1, 5, 17, 50)) == D(2024, 1, 5, 17, 45)  # a Friday
    assert scheduler.period_at(workdays, D(2024, 1, 6, 12, 0)) == D(2024, 1, 5, 17, 45)  # Saturday: still Friday's


def test_missed_periods_are_caught_up_once_and_a_clock_behind_runs_nothing():
    cron = scheduler.FREQUENCY_CRON["Hourly"]
    last = D(2024, 1, 1, 10, 0)
    assert scheduler.due_period(cron, last, None, D(2024, 1, 1, 15, 30)) == D(2024, 1, 1, 15, 0)
    assert scheduler.due_period(cron, D(2024, 1, 1, 15, 0), None, D(2024, 1, 1, 15, 59)) is None
    assert scheduler.due_period(cron, last, None, D(2024, 1, 1, 9, 0)) is None


# -- running ----------------------------------------------------------------------------------------
RECORD_RUN = 'frappe.get_doc({"doctype": "ToDo", "description": "ran " + frappe.session.user}).insert()\n'


@pytest.fixture
def scheduled(app, make_script):
    """scheduled(name, script, frequency="Hourly", created=CREATED, **fields): a Scheduler Event
    script created at `created` (so the fixed clocks below decide what is due)."""

    def make(name: str, script: str = RECORD_RUN, frequency: str = "Hourly", created: D = CREATED,
             **fields):
        make_script(name, script, script_type="Scheduler Event", event_frequency=frequency, **fields)
        from webapp.doctypes import registry
        from webapp.extensions import db

        t = registry.table(registry.get("Server Script"))
        with app.app_context():
            db.session.execute(sa.update(t).where(t.c.name == name).values(creation=created))
            db.session.commit()

    return make


def todos(app) -> list[str]:
    from webapp.extensions import db

    with app.app_context():
        return sorted(db.session.execute(sa.text('SELECT description FROM "tabToDo"')).scalars())


def tick(app, when: D) -> scheduler.Tick:
    with app.app_context():
        return scheduler.run_due(when)


def claims(app) -> dict[str, D | None]:
    with app.app_context():
        return scheduler.last_runs()


@pytest.mark.usefixtures("enable_scripts")
def test_a_due_script_runs_once_per_period_as_administrator_and_is_logged(app, scheduled, logs):
    scheduled("Hourly job")
    assert tick(app, D(2024, 1, 1, 9, 59)).ran == []
    first = tick(app, D(2024, 1, 1, 10, 0, 30))
    assert [(o.script, o.status, o.period) for o in first.ran] == [("Hourly job", "Success", D(2024, 1, 1, 10, 0))]
    assert tick(app, D(2024, 1, 1, 10, 30)).ran == []  # the same period: not again
    assert todos(app) == ["ran Administrator"]
    assert claims(app) == {"Hourly job": D(2024, 1, 1, 10, 0)}
    tick(app, D(2024, 1, 1, 11, 2))
    assert todos(app) == ["ran Administrator", "ran Administrator"]
    rows = logs(server_script="Hourly job")
    assert [(r["trigger"], r["status"], r["user"], r["script_type"]) for r in rows] == \
        [("Scheduler Hourly", "Success", "Administrator", "Scheduler Event")] * 2


@pytest.mark.usefixtures("enable_scripts")
def test_a_failing_script_does_not_stop_the_others_and_keeps_nothing(app, scheduled, logs, site_config):
    site_config(server_script_timeout=0.3)
    scheduled("a fails", RECORD_RUN + 'frappe.throw("nightly import failed")\n', frequency="Daily")
    scheduled("b loops", "while True:\n    pass\n", frequency="Daily")
    scheduled("c works", frequency="Daily")
    ran = tick(app, D(2024, 1, 2, 0, 1)).ran
    assert [(o.script, o.status) for o in ran] == [("a fails", "Error"), ("b loops", "Timeout"), ("c works", "Success")]
    assert "nightly import failed" in ran[0].error
    assert todos(app) == ["ran Administrator"]  # a's insert was rolled back with its failure
    by_script = {r["server_script"]: r for r in logs(script_type="Scheduler Event")}
    assert by_script["a fails"]["status"] == "Error" and "nightly import failed" in by_script["a fails"]["error"]
    assert "line 2" in by_script["a fails"]["error"]
    assert by_script["b loops"]["status"] == "Timeout"
    assert by_script["c works"]["status"] == "Success" and by_script["c works"]["trigger"] == "Scheduler Daily"
    # A failed period is used up too: at most once per period.
    assert tick(app, D(2024, 1, 2, 12, 0)).ran == []


@pytest.mark.usefixtures("enable_scripts")
def test_a_scheduled_script_may_commit_part_of_its_work(app, scheduled):
    scheduled("partial", """
frappe.get_doc({"doctype": "ToDo", "description": "kept"}).insert()
frappe.db.commit()
frappe.get_doc({"doctype": "ToDo", "description": "rolled back"}).insert()
frappe.throw("stop")
""")
    assert [o.status for o in tick(app, D(2024, 1, 1, 10, 0)).ran] == ["Error"]
    assert todos(app) == ["kept"]


@pytest.mark.usefixtures("enable_scripts")
def test_cron_scripts_follow_their_expression_and_name_it_in_the_log(app, scheduled, logs):
    scheduled("every 5", frequency="Cron", cron_format="*/5  * * * *", created=D(2024, 1, 1, 10, 0))
    assert tick(app, D(2024, 1, 1, 10, 4)).ran == []
    assert [o.trigger for o in tick(app, D(2024, 1, 1, 10, 5)).ran] == ["Scheduler Cron */5 * * * *"]
    assert tick(app, D(2024, 1, 1, 10, 9)).ran == []
    assert len(tick(app, D(2024, 1, 1, 10, 10)).ran) == 1
    assert [r["trigger"] for r in logs(server_script="every 5")] == ["Scheduler Cron */5 * * * *"] * 2


@pytest.mark.usefixtures("enable_scripts")
def test_disabled_scripts_and_other_types_never_run_and_deleted_ones_are_forgotten(app, scheduled, make_script,
                                                                                  admin_headers, client):
    scheduled("off", disabled=1)
    scheduled("gone")
    make_script("event", RECORD_RUN, reference_doctype="Note", doctype_event="Before Save")
    assert [o.script for o in tick(app, D(2024, 1, 1, 10, 0)).ran] == ["gone"]
    assert set(claims(app)) == {"gone"}
    assert client.delete("/api/resource/Server Script/gone", headers=admin_headers).status_code == 200
    tick(app, D(2024, 1, 1, 11, 0))
    assert claims(app) == {}


def test_with_the_feature_off_nothing_runs_and_nothing_is_claimed(app, scheduled, site_config):
    scheduled("Hourly job")
    site_config(server_script_enabled=False)
    result = tick(app, D(2024, 1, 1, 10, 0))
    assert not result.enabled and result.ran == []
    assert todos(app) == [] and claims(app) == {}
    # Switched on later: the period it missed runs then (once).
    site_config(server_script_enabled=True)
    assert len(tick(app, D(2024, 1, 1, 10, 20)).ran) == 1


@pytest.mark.usefixtures("enable_scripts")
def test_two_schedulers_claiming_the_same_period_run_it_once(app, scheduled):
    scheduled("Hourly job")
    period = D(2024, 1, 1, 10, 0)
    barrier = threading.Barrier(2)
    won: list[bool] = []

    def claim() -> None:
        with app.app_context():
            barrier.wait(5)
            won.append(scheduler.claim("Hourly job", period))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(won) == [False, True]
    # An older period can never be claimed again either.
    with app.app_context():
        assert not scheduler.claim("Hourly job", period - dt.timedelta(hours=1))
        assert scheduler.claim("Hourly job", period + dt.timedelta(hours=1))


@pytest.mark.usefixtures("enable_scripts")
def test_two_scheduler_ticks_at_once_run_each_script_once(app, scheduled):
    scheduled("one")
    scheduled("two")
    barrier = threading.Barrier(2)
    ran: list[str] = []

    def run() -> None:
        barrier.wait(5)
        ran.extend(o.script for o in tick(app, D(2024, 1, 1, 10, 0)).ran)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(ran) == ["one", "two"]
    assert todos(app) == ["ran Administrator", "ran Administrator"]


@pytest.mark.usefixtures("enable_scripts")
def test_the_editor_template_runs(app, scheduled):
    from webapp.services import documents
    from webapp.services.context import acting_as

    ((_label, source),) = TEMPLATES["Scheduler Event"]
    with app.app_context(), acting_as("Administrator"):
        documents.insert(documents.new_doc("ToDo", {"description": "old", "date": "2024-01-01"}))
        documents.insert(documents.new_doc("ToDo", {"description": "new", "date": "2999-01-01"}))
    scheduled("Close overdue", source, frequency="Daily")
    assert [o.status for o in tick(app, D(2024, 1, 2, 0, 0)).ran] == ["Success"]
    with app.app_context():
        from webapp.extensions import db

        rows = db.session.execute(sa.text('SELECT description, status FROM "tabToDo" ORDER BY description')).all()
    assert [tuple(r) for r in rows] == [("new", "Open"), ("old", "Closed")]


# -- the command --------------------------------------------------------------------------------------
@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


@pytest.mark.usefixtures("enable_scripts")
def test_scheduler_once_runs_what_is_due_once(cli, app, scheduled, monkeypatch):
    scheduled("Hourly job")
    monkeypatch.setattr(scheduler, "now", lambda: D(2024, 1, 1, 10, 7))
    r = cli("scheduler", "--once")
    assert r.exit_code == 0, r.output
    assert "Success: Hourly job (Scheduler Hourly, period 2024-01-01 10:00)" in r.output
    r = cli("scheduler", "--once")
    assert r.exit_code == 0 and "No Scheduler Event script was due." in r.output
    assert todos(app) == ["ran Administrator"]


def test_scheduler_once_says_why_nothing_runs_when_the_feature_is_off(cli, app, scheduled, monkeypatch):
    scheduled("Hourly job")
    monkeypatch.setattr(scheduler, "now", lambda: D(2024, 1, 1, 10, 7))
    r = cli("scheduler", "--once")
    assert r.exit_code == 0
    assert "No Scheduler Event script runs" in r.output and "set-config server_script_enabled true" in r.output
    assert todos(app) == []


@pytest.mark.usefixtures("enable_scripts")
def test_the_scheduler_loop_ticks_and_stops(app, scheduled, monkeypatch):
    scheduled("Hourly job")
    monkeypatch.setattr(scheduler, "now", lambda: D(2024, 1, 1, 10, 7))
    stop = threading.Event()
    seen: list[scheduler.Tick] = []

    def report(result: scheduler.Tick) -> None:
        seen.append(result)
        stop.set()

    with app.app_context():
        scheduler.run_forever(report, stop)
    assert [o.script for o in seen[0].ran] == ["Hourly job"] and len(seen) == 1
