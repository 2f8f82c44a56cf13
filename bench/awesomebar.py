"""Awesomebar latency with 10,000 ToDos: median time of GET /api/desk/awesomebar through the Flask test
client, on a throw-away SQLite instance. Run: .venv/bin/python bench/awesomebar.py  (target <= 50 ms)."""

from __future__ import annotations

import statistics
import time

from _instance import admin_client, throwaway_app

DOCS = 10_000
QUERIES = ["new todo", "todo", "milk", "oat milk", "expense claim", "report 42", "log out", "zzz nothing"]
ROUNDS = 15


def main() -> None:
    app = throwaway_app("bench-awesomebar-")
    with app.app_context():
        import sqlalchemy as sa

        from webapp.doctypes import registry
        from webapp.extensions import db

        # Bulk rows straight into the table: the benchmark measures search, not 10,000 inserts.
        t = registry.table(registry.get("ToDo"))
        now = __import__("datetime").datetime.now()
        words = ["milk", "report", "invoice", "call", "meeting", "oat", "review", "deploy"]
        rows = [{"name": f"td{i:06d}", "creation": now, "modified": now, "modified_by": "Administrator",
                 "owner": "Administrator", "docstatus": 0, "idx": 0, "status": "Open", "priority": "Medium",
                 "description": f"{words[i % 8]} {words[(i * 7) % 8]} {i}"} for i in range(DOCS)]
        db.session.execute(sa.insert(t), rows)
        db.session.commit()

    client = admin_client(app)
    client.get("/api/desk/awesomebar?q=warm")  # warm up
    print(f"{DOCS} ToDos, {ROUNDS} rounds of {len(QUERIES)} queries")
    medians = []
    for q in QUERIES:
        times = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            r = client.get("/api/desk/awesomebar", query_string={"q": q})
            times.append((time.perf_counter() - start) * 1000)
            assert r.status_code == 200
        medians.append(statistics.median(times))
        print(f"  {q!r:>16}: median {statistics.median(times):6.2f} ms  ({len(r.get_json()['results'])} results)")
    all_median = statistics.median(medians)
    print(f"median over queries: {all_median:.2f} ms (target <= 50 ms): {'OK' if all_median <= 50 else 'SLOW'}")


if __name__ == "__main__":
    main()
