"""Doctypes defined by users: what the per-app registry costs (never part of the test suite).

    .venv/bin/python bench/doctypes.py

1. The per-request check: a request's first registry lookup (the change stamp read, one pread on
   SQLite; no query while nothing changed) and every lookup after it (the request's memo), in
   microseconds, with 50 user doctypes and 10 Custom Fields on ToDo defined.
2. Rebuilding the registry after a change (once per process per change): 50 doctypes of 20 fields.
3. REST round trips through the test client: GET /api/resource/ToDo/<name> and POST of a ToDo, on a
   fresh site and again with those 50 doctypes and 10 Custom Fields on ToDo (the ratio should be
   about 1: the number of doctypes does not slow a request down).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _instance import admin_client, throwaway_app  # noqa: E402

DOCTYPES = 50
FIELDS = 20


def _define(app) -> None:
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.app_context(), acting_as("Administrator"):
        for i in range(DOCTYPES):
            fields = [{"label": f"Field {j}", "fieldtype": ("Data", "Int", "Date", "Check")[j % 4]}
                      for j in range(FIELDS)]
            documents.create("DocType", {"name": f"Bench Type {i}", "fields": fields,
                                         "permissions": [{"role": "System Manager", "read": 1, "write": 1,
                                                          "create": 1}]})
        for j in range(10):
            documents.create("Custom Field", {"dt": "ToDo", "label": f"Extra {j}", "fieldtype": "Data"})


def _per_request(app) -> tuple[float, float]:
    from webapp.doctypes import registry

    firsts, rest = [], []
    for _ in range(2000):
        with app.test_request_context("/api/resource/ToDo"):
            t0 = time.perf_counter()
            registry.get("ToDo")
            t1 = time.perf_counter()
            for _ in range(10):
                registry.get("Bench Type 7")
            t2 = time.perf_counter()
        firsts.append(t1 - t0)
        rest.append((t2 - t1) / 10)
    return statistics.median(firsts) * 1e6, statistics.median(rest) * 1e6


def _rebuild(app) -> float:
    from webapp.customize import registry_cache

    times = []
    with app.app_context():
        for _ in range(5):
            t0 = time.perf_counter()
            registry_cache.load(1)
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def _rest(app, rounds: int = 400) -> tuple[float, float]:
    client = admin_client(app)
    name = client.post("/api/resource/ToDo", json={"description": "bench"}).get_json()["data"]["name"]
    gets, posts = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        assert client.get(f"/api/resource/ToDo/{name}").status_code == 200
        t1 = time.perf_counter()
        assert client.post("/api/resource/ToDo", json={"description": "x"}).status_code == 200
        t2 = time.perf_counter()
        gets.append(t1 - t0)
        posts.append(t2 - t1)
    return statistics.median(gets) * 1e3, statistics.median(posts) * 1e3


def main() -> None:
    plain = throwaway_app("bench-doctypes-plain-")
    get0, post0 = _rest(plain)
    app = throwaway_app("bench-doctypes-")
    _define(app)
    first, rest = _per_request(app)
    print(f"1. registry per request: first lookup {first:.1f} us (stamp read), each lookup after it {rest:.2f} us")
    print(f"2. rebuild after a change ({DOCTYPES} doctypes x {FIELDS} fields, 10 Custom Fields): {_rebuild(app):.1f} ms")
    get1, post1 = _rest(app)
    print(f"3. GET ToDo {get0:.2f} ms -> {get1:.2f} ms (ratio {get1 / get0:.2f}); "
          f"POST ToDo {post0:.2f} ms -> {post1:.2f} ms (ratio {post1 / post0:.2f}), fresh site -> "
          f"{DOCTYPES} user doctypes and 10 Custom Fields on ToDo")


if __name__ == "__main__":
    main()
