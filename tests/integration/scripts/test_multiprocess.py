"""Two worker processes on one database: a script change reaches both, and rate-limit counters are
shared through Redis."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import WORKER_NO

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or f"redis://127.0.0.1:6379/{10 + WORKER_NO}"


def _redis_available(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base: str, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + path, timeout=20) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture(scope="module")
def workers(app, instance_dir):
    redis_url = _redis_url()
    if not _redis_available(redis_url):
        pytest.skip(f"Redis is not reachable at {redis_url}: start it to test counters shared by workers")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=instance_dir, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=redis_url, SECRET_KEY="test-secret", PYTHONPATH=ROOT)
    procs, bases = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port),
                                       "--no-reload"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.time() + 30
        for base in bases:
            while True:
                try:
                    if _get(base, "/api/method/ping")[0] == 200:
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    pytest.fail(f"worker at {base} did not start")
                time.sleep(0.2)
        yield bases
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


@pytest.fixture
def scripts_on(site_config):
    site_config(server_script_enabled=True)


def test_script_change_reaches_every_worker(workers, client, api_keys, scripts_on):
    a, b = workers
    headers = api_keys("Administrator")
    body = {"name": "ver", "script_type": "API", "api_method": "ver", "allow_guest": 1,
            "script": "frappe.response['message'] = 'v1'"}
    assert client.post("/api/resource/Server Script", json=body, headers=headers).status_code == 200
    assert _get(a, "/api/method/ver") == (200, {"message": "v1"})
    assert _get(b, "/api/method/ver") == (200, {"message": "v1"})
    client.put("/api/resource/Server Script/ver", json={"script": "frappe.response['message'] = 'v2'"}, headers=headers)
    assert _get(a, "/api/method/ver") == (200, {"message": "v2"})
    assert _get(b, "/api/method/ver") == (200, {"message": "v2"})
    client.put("/api/resource/Server Script/ver", json={"disabled": 1}, headers=headers)
    assert _get(a, "/api/method/ver")[0] == 404
    assert _get(b, "/api/method/ver")[0] == 404


def test_rate_limit_counters_are_shared_by_workers(workers, client, api_keys, scripts_on):
    a, b = workers
    body = {"name": "lim", "script_type": "API", "api_method": "lim_shared", "allow_guest": 1, "enable_rate_limit": 1,
            "rate_limit_count": 4, "rate_limit_seconds": 120, "script": "frappe.response['message'] = 'ok'"}
    assert client.post("/api/resource/Server Script", json=body, headers=api_keys("Administrator")).status_code == 200
    codes = [_get(base, "/api/method/lim_shared")[0] for base in (a, b, a, b)]
    assert codes == [200, 200, 200, 200]
    status, reply = _get(a, "/api/method/lim_shared")
    assert status == 429 and reply["exc_type"] == "RateLimitExceededError"
    assert _get(b, "/api/method/lim_shared")[0] == 429
