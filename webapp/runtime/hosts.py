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
from webapp.script_host.protocol import Channel, ChannelClosed, ChannelTimeout, Progress
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


def zygote_env() -> dict[str, str]:
    """The environment a zygote starts with: enough to start Python, none of the app's settings."""
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    env.update(PYTHONPATH=ROOT, PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
    return env


class Zygote:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = zygote_env()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "webapp.script_host.zygote", str(theirs.fileno())], pass_fds=(theirs.fileno(),),
            env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.control = ours
        self.lock = threading.Lock()

    def fork(self, memory_mb: int) -> tuple[int, int, int]:
        """A new host: (its process id, our end of its channel, its progress page)."""
        with self.lock:
            self.control.settimeout(START_TIMEOUT_S)
            self.control.sendall(str(int(memory_mb)).encode())
            message, fds, _flags, _addr = socket.recv_fds(self.control, 64, 2)
        if not message or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            raise HostError("The script host could not be started (the zygote did not answer)")
        return int(message), fds[0], fds[1]

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

    def __init__(self, pid: int, fd: int, page: int, memory_mb: int) -> None:
        self.pid = pid
        self.channel = Channel(fd)
        self.progress = Progress(page)
        self.memory_mb = memory_mb
        self.runs = 0
        self.rss0 = 0
        self.alive = True
        self.notes: list[str] = []
        self.known: set[tuple[str, str]] = set()  # scripts whose source this host has been sent
        self.metas: dict[str, dict[str, Any]] = {}  # doctype metadata it has been sent, by name
        self.metas_version: Any = None
        self.depth = 0  # runs in progress (a nested run comes while the outer one waits on a call)
        self.callbacks: set[int] = set()  # transaction hooks it holds for the thread using it
        self.pool: HostPool | None = None
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
        self.progress.close()

    # -- runs ---------------------------------------------------------------------------------------
    def execute(self, spec: dict[str, Any], deadline: float) -> dict[str, Any]:
        for script in spec["scripts"]:
            key = (script["sha256"], script["filename"])
            if key in self.known:
                script.pop("source", None)
            else:
                self.known.add(key)
        version = spec.get("metas_version")
        if version != self.metas_version:
            self.metas.clear()  # the host forgets them too (runner: METAS.at_version)
            self.metas_version = version
        if spec.get("metas"):
            sent = [wire for wire in spec["metas"] if self.metas.get(wire["name"]) is not wire]
            for wire in sent:
                self.metas[wire["name"]] = wire
            spec["metas"] = sent
        if len(self.known) >= runner.MAX_KNOWN:
            self.runs = MAX_RUNS  # it holds all the sources it may: retired after this run
        started = time.monotonic()
        per_run = float(spec["timeout_s"])
        self.runs += 1
        spec["run"] = number = self.runs
        index = 0
        try:
            self.channel.send(["run", spec])
            run_deadline = min(deadline, started + per_run)
            while True:
                try:
                    message = self._wait(run_deadline)
                except ChannelTimeout:
                    # Each script of a group has its own time: the host notes on its progress
                    # page when each starts (never believed past the group's deadline).
                    seen, index, since = self.progress.read()
                    if (seen != number or not 0 <= index < len(spec["scripts"])
                            or min(deadline, since + per_run) + GRACE_S <= time.monotonic()):
                        raise
                    run_deadline = min(deadline, since + per_run)
                    continue
                if message[0] != "done" or len(message) != 2:
                    raise ChannelClosed(f"unexpected message {message[0]!r}")
                done = checked_done(message[1], spec)
                self._note_health(done.pop("host", None))
                return done
        except ChannelTimeout:
            self.kill()
            return self._stopped(spec, index, "Timeout", started,
                                 ScriptTimeoutError(f"Script exceeded its time limit of {per_run:g} s"))
        except ChannelClosed:
            seen, index, _ = self.progress.read()
            self.kill()
            return self._stopped(spec, index if seen == number else 0, "Error", started, HostError(
                "The script host stopped while the script ran (it may have run out of memory)"))
        except Exception as exc:
            if self.alive:
                raise
            # This host was killed under a nested run (its deadline passed): this run ends with it.
            status = "Timeout" if isinstance(exc, ScriptTimeoutError) else "Error"
            return self._stopped(spec, index, status, started, exc)

    def _wait(self, deadline: float) -> list:
        """The host's next message for this run, serving its calls meanwhile."""
        while True:
            message = self._recv(max(deadline, time.monotonic()) + GRACE_S)
            if message[0] != "call":
                return message
            self._answer(message)

    def _answer(self, message: list) -> None:
        if len(message) != 4:
            raise ChannelClosed("a malformed call")
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

    def _stopped(self, spec: dict[str, Any], index: int, status: str, started: float,
                 error: BaseException) -> dict[str, Any]:
        """`done` for a run whose host was stopped: the script it stopped in (the group's scripts
        before it ended well, but what they printed went with the host: they are not logged)."""
        scripts = spec["scripts"]
        name = scripts[min(max(index, 0), len(scripts) - 1)]["name"]
        record = {"name": name, "status": status, "output": "", "logs": [], "error": error_to_wire(error),
                  "lineno": None, "duration_ms": (time.monotonic() - started) * 1000.0, "started": time.time()}
        return {"runs": [record]}

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
    def keep_callback(self, callback: int) -> None:
        self.callbacks.add(callback)

    def run_callback(self, callback: int, user: str, script: str, raise_errors: bool) -> None:
        try:
            self._run_callback(callback, user, script, raise_errors)
        finally:
            self._done_with(callback)

    def _run_callback(self, callback: int, user: str, script: str, raise_errors: bool) -> None:
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
        try:
            if self.alive:
                try:
                    self.channel.send(["forget", callback])
                except ChannelClosed:
                    self.kill()
        finally:
            self._done_with(callback)

    def _done_with(self, callback: int) -> None:
        self.callbacks.discard(callback)
        if self.pool is not None:
            self.pool.release(self)


_STATUSES = frozenset({"Success", "Error", "Timeout", "Memory"})
_RECORD = {"name": (str,), "status": (str,), "output": (str,), "logs": (list,), "error": (dict, type(None)),
           "lineno": (int, type(None)), "duration_ms": (int, float), "started": (int, float)}


def checked_done(done: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """A host's `done`, refused (as a host that misbehaved: ChannelClosed) unless it has the shape
    runner.py gives it: a host is not trusted, even though what it sends is only data."""
    if type(done) is not dict or type(done.get("runs")) is not list:
        raise ChannelClosed("a malformed answer")
    runs, scripts = done["runs"], spec["scripts"]
    if not 0 < len(runs) <= len(scripts):
        raise ChannelClosed("an answer for other scripts")
    for record, script in zip(runs, scripts, strict=False):
        if type(record) is not dict or record.get("name") != script["name"] or record.get("status") not in _STATUSES:
            raise ChannelClosed("an answer for other scripts")
        for key, types in _RECORD.items():
            if type(record.get(key)) not in types:
                raise ChannelClosed(f"a malformed answer ({key})")
        if not all(type(line) is str for line in record["logs"]):
            raise ChannelClosed("a malformed answer (logs)")
        error = record["error"]
        if error is not None and (type(error.get("type")) is not str or type(error.get("message")) is not str):
            raise ChannelClosed("a malformed answer (error)")
    if done.get("doc") is not None and type(done["doc"]) is not dict:
        raise ChannelClosed("a malformed answer (doc)")
    if done.get("response") is not None and type(done["response"]) is not dict:
        raise ChannelClosed("a malformed answer (response)")
    if done.get("conditions") is not None and type(done["conditions"]) is not str:
        raise ChannelClosed("a malformed answer (conditions)")
    return done


class HostPool:
    """This process's zygote and its hosts. A thread takes a host for its run (a nested run, and
    the transaction hooks its scripts left, use the same one) and gives it back when both are
    over; the host given back last is taken first, so under light load the same few hosts stay
    warm in the CPU's caches instead of one per thread."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.zygote: Zygote | None = None
        self.local = threading.local()
        self.lock = threading.Lock()
        self.free: list[Host] = []

    def _zygote(self) -> Zygote:
        with self.lock:
            if self.zygote is None or not self.zygote.alive():
                if self.zygote is not None:
                    self.zygote.stop()
                self.zygote = Zygote()
            return self.zygote

    def acquire(self, memory_mb: int) -> Host:
        """The host for a run in this thread: the one it holds, else a free one, else a new one."""
        host: Host | None = getattr(self.local, "host", None)
        if host is not None and host.alive:
            return host
        while True:
            with self.lock:
                host = self.free.pop() if self.free else None
            if host is None:
                break
            if host.alive and host.memory_mb == memory_mb:
                break
            host.retire()
        if host is None:
            pid, fd, page = self._zygote().fork(memory_mb)
            host = Host(pid, fd, page, memory_mb)
            host.pool = self
        self.local.host = host
        return host

    def release(self, host: Host) -> None:
        """A run or a transaction hook of this thread is over: the host goes back to the pool when
        nothing of this thread's needs it any more."""
        if host.depth or host.callbacks or getattr(self.local, "host", None) is not host:
            return
        self.local.host = None
        if host.alive:
            with self.lock:
                self.free.append(host)

    def current_host(self) -> Host | None:
        """The host this thread holds, else the one it would take next."""
        host = getattr(self.local, "host", None)
        if host is None:
            with self.lock:
                host = self.free[-1] if self.free else None
        return host

    def close(self) -> None:
        with self.lock:
            hosts, self.free = self.free, []
        held = getattr(self.local, "host", None)
        for host in [*hosts, *([held] if held is not None else [])]:
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
        hosts = pool()
        host = hosts.acquire(int(spec["memory_mb"]))
        host.depth += 1
        try:
            return host.execute(spec, deadline)
        finally:
            host.depth -= 1
            hosts.release(host)


PROCESS = ProcessTransport()
