"""A full sandbox escape, simulated (issue #15): if a script got past RestrictedPython (every
RestrictedPython CVE of 2023-2026 was such a way), what could it do from its script host?

tests/security/escape_probe.py is started as a host is (the zygote's environment), confines itself
with the host's own `confine()`, and then runs plain, unsandboxed Python: it tries to read the
site's config, database and secret key, the worker's environment, to write a file, open a socket,
start a process, signal the worker, allocate past its budget, and to reach data through the one
door it has, the worker's bridge, which answers here as it does for a run: as the run's user (one
with no roles), with that user's permissions.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from webapp.runtime import hosts
from webapp.script_host import protocol
from webapp.services import context, run_context
from webapp.services.run_context import RunContext

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "escape_probe.py")
USER = "escaped@example.com"


@pytest.fixture(scope="module")
def probe_results(app, instance_dir, tmp_path_factory):
    from webapp.services import users

    with app.app_context():
        users.save_user(USER, password="Password-1", roles=[])
    secret_file = os.path.join(instance_dir, "secret_key")
    if not os.path.exists(secret_file):  # the suite sets SECRET_KEY; a site keeps one here
        with open(secret_file, "w") as f:
            f.write("a-secret-key-on-disk")
    app.extensions["site_config"].set("server_script_enabled", True)  # the site config file exists
    paths = {"the site config": os.path.join(instance_dir, "site_config.json"),
             "the secret key": secret_file,
             "a new file": str(tmp_path_factory.mktemp("escape") / "written-by-an-escape"),
             "user": USER}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):  # PostgreSQL is a socket away: "open a socket" is that probe
        paths["the database"] = url.split("///", 1)[1]
        assert os.path.exists(paths["the database"])
    assert os.path.exists(paths["the site config"])
    ours, theirs = socket.socketpair()
    page = os.memfd_create("escape-probe-progress")
    os.ftruncate(page, protocol.PROGRESS_BYTES)
    proc = subprocess.Popen(  # noqa: S603 - our own probe
        [sys.executable, PROBE, str(theirs.fileno()), str(page), "128", json.dumps(paths)],
        pass_fds=(theirs.fileno(), page), env=hosts.zygote_env(), cwd=hosts.ROOT,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    theirs.close()
    host = hosts.Host(proc.pid, ours.detach(), page, 128)  # waits for "ready"
    try:
        with app.app_context():
            ctx = RunContext("escape", "API", USER)
            ctx.deadline = time.monotonic() + 60
            token = run_context.enter(ctx)
            try:
                with context.acting_as(USER), context.transaction():  # as a request of USER's would
                    message = host._wait(time.monotonic() + 60)  # serving its calls, as a run does
            finally:
                run_context.leave(token)
    finally:
        host.kill()
        proc.wait(10)
    assert message[0] == "done", message
    results = message[1]
    results["paths"] = paths
    return results


def _refused(results: dict, probe: str, why: str = "") -> None:
    outcome = results[probe]
    assert outcome.startswith("refused: "), f"{probe}: {outcome}"
    assert why in outcome, f"{probe}: {outcome}"


def test_an_escaped_script_holds_no_secret_and_none_of_the_app(probe_results, app) -> None:
    assert probe_results["notes"] == "[]"  # every confinement applied (the seccomp filter too)
    env = eval(probe_results["environment"])  # noqa: S307 - a repr of a list of str, from the probe
    assert not [k for k in env if any(w in k.upper() for w in ("SECRET", "DATABASE", "REDIS", "PASSWORD",
                                                                "TOKEN", "KEY", "WEBAPP"))], env
    assert eval(probe_results["app modules"]) == []  # noqa: S307 - no Flask, no SQLAlchemy, no services


def test_an_escaped_script_cannot_read_the_site_or_the_worker(probe_results) -> None:
    for probe in ("read the site config", "read the secret key", "read the worker's environment",
                  "read /etc/passwd", "list a directory"):
        _refused(probe_results, probe)
    if "the database" in probe_results["paths"]:
        _refused(probe_results, "read the database")
    assert "server_script_enabled" not in probe_results["read the site config"]


def test_an_escaped_script_cannot_write_connect_or_start_a_process(probe_results) -> None:
    for probe in ("write a file", "open a socket", "open a unix socket", "open a socket pair",
                  "fork", "posix_spawn", "execv", "signal the worker"):
        _refused(probe_results, probe)
    assert not os.path.exists(probe_results["paths"]["a new file"])
    _refused(probe_results, "allocate 900 MB", "MemoryError")


def test_an_escaped_script_reaches_data_only_through_permission_checked_calls(probe_results, client,
                                                                              api_keys) -> None:
    _refused(probe_results, "call get_list Server Script", "PermissionError")
    _refused(probe_results, "call get_doc User Administrator", "PermissionError")
    _refused(probe_results, "call insert a Server Script", "PermissionError")
    _refused(probe_results, "call insert a Server Script, ignoring permissions", "PermissionError")
    _refused(probe_results, "call sql on __Auth")
    _refused(probe_results, "call sql delete", "PermissionError")
    _refused(probe_results, "call an operation that does not exist", "does not exist")
    assert probe_results["call get_roles of the run's user"] == "ALLOWED: []"  # the door works, as that user
    r = client.get("/api/resource/Server Script/planted", headers=api_keys("Administrator"))
    assert r.status_code == 404


