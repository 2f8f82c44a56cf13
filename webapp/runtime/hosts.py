"""Script hosts, as a web worker keeps them: one per thread, forked from this process's zygote.

`ProcessTransport.execute(spec, deadline)` sends a run to the calling thread's host and serves
the host's calls (the bridge) until the run is done. A host that does not answer by the run's
deadline (plus a short grace, for the host's own watchdog to report the timeout at its line) is
killed with SIGKILL: the run ends as a Timeout, the operation rolls back, and the next run gets a
fresh host. Hosts are recycled after many runs, when their memory or CPU time has grown, or when
the site's memory budget changes. Processes forked from this one (gunicorn workers) make their own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from webapp.errors import ScriptError
from webapp.runtime import bridge
from webapp.sandbox import ScriptTimeoutError
from webapp.script_api import runner
from webapp.script_api.wire import error_from_wire, error_to_wire
from webapp.script_host.protocol import Channel, ChannelClosed, ChannelTimeout
from webapp.services import script_settings
from webapp.services.context import acting_as

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GRACE_S = 0.5  # past a run's deadline, before the host is killed: its own watchdog reports first
START_TIMEOUT_S = 30.0
MAX_RUNS = 2000
MAX_CPU_S = 300.0
# What a zygote's environment keeps of the worker's: enough to start Python, nothing of the app's.
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")


class HostError(ScriptError):
    """The script host could not be started or stopped answering."""


class Zygote:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        env.update(PYTHONPATH=ROOT, PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "webapp.script_host.zygote", str(theirs.fileno())], pass_fds=(theirs.fileno(),),
            env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.control = ours
        self.lock = threading.Lock()

    def fork(self, memory_mb: int) -> tuple[int, int]:
        """A new host: (its process id, our end of its channel)."""
        with self.lock:
            self.control.settimeout(START_TIMEOUT_S)
            self.control.sendall(str(int(memory_mb)).encode())
            message, fds, _flags, _addr = socket.recv_fds(self.control, 64, 1)
        if not message or not fds:
            raise HostError("The script host could not be started (the zygote did not answer)")
        return int(message), fds[0]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        try:
            self.control.close()
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(5)


class Host(bridge.ScriptSide):
    """One script host process and its channel; used by one thread at a time."""

    def __init__(self, pid: int, fd: int, memory_mb: int) -> None:
        self.pid = pid
        self.channel = Channel(fd)
        self.memory_mb = memory_mb
        self.runs = 0
        self.rss0 = 0
        self.alive = True
        self.notes: list[str] = []
        self.known: set[tuple[str, str]] = set()  # scripts whose source this host has been sent
        ready = self._recv(time.monotonic() + START_TIMEOUT_S)
        if ready[0] != "ready":
            self.kill()
            raise HostError(f"The script host did not start: {ready!r}"[:300])
        self.notes = list(ready[1].get("notes") or [])

    def _recv(self, deadline: float) -> list:
        try:
            return self.channel.recv(deadline)
        except ChannelClosed:
            self.kill()
            raise

    def kill(self) -> None:
        if self.alive:
            self.alive = False
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.channel.close()

    # -- runs ---------------------------------------------------------------------------------------
    def execute(self, spec: dict[str, Any], deadline: float) -> dict[str, Any]:
        for script in spec["scripts"]:
            key = (script["sha256"], script["filename"])
            if key in self.known:
                script.pop("source", None)
            else:
                self.known.add(key)
        if len(self.known) >= runner.MAX_KNOWN:
            self.runs = MAX_RUNS  # it holds all the sources it may: retired after this run
        started = time.monotonic()
        per_run = float(spec["timeout_s"])
        run_deadline = min(deadline, started + per_run)
        ran: list[dict[str, Any]] = []
        self.runs += 1
        try:
            self.channel.send(["run", spec])
            while True:
                message = self._wait(run_deadline)
                kind = message[0]
                if kind == "ran":
                    ran.append(message[1])
                    run_deadline = min(deadline, time.monotonic() + per_run)  # the group's next script
                elif kind == "done":
                    done = message[1]
                    self._note_health(done.pop("host", None))
                    return done
                else:
                    raise ChannelClosed(f"unexpected message {kind!r}")
        except ChannelTimeout:
            self.kill()
            return self._stopped(spec, ran, "Timeout", started,
                                 ScriptTimeoutError(f"Script exceeded its time limit of {per_run:g} s"))
        except ChannelClosed:
            self.kill()
            return self._stopped(spec, ran, "Error", started, HostError(
                "The script host stopped while the script ran (it may have run out of memory)"))
        except Exception as exc:
            if self.alive:
                raise
            # This host was killed under a nested run (its deadline passed): this run ends with it.
            status = "Timeout" if isinstance(exc, ScriptTimeoutError) else "Error"
            return self._stopped(spec, ran, status, started, exc)

    def _wait(self, deadline: float) -> list:
        """The host's next message for this run, serving its calls meanwhile."""
        while True:
            message = self._recv(max(deadline, time.monotonic()) + GRACE_S)
            if message[0] != "call":
                return message
            self._answer(message)

    def _answer(self, message: list) -> None:
        _, op, args, kwargs = message
        try:
            result = bridge.dispatch(self, op, args, kwargs)
        except Exception as exc:  # noqa: BLE001 - the script's to catch, as data
            if not self.alive:
                raise  # this host was killed under us (a nested run timed out): end the run
            self.channel.send(["error", error_to_wire(exc)])
            return
        except BaseException:
            self.kill()
            raise
        self.channel.send(["result", result])

    def _stopped(self, spec: dict[str, Any], ran: list, status: str, started: float,
                 error: BaseException) -> dict[str, Any]:
        """`done` for a run whose host was stopped: the runs that ended, then the one it stopped."""
        index = len(ran)
        name = spec["scripts"][min(index, len(spec["scripts"]) - 1)]["name"]
        record = {"name": name, "status": status, "output": "", "logs": [], "error": error_to_wire(error),
                  "lineno": None, "duration_ms": (time.monotonic() - started) * 1000.0, "started": time.time()}
        return {"runs": [*ran, record]}

    def _note_health(self, health: Any) -> None:
        if not isinstance(health, dict):
            return
        rss = int(health.get("rss") or 0)
        if not self.rss0:
            self.rss0 = rss
        cpu = float(health.get("cpu_s") or 0)
        if self.runs >= MAX_RUNS or cpu > MAX_CPU_S or rss > self.rss0 + self.memory_mb * 1024 * 1024:
            self.retire()

    def retire(self) -> None:
        """Stop this host after its run (the next run of the thread forks a fresh one)."""
        if self.alive:
            try:
                self.channel.send(["stop"])
            except ChannelClosed:
                pass
            self.kill()

    # -- transaction hooks (bridge.ScriptSide) ----------------------------------------------------------
    def run_callback(self, callback: int, user: str, script: str, raise_errors: bool) -> None:
        if not self.alive:
            bridge.log.error("Server Script %r: a transaction hook was lost with its script host", script)
            return
        budget = script_settings.limits()
        deadline = time.monotonic() + budget.timeout_s
        with acting_as(user):
            try:
                self.channel.send(["callback", callback, budget.timeout_s, budget.memory_mb])
                message = self._wait(deadline)
            except ChannelTimeout:
                self.kill()
                message = ["callback_done", error_to_wire(ScriptTimeoutError(
                    f"Script exceeded its time limit of {budget.timeout_s:g} s"))]
            except ChannelClosed:
                message = ["callback_done", error_to_wire(HostError("The script host stopped"))]
        error = message[1] if message[0] == "callback_done" else None
        if error is None:
            return
        if raise_errors:
            raise error_from_wire(error)
        bridge.log.error("Server Script %r: a transaction hook failed: %s: %s", script, error["type"],
                         error.get("message"))

    def forget_callback(self, callback: int) -> None:
        if self.alive:
            try:
                self.channel.send(["forget", callback])
            except ChannelClosed:
                self.kill()


class HostPool:
    """This process's zygote and its threads' hosts."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.zygote: Zygote | None = None
        self.local = threading.local()
        self.lock = threading.Lock()

    def _zygote(self) -> Zygote:
        with self.lock:
            if self.zygote is None or not self.zygote.alive():
                if self.zygote is not None:
                    self.zygote.stop()
                self.zygote = Zygote()
            return self.zygote

    def host(self, memory_mb: int) -> Host:
        host: Host | None = getattr(self.local, "host", None)
        if host is not None and (not host.alive or host.memory_mb != memory_mb):
            host.retire()
            host = None
        if host is None:
            pid, fd = self._zygote().fork(memory_mb)
            host = Host(pid, fd, memory_mb)
            self.local.host = host
        return host

    def current_host(self) -> Host | None:
        return getattr(self.local, "host", None)

    def close(self) -> None:
        host = self.current_host()
        if host is not None:
            host.retire()
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote = None


_pools: list[HostPool] = []
_pools_lock = threading.Lock()


def pool() -> HostPool:
    """This process's pool (a forked child starts its own, never touching its parent's hosts)."""
    with _pools_lock:
        if not _pools or _pools[0].pid != os.getpid():
            _pools[:] = [HostPool()]
        return _pools[0]


class ProcessTransport:
    """Scripts run in the calling thread's script host (the site's default)."""

    def execute(self, spec: dict[str, Any], deadline: float) -> dict[str, Any]:
        host = pool().host(int(spec["memory_mb"]))
        return host.execute(spec, deadline)


PROCESS = ProcessTransport()
