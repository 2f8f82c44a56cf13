"""Runaway scripts against a real server (issues #11 and #15): gunicorn, one worker with threads,
as in production. Each script first inserts a ToDo, then runs a pattern that backtracks for ever,
asks for a huge number or container, allocates 900 MB in one C call, sorts tens of millions of
items, or loops for ever inside a nested call. Meanwhile the worker's other threads keep answering
ping within a second; the call ends with 417 as Timeout or Memory within its budget + 1 s; the web
worker's memory does not grow; and the ToDo is rolled back."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from webapp.config import SITE_CONFIG_DEFAULTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")

PAYLOADS = {
    "rx_backtrack": ("import re\nm = re.match('(a|aa)*$', 'a' * 60 + 'b')", "ScriptTimeoutError"),
    "rx_reported": ("import re\nfor i in range(200000):\n    re.match('(.*)(.*)(.*)(.*)X', 'a' * 420)\n"
                    "    re.match('(?:a?){28}a{28}', 'a' * 28)", "ScriptTimeoutError"),
    "big_decimal": ("import decimal\nx = int(decimal.Decimal('1e500000'))", "ScriptMemoryError"),
    "big_from_bytes": ("import statistics\nx = statistics.variance([int.from_bytes(b'\\xff' * 3_000_000, 'big'), 1])",
                       "ScriptMemoryError"),
    "big_lcm": ("import math\nx = math.lcm(*range(1, 180000))", "ScriptMemoryError"),
    "big_list": ("x = list(b'a' * (100 * 2**20))", "ScriptMemoryError"),
    "alloc_900mb": ("x = bytearray(900 * 2**20)", "ScriptMemoryError"),
    "sort_30m": ("x = sorted(range(30_000_000), reverse=True)", "ScriptMemoryError"),
    "nested_loop": ("frappe.call('runaway_inner')", "ScriptTimeoutError"),
}
INNER = "n = 0\nwhile True:\n    n += 1"
TIMEOUT_S = 2


def _worker_rss(master: int) -> int:
    """Resident memory of gunicorn's (only) worker, in bytes: not its script hosts, which are
    its children."""
    with open(f"/proc/{master}/task/{master}/children") as f:
        (worker,) = [int(p) for p in f.read().split()]
    with open(f"/proc/{worker}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, timeout: float, data: bytes | None = None,
          headers: dict | None = None) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}),
                                    timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture(scope="module")
def server(app, instance_dir):
    if not os.path.exists(GUNICORN) and not shutil.which("gunicorn"):
        pytest.skip("gunicorn is not installed")
    port = _free_port()
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=instance_dir, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="test-secret", PYTHONPATH=ROOT)
    proc = subprocess.Popen([GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
                             "--timeout", "60", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                if _call(base + "/api/method/ping", 2)[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail("gunicorn did not start")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def script(client, api_keys, site_config):
    # The server reads the site's config file: it runs scripts the way this suite run does.
    site_config(server_script_enabled=True, server_script_timeout=TIMEOUT_S,
                server_script_isolation=SITE_CONFIG_DEFAULTS["server_script_isolation"])
    admin = api_keys("Administrator")

    def save(method: str, source: str) -> None:
        body = {"name": method, "script_type": "API", "api_method": method, "script": source}
        reply = client.post("/api/resource/Server Script", json=body, headers=admin)
        assert reply.status_code == 200, reply.get_json()

    def make(method: str) -> None:
        if method == "nested_loop":
            save("runaway_inner", INNER)
        marker = f"runaway {method}"
        save(method, f"frappe.get_doc({{'doctype': 'ToDo', 'description': {marker!r}}}).insert()\n"
                     + PAYLOADS[method][0])

    def written(method: str) -> list:
        reply = client.get("/api/resource/ToDo", headers=admin, query_string={
            "filters": json.dumps([["description", "=", f"runaway {method}"]])})
        assert reply.status_code == 200, reply.get_json()
        return reply.get_json()["data"]

    make.admin = admin
    make.written = written
    return make


@pytest.mark.parametrize("method", list(PAYLOADS))
def test_ping_answers_while_a_runaway_script_runs_and_the_script_ends_417(server, script, method) -> None:
    server, master = server
    script(method)
    outcome: dict = {}
    # Warm the worker up to its steady state (a first request loads what it lazily loads).
    for _ in range(3):
        assert _call(f"{server}/api/method/ping", 5)[0] == 200
    rss_before = _worker_rss(master)

    def call_script() -> None:
        started = time.perf_counter()
        outcome["reply"] = _call(f"{server}/api/method/{method}", 30, data=b"",
                                 headers=script.admin)
        outcome["elapsed"] = time.perf_counter() - started

    caller = threading.Thread(target=call_script)
    caller.start()
    slowest = 0.0
    while caller.is_alive():
        started = time.perf_counter()
        status, body = _call(f"{server}/api/method/ping", 5)
        slowest = max(slowest, time.perf_counter() - started)
        assert (status, body) == (200, {"message": "pong"})
        time.sleep(0.05)
    caller.join()
    status, body = outcome["reply"]
    assert status == 417, body
    assert body["exc_type"] == PAYLOADS[method][1], body
    assert slowest < 1.0, f"ping took {slowest:.2f} s while {method} ran"
    assert outcome["elapsed"] < TIMEOUT_S + 1.0, outcome["elapsed"]
    assert script.written(method) == []  # the script's insert was rolled back
    if SITE_CONFIG_DEFAULTS["server_script_isolation"] == "process":
        # Only a script host keeps the web worker's memory flat: inline, a script's big (refused
        # or freed) allocation can leave the worker's heap grown, which is why process is the default.
        grown = _worker_rss(master) - rss_before
        assert grown < 32 * 2**20, f"the web worker grew by {grown / 2**20:.0f} MB"
