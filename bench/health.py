"""Script health on a big execution log: 300,000 runs of 60 scripts over 30 days (2% failed), on a
throw-away SQLite instance. Times, through the Flask test client as Administrator (median of 15):
the home page (/app: today's counts and the last failed runs), the health page of every script and
that of the busiest script (per hour, p50/p95, last error); and for contrast the same pages with the
log's declared indexes (composite and partial) dropped. Run: .venv/bin/python bench/health.py (target: each
page <= 100 ms, whatever the log's length)."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from _instance import admin_client, throwaway_app

RUNS = 300_000
SCRIPTS = 60
DAYS = 30
ROUNDS = 15
PAGES = {"home /app": "/app", "every script": "/app/script-health", "busiest script": "/app/script-health/s00"}


def _fill(app) -> None:
    import sqlalchemy as sa

    from webapp.doctypes import registry
    from webapp.extensions import db

    rng = random.Random(7)
    now = dt.datetime.now()
    log = registry.table(registry.get("Server Script Log"))
    scripts = registry.table(registry.get("Server Script"))
    db.session.execute(sa.insert(scripts), [
        {"name": f"s{i:02d}", "creation": now, "modified": now, "modified_by": "Administrator", "owner": "Administrator",
         "docstatus": 0, "idx": 0, "script_type": "API", "api_method": f"s{i:02d}", "disabled": 0, "script": "x = 1"}
        for i in range(SCRIPTS)])
    batch = []
    for i in range(RUNS):
        # A few scripts do most of the work (s00 the most), as in a real site.
        script = f"s{min(SCRIPTS - 1, int(rng.expovariate(1 / 6))):02d}"
        started = now - dt.timedelta(seconds=rng.uniform(0, DAYS * 86400))
        status = "Success" if rng.random() > 0.02 else rng.choice(["Error", "Error", "Timeout", "Memory"])
        batch.append({"name": f"l{i:07d}", "creation": started, "modified": started, "modified_by": "Administrator",
                      "owner": "Administrator", "docstatus": 0, "idx": 0, "server_script": script,
                      "script_type": "API", "trigger": f"{script} POST", "user": "Administrator", "started": started,
                      "duration_ms": rng.lognormvariate(0, 1), "status": status, "output": "",
                      "error": "" if status == "Success" else f"{status}: boom (line 2)"})
        if len(batch) == 20_000:
            db.session.execute(sa.insert(log), batch)
            batch = []
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def _time(client, url: str) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return statistics.median(times)


def main() -> None:
    app = throwaway_app("bench-health-")
    with app.app_context():
        _fill(app)
    client = admin_client(app)
    print(f"{RUNS:,} runs of {SCRIPTS} scripts over {DAYS} days; median of {ROUNDS}")
    with_indexes = {name: _time(client, url) for name, url in PAGES.items()}
    with app.app_context():
        import sqlalchemy as sa

        from webapp.doctypes import registry
        from webapp.extensions import db

        meta = registry.get("Server Script Log")
        for ix in meta.indexes:
            db.session.execute(sa.text(f'DROP INDEX "{ix.name(meta.table_name)}"'))
        db.session.commit()
    without = {name: _time(client, url) for name, url in PAGES.items()}
    for name in PAGES:
        print(f"  {name:>15}: {with_indexes[name]:7.1f} ms   (without the declared indexes: {without[name]:7.1f} ms)")


if __name__ == "__main__":
    main()
