"""Runaway C calls against a real server (issue #11): gunicorn, one worker with threads, as in
production. While an API script runs a pattern that backtracks for ever or asks for a huge number
or container, the worker's other threads keep answering ping within a second, and the script's
call ends with 417 as Timeout or Memory."""

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
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, timeout: float, data: bytes | None = None) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=timeout) as r:
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
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def script(client, api_keys, site_config):
    site_config(server_script_enabled=True, server_script_timeout=2)

    def make(method: str) -> None:
        body = {"name": method, "script_type": "API", "api_method": method, "allow_guest": 1,
                "script": PAYLOADS[method][0]}
        reply = client.post("/api/resource/Server Script", json=body, headers=api_keys("Administrator"))
        assert reply.status_code == 200, reply.get_json()

    return make


@pytest.mark.parametrize("method", list(PAYLOADS))
def test_ping_answers_while_a_runaway_script_runs_and_the_script_ends_417(server, script, method) -> None:
    script(method)
    outcome: dict = {}

    def call_script() -> None:
        outcome["reply"] = _call(f"{server}/api/method/{method}", 30, data=b"")

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
