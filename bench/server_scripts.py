"""Server Script benchmarks (ratios measured in one run; never part of the test suite).

    .venv/bin/python bench/server_scripts.py [--isolation inline|process]

1. Throughput of an API script that sets a constant message vs the built-in /api/method/ping:
   same gunicorn server (2 workers), same load generator (keep-alive HTTP clients in threads),
   interleaved rounds. Target ratio >= 0.8.
2. Inserting a ToDo with 10 no-op Before Save scripts vs with none (documents service, in process).
   Target ratio <= 1.3.
3. Dispatch with 10,000 scripts on other doctypes and methods vs with 10: inserting a ToDo that
   has one Before Save script. Target ratio <= 1.1.

2 and 3 run each of their two sites in a process of its own (three fresh processes per site, one
after the other) and time inserts in alternating rounds, median per site, so a change in machine
load during the run hits both alike.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


# Where the scripts run: `--isolation inline` for the in-worker path (the default is the site's).
ISOLATION = os.environ.get("BENCH_ISOLATION", "process")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_app(instance: str, new: bool = True):
    os.environ["WEBAPP_INSTANCE_PATH"] = instance
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    from webapp import create_app
    from webapp.cli import init_db

    app = create_app()
    if new:
        with app.app_context():
            init_db()
        app.extensions["site_config"].set("server_script_enabled", True)
        app.extensions["site_config"].set("server_script_isolation", ISOLATION)
    return app


def _insert_script(name: str, **fields) -> None:
    from webapp.services import documents
    from webapp.services.context import acting_as

    with acting_as("Administrator"):
        documents.insert(documents.new_doc("Server Script", {"name": name, **fields}))


def _load(port: int, path: str, seconds: float, threads: int = 4) -> float:
    """Requests per second against one path with keep-alive clients."""
    count = [0] * threads
    failures: list[str] = []
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        # gunicorn's sync workers close the connection after each reply: one connection per request.
        try:
            while time.perf_counter() < stop:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                conn.close()
                if r.status != 200:
                    failures.append(f"{path} answered {r.status}")
                    return
                count[i] += 1
        except OSError as exc:
            failures.append(f"{path}: {exc}")

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if failures:
        raise OSError(failures[0])
    return sum(count) / (time.perf_counter() - start)


def bench_api_vs_ping() -> tuple[float, float, float]:
    instance = tempfile.mkdtemp(prefix="bench-api-")
    app = _make_app(instance)
    with app.app_context():
        _insert_script("bench constant", script_type="API", api_method="bench_constant", allow_guest=1,
                       script="frappe.response['message'] = 'constant'")
    port = _free_port()
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=instance)
    server = subprocess.Popen([os.path.join(ROOT, ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                _load(port, "/api/method/ping", 0.05, threads=1)
                break
            except OSError:
                time.sleep(0.1)
        _load(port, "/api/method/bench_constant", 1.0)  # warm both workers' caches
        ping, script = [], []
        for _ in range(5):
            ping.append(_load(port, "/api/method/ping", 2.0))
            script.append(_load(port, "/api/method/bench_constant", 2.0))
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(instance, ignore_errors=True)
    p, s = statistics.median(ping), statistics.median(script)
    return p, s, s / p


def _insert_samples(n: int) -> list[float]:
    from webapp.services import documents
    from webapp.services.context import acting_as

    samples = []
    with acting_as("Administrator"):
        for i in range(n):
            t0 = time.perf_counter()
            documents.insert(documents.new_doc("ToDo", {"description": f"bench {i}"}))
            samples.append(time.perf_counter() - t0)
    return samples


def _bulk_scripts(n: int) -> None:
    """n scripts on other doctypes (Note, Task) and API methods, inserted in one transaction."""
    from webapp.services import documents
    from webapp.services.context import acting_as, transaction

    with acting_as("Administrator"), transaction():
        for i in range(n):
            kind = i % 3
            if kind == 0:
                fields = {"script_type": "API", "api_method": f"m{i}"}
            else:
                fields = {"script_type": "DocType Event", "reference_doctype": "Note" if kind == 1 else "Task",
                          "doctype_event": "Before Save"}
            documents.insert(documents.new_doc("Server Script", {"name": f"other {i:05d}", "script": f"x = {i}",
                                                                **fields}))


def _noop_scripts(n: int) -> None:
    for i in range(n):
        _insert_script(f"noop {i:02d}", script_type="DocType Event", reference_doctype="ToDo",
                       doctype_event="Before Save", script="pass")


def _the_one_and_others(n: int) -> None:
    _insert_script("the one", script_type="DocType Event", reference_doctype="ToDo", doctype_event="Before Save",
                   script="pass")
    _bulk_scripts(n)


SITES = {
    "no scripts": lambda: None,
    "10 no-op scripts": lambda: _noop_scripts(10),
    "1 + 10 others": lambda: _the_one_and_others(10),
    "1 + 10,000 others": lambda: _the_one_and_others(10_000),
}
PROTOCOL = "bench-site:"


def _site_process(site: str, instance: str, setup: bool) -> None:
    """The child side: one site in its own process, timing `n` inserts for each `n` read on stdin."""
    app = _make_app(instance, new=setup)
    with app.app_context():
        if setup:
            SITES[site]()
        _insert_samples(50)  # loads and compiles the script map once
        print(PROTOCOL, "ready", flush=True)
        for line in sys.stdin:
            n = int(line)
            if n <= 0:
                break
            print(PROTOCOL, json.dumps(_insert_samples(n)), flush=True)


def _reply(proc: subprocess.Popen) -> str:
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench site process ended early (exit code {proc.wait()})")
        if line.startswith(PROTOCOL):
            return line[len(PROTOCOL):].strip()


def _interleaved_inserts(sites: list[str], sessions: int = 3, rounds: int = 6, per_round: int = 40) -> list[float]:
    """Median ToDo insert time per site. Each site runs in a process of its own (what one site
    loads, e.g. 10,000 scripts, weighs on its own process only); the sites are timed in alternating
    rounds, so a change in machine load hits them alike; and each site is timed in `sessions` fresh
    processes, so one process that happens to run slow (where it landed, its memory layout) does
    not decide the figure."""
    dirs = [tempfile.mkdtemp(prefix="bench-site-") for _ in sites]
    samples: list[list[float]] = [[] for _ in sites]
    try:
        for session in range(sessions):
            procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--site", site, instance,
                                       "setup" if session == 0 else "reuse"], cwd=ROOT, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
                     for site, instance in zip(sites, dirs, strict=True)]
            try:
                for proc in procs:
                    _reply(proc)
                for _ in range(rounds):
                    for proc, into in zip(procs, samples, strict=True):
                        proc.stdin.write(f"{per_round}\n")
                        proc.stdin.flush()
                        into.extend(json.loads(_reply(proc)))
            finally:
                for proc in procs:
                    if proc.poll() is None:
                        proc.stdin.write("0\n")
                        proc.stdin.close()
                    proc.wait(60)
    finally:
        for instance in dirs:
            shutil.rmtree(instance, ignore_errors=True)
    return [statistics.median(s) for s in samples]


def bench_noop_scripts() -> tuple[float, float, float]:
    base, with_scripts = _interleaved_inserts(["no scripts", "10 no-op scripts"])
    return base * 1e3, with_scripts * 1e3, with_scripts / base


def bench_dispatch() -> tuple[float, float, float]:
    few, many = _interleaved_inserts(["1 + 10 others", "1 + 10,000 others"])
    return few * 1e3, many * 1e3, many / few


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
          f"server_script_isolation: {ISOLATION}")
    ping, script, ratio = bench_api_vs_ping()
    print(f"1. API script vs ping (gunicorn -w 2): ping {ping:.0f} req/s, script {script:.0f} req/s, "
          f"ratio {ratio:.2f} (target >= 0.8)")
    base, with_scripts, ratio = bench_noop_scripts()
    print(f"2. ToDo insert: no scripts {base:.3f} ms, 10 no-op Before Save scripts {with_scripts:.3f} ms, "
          f"ratio {ratio:.2f} (target <= 1.3)")
    few, many, ratio = bench_dispatch()
    print(f"3. Dispatch: 10 scripts {few:.3f} ms, 10,000 scripts {many:.3f} ms per insert, ratio {ratio:.2f} "
          f"(target <= 1.1)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--isolation"]:
        os.environ["BENCH_ISOLATION"] = ISOLATION = sys.argv[2]  # the site processes read it too
        del sys.argv[1:3]
    if sys.argv[1:2] == ["--site"]:
        _site_process(sys.argv[2], sys.argv[3], sys.argv[4] == "setup")
    else:
        main()
