"""What a script that got past RestrictedPython could do inside its script host (issue #15).

Run by tests/security/test_host_escape.py as a host is run: started with the zygote's environment
(hosts.zygote_env()), it confines itself exactly as webapp.script_host.host.main does, says it is
ready, and then, instead of serving runs, it is the escaped script: plain Python, no sandbox, no
policy. Each probe records what happened; the data probes go through the host's own door to the
worker (Host.call), the only one it has. The results go back as the run's "done" message.

    python escape_probe.py CHANNEL_FD PAGE_FD MEMORY_MB JSON_PATHS
"""

from __future__ import annotations

import json
import os
import sys
import time


def attempt(fn):
    try:
        value = fn()
    except BaseException as exc:  # noqa: BLE001 - every refusal is a result
        return f"refused: {type(exc).__name__}: {exc}"[:300]
    return f"ALLOWED: {value!r}"[:300]


def main() -> None:
    channel_fd, page_fd, memory_mb = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    paths = json.loads(sys.argv[4])

    from webapp.script_api import parent
    from webapp.script_host import host
    from webapp.script_host.protocol import Channel, Progress

    os.setsid()
    progress = Progress(page_fd)
    notes = host.confine(channel_fd, memory_mb)
    h = host.Host(Channel(channel_fd, attr_dicts=True), progress)
    parent.connect(h.call)
    h.channel.send(["ready", {"pid": os.getpid(), "notes": notes}])

    # -- from here on, this is the escaped script ---------------------------------------------------
    results: dict[str, str] = {}
    results["notes"] = repr(notes)
    results["environment"] = repr(sorted(os.environ))
    results["app modules"] = repr(sorted(m for m in sys.modules
                                         if m.split(".")[0] in ("flask", "sqlalchemy", "psycopg", "redis", "rq",
                                                                "werkzeug", "flask_login")
                                         or m.startswith(("webapp.services", "webapp.db", "webapp.models",
                                                          "webapp.runtime", "webapp.config"))))
    for label, path in paths.items():
        if label == "user":
            continue
        results[f"read {label}"] = attempt(lambda p=path: open(p, "rb").read(64))  # noqa: SIM115
    results["read the worker's environment"] = attempt(
        lambda: open(f"/proc/{os.getppid()}/environ", "rb").read(64))  # noqa: SIM115
    results["read /etc/passwd"] = attempt(lambda: open("/etc/passwd").read(64))  # noqa: SIM115
    results["list a directory"] = attempt(lambda: os.listdir(paths["the site config"].rsplit("/", 1)[0]))
    results["write a file"] = attempt(lambda: open(paths["a new file"], "w").write("x"))  # noqa: SIM115

    import socket

    results["open a socket"] = attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    results["open a unix socket"] = attempt(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    results["open a socket pair"] = attempt(socket.socketpair)
    results["fork"] = attempt(os.fork)
    results["posix_spawn"] = attempt(lambda: os.posix_spawn("/bin/true", ["true"], {}))
    results["execv"] = attempt(lambda: os.execv("/bin/true", ["true"]))
    results["signal the worker"] = attempt(lambda: os.kill(os.getppid(), 0))
    results["allocate 900 MB"] = attempt(lambda: len(bytearray(900 * 2**20)))

    import threading

    box: list = []
    t = threading.Thread(target=lambda: box.append(1))
    t.start()
    t.join()
    results["start a thread (allowed: the sandbox's watchdog is one)"] = f"ALLOWED: {box!r}"

    # Data: only through the worker, as the run's user, with that user's permissions.
    results["call get_list Server Script"] = attempt(lambda: h.call("get_list", ("Server Script", {}), {}))
    results["call get_doc User Administrator"] = attempt(lambda: h.call("get_doc", ("User", "Administrator", True), {}))
    planted = {"doctype": "Server Script", "new": True,
               "data": {"name": "planted", "script_type": "API", "api_method": "planted",
                        "script": "frappe.response['message'] = 1"}}
    results["call insert a Server Script"] = attempt(lambda: h.call("doc_insert", (planted,), {}))
    results["call insert a Server Script, ignoring permissions"] = attempt(
        lambda: h.call("doc_insert", (planted,), {"ignore_permissions": True}))
    results["call sql on __Auth"] = attempt(lambda: h.call("sql", ("select * from __Auth",), {}))
    results["call sql delete"] = attempt(lambda: h.call("sql", ("delete from tabToDo",), {}))
    results["call an operation that does not exist"] = attempt(lambda: h.call("os_system", ("id",), {}))
    results["call get_roles of the run's user"] = attempt(lambda: h.call("get_roles", (paths["user"],), {}))
    h.channel.send(["done", results])
    time.sleep(30)  # the worker kills this process when it has read the results


if __name__ == "__main__":
    main()
