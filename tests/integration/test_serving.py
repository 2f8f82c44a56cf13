"""gunicorn.conf.py (used by scripts/run.sh and by `gunicorn wsgi:app`) honours HOST and PORT."""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONF = str(ROOT / "gunicorn.conf.py")


def _settings(monkeypatch, **env: str) -> dict:
    for key in ("HOST", "PORT", "WEB_CONCURRENCY"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(CONF)


def test_default_address_is_localhost_8000(monkeypatch):
    conf = _settings(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:8000"] and conf["workers"] == 1


def test_host_and_port_from_the_environment(monkeypatch):
    assert _settings(monkeypatch, HOST="0.0.0.0", PORT="9123")["bind"] == ["0.0.0.0:9123"]
    assert _settings(monkeypatch, HOST="::1", PORT="9124")["bind"] == ["[::1]:9124"]
    assert _settings(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3


@pytest.mark.parametrize("port", ["http", "0", "70000", "-1"])
def test_a_bad_port_is_refused_with_what_to_fix(monkeypatch, port):
    with pytest.raises(SystemExit, match="PORT must be a number from 1 to 65535"):
        _settings(monkeypatch, PORT=port)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_serves_on_the_chosen_port(tmp_path):
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "WEBAPP_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/site.sqlite3", "SECRET_KEY": "x"}
    env.pop("REDIS_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen([gunicorn, "-c", CONF, "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/method/ping", timeout=2) as r:
                    assert r.status == 200 and b"pong" in r.read()
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not serve on port {port}: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()
