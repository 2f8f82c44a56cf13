"""Script health from the execution log: the figures, each from one query an index serves (checked
with the database's own query plan, on SQLite and PostgreSQL), and who may see them."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from webapp.services import health

NOW = dt.datetime(2026, 5, 6, 14, 30)


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(health, "_now", lambda: NOW)
    return NOW


@pytest.fixture
def runs(app):
    """runs(script, [(minutes_ago, status, duration_ms), ...]) writes log rows."""
    from webapp.runtime import logs

    def add(script: str, items, script_type: str = "API") -> None:
        with app.app_context():
            for minutes_ago, status, ms in items:
                logs.record(server_script=script, script_type=script_type, trigger=f"{script} POST",
                            user="Administrator", started=NOW - dt.timedelta(minutes=minutes_ago), duration_ms=ms,
                            status=status, output="", error="" if status == "Success" else f"{status}: boom (line 2)")
            logs.flush()

    return add


@pytest.fixture
def scripts(app, api_keys, client):
    headers = api_keys("Administrator")

    def make(name: str, script_type: str = "API", disabled: int = 0, **fields) -> None:
        body = {"name": name, "script_type": script_type, "script": "x = 1", "disabled": disabled, **fields}
        if script_type == "API":
            body.setdefault("api_method", name.lower().replace(" ", "_"))
        r = client.post("/api/resource/Server Script", headers=headers, json=body)
        assert r.status_code == 200, r.get_data(as_text=True)

    return make


def _as(app, user: str, call):
    from webapp.services.context import acting_as

    with app.test_request_context(), acting_as(user):
        return call()


def test_overview_counts_enabled_scripts_runs_and_errors_today(app, fixed_now, runs, scripts):
    scripts("Api one")
    scripts("Api two")
    scripts("Off", disabled=1)
    scripts("Every hour", "Scheduler Event", event_frequency="Hourly")
    runs("Api one", [(5, "Success", 1.0), (10, "Error", 2.0), (60, "Timeout", 5000.0)])
    runs("Api two", [(15, "Success", 1.0), (14 * 60 + 31, "Error", 1.0)])  # yesterday 23:59
    o = _as(app, "Administrator", health.overview)
    assert o.enabled_by_type == {"DocType Event": 0, "Scheduler Event": 1, "Permission Query": 0, "API": 2}
    assert (o.runs_today, o.errors_today) == (4, 2)
    assert [(f["server_script"], f["status"]) for f in o.last_failures] == [
        ("Api one", "Error"), ("Api one", "Timeout"), ("Api two", "Error")]
    assert o.last_failures[0]["error"] == "Error: boom (line 2)"


def test_the_last_ten_failures_newest_first_across_statuses(app, fixed_now, runs):
    runs("busy", [(i, ("Error", "Timeout", "Memory", "Success")[i % 4], 1.0) for i in range(40)])
    failures = _as(app, "Administrator", health.last_failures)
    minutes = [(NOW - f["started"] if isinstance(f["started"], dt.datetime)
                else NOW - dt.datetime.fromisoformat(f["started"])).seconds // 60 for f in failures]
    assert len(failures) == 10 and minutes == sorted(minutes)
    assert {f["status"] for f in failures} == {"Error", "Timeout", "Memory"}


def test_one_scripts_runs_per_hour_error_rate_percentiles_and_last_error(app, fixed_now, runs):
    # 20 runs: durations 1..20 ms; 2 failures; one run 25 h ago is outside the window.
    items = [(i * 30, "Success", float(i + 1)) for i in range(18)]
    items += [(3, "Error", 19.0), (45, "Timeout", 20.0), (25 * 60, "Error", 99.0)]
    runs("Hello", items)
    runs("Other", [(1, "Error", 500.0)])
    h = _as(app, "Administrator", lambda: health.script_health("Hello"))
    assert len(h.hours) == 24 and h.hours[-1] == dt.datetime(2026, 5, 6, 14, 0)
    assert h.total == 20 and h.failed == 2 and h.error_rate == pytest.approx(0.1)
    assert h.runs[-1] == 3  # 14:30, 14:27 (Error), 14:00 in the current hour
    assert h.failures[-1] == 1 and h.failures[-2] == 1  # 13:45 Timeout
    assert (h.p50_ms, h.p95_ms) == (10.0, 19.0)  # nearest rank: the 10th and 19th of 20
    assert h.last_error["status"] == "Error" and h.last_error["error"] == "Error: boom (line 2)"
    chart = h.chart()
    assert len(chart["x"]) == 24 and chart["runs"] == h.runs and chart["labels"][-1] == "14:00"


def test_a_script_without_runs_has_empty_figures(app, fixed_now, scripts):
    from webapp.errors import DoesNotExistError

    scripts("Never ran")
    h = _as(app, "Administrator", lambda: health.script_health("Never ran"))
    assert h.total == 0 and h.error_rate is None and h.p50_ms is None and h.last_error is None and h.exists
    with pytest.raises(DoesNotExistError):
        _as(app, "Administrator", lambda: health.script_health("No such script"))


def test_every_scripts_health_lists_silent_and_deleted_scripts(app, fixed_now, runs, scripts):
    scripts("Quiet")
    runs("Busy", [(1, "Success", 1.0), (2, "Error", 1.0)])
    h = _as(app, "Administrator", health.all_scripts_health)
    rows = {r["name"]: r for r in h.scripts}
    assert rows["Busy"]["runs"] == 2 and rows["Busy"]["error_rate"] == 0.5 and not rows["Busy"]["exists"]
    assert rows["Quiet"]["runs"] == 0 and rows["Quiet"]["error_rate"] is None and rows["Quiet"]["exists"]
    assert h.total == 2 and h.failed == 1


def test_only_those_who_read_the_log_see_health(app, make_user):
    from webapp.errors import PermissionError

    make_user("emp@example.com", roles=["Employee"])
    for call in (health.overview, health.all_scripts_health, lambda: health.script_health("x")):
        with pytest.raises(PermissionError):
            _as(app, "emp@example.com", call)


# -- each figure is one query an index serves --------------------------------------------------------
def _plans(app, call) -> list[str]:
    """The query plan of every statement `call` runs (indexes preferred over scanning, as on a
    big log: the test tables are tiny)."""
    from webapp.extensions import db

    statements: list[tuple[str, object]] = []
    plans: list[str] = []
    with app.test_request_context():
        engine = db.engine

        def capture(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT") and "tabServer Script Log" in statement:
                statements.append((statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            from webapp.services.context import acting_as

            with acting_as("Administrator"):
                call()
        finally:
            sa.event.remove(engine, "before_cursor_execute", capture)
        with engine.connect() as conn:
            pg = engine.dialect.name == "postgresql"
            if pg:
                conn.exec_driver_sql("SET enable_seqscan = off")
            for statement, parameters in statements:
                prefix = "EXPLAIN " if pg else "EXPLAIN QUERY PLAN "
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
                plans.append("\n".join(" ".join(str(c) for c in r) for r in rows))
    return plans


def _uses_an_index(plan: str) -> bool:
    """Every read of the log is a range of an index (a search), or a walk in order through an index
    of the failed rows only (stopped by LIMIT): never the whole table or a whole index of it."""
    if any(word in plan for word in ("Seq Scan", "Index Cond", "Index Scan", "Bitmap")):  # PostgreSQL
        nodes = [line for line in plan.splitlines() if "tabServer Script Log" in line]
        return "Seq Scan" not in plan and bool(nodes) and ("Index Cond" in plan or all("_failed" in n for n in nodes))
    lines = [line.split(" ", 3)[-1] for line in plan.splitlines() if "tabServer Script Log" in line]  # SQLite
    return bool(lines) and all(line.startswith("SEARCH") or (line.startswith("SCAN") and "_failed" in line)
                               for line in lines)


@pytest.mark.parametrize("figure", ["overview", "script", "all"])
def test_each_figure_is_one_query_served_by_an_index(app, fixed_now, runs, figure):
    runs("Hello", [(1, "Success", 1.0), (2, "Error", 2.0)])
    call = {"overview": health.overview, "script": lambda: health.script_health("Hello"),
            "all": health.all_scripts_health}[figure]
    plans = _plans(app, call)
    assert plans, "no query of the log ran"
    for plan in plans:
        assert _uses_an_index(plan), plan
    # overview: today + last failures; one script: per hour, percentiles, last error; all: per script and hour
    assert len(plans) == {"overview": 2, "script": 3, "all": 1}[figure]


def test_the_health_pages_are_for_those_who_read_the_log(client, login_as, fixed_now, runs):
    runs("Hello", [(1, "Error", 1.0)])
    login_as("emp@example.com", roles=["Employee"])
    assert client.get("/app/script-health").status_code == 403
    assert client.get("/app/script-health/Hello").status_code == 403
    home = client.get("/app").get_data(as_text=True)
    assert "runs-today" not in home and "Last failed runs" not in home
    login_as("sm@example.com", roles=["System Manager"])
    page = client.get("/app/script-health/Hello").get_data(as_text=True)
    assert 'data-figure="failed">1<' in page and "1 failed" in page and "Error: boom (line 2)" in page
    assert client.get("/app/script-health/Nobody").status_code == 404
