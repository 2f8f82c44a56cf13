"""Run budgets: wall time, memory, recursion and output, plus the process-wide watchdog that
enforces the first two.

How a kill works: one daemon thread (the watchdog) holds the active runs. Every few ms it checks
their deadlines and the process RSS; a run over budget is marked ``killed`` (sticky until the
outermost ``execute()`` returns) and the watchdog raises the kill exception inside the script's
thread with ``PyThreadState_SetAsyncExc``. It re-sends it every few ms while the run is still
registered, so Python code that swallows it (a broad ``except`` in a caller's API function) does not
save the run; the policy also puts a ``_check_()`` at the start of every ``except`` handler and
``finally`` block of the script, so a script can never catch it. C calls cannot be interrupted,
which is why the guards cap sizes *before* a C call runs.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass
from typing import Any

from .errors import ScriptMemoryError, ScriptTimeoutError

# Watchdog cadence: how often deadlines and RSS are checked, and how often a kill is re-sent.
TICK_S = 0.004
RESEND_S = 0.01
# A kill is delivered at once when the thread is in script, sandbox or stdlib code; when it is deep
# in other Python code (a caller's DB layer) we wait this long for it to come back first.
UNSAFE_GRACE_S = 0.5
# After the last run ends the thread keeps ticking this long, so back-to-back runs (ten scripts on
# one event, an API method under load) neither wake it (a GIL hand-off at the caller's next system
# call) nor read /proc themselves: a run's memory baseline is the last tick's reading when it is
# at most RSS_FRESH_S old. (A thread busy in Python holds the GIL for up to the switch interval, so
# ticks come every 10-20 ms under load, not every TICK_S; a baseline that old is off by at most what
# the process allocated or freed in that time, against a budget of tens of MB.)
WARM_S = 0.5
RSS_FRESH_S = 0.1
# Frames the sandbox itself needs above the script's own recursion budget (guards, stand-ins).
RECURSION_MARGIN = 50

NEVER = float("inf")  # the deadline and memory limit of a group between its runs

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Limits:
    """The budget of one run (and, for nested runs, of the whole outer run)."""

    timeout_s: float = 5.0
    memory_mb: int = 128
    max_recursion: int = 200
    max_output_chars: int = 65536
    max_nesting: int = 8


DEFAULT_LIMITS = Limits()


class _Kill(BaseException):
    """Internal marker raised asynchronously; turned into ScriptTimeoutError/ScriptMemoryError."""


class _KillTimeout(_Kill):
    pass


class _KillMemory(_Kill):
    pass


_KILL_TYPES = {"Timeout": _KillTimeout, "Memory": _KillMemory}


_statm: list[int] = []  # the kept-open fd of /proc/self/statm (this process's: reopened after a fork)


def _open_statm() -> None:
    old = _statm[:]
    try:
        _statm[:] = [os.open("/proc/self/statm", os.O_RDONLY)]
    except OSError:  # not Linux: read_rss falls back to resource
        _statm[:] = []
    for fd in old:
        try:
            os.close(fd)
        except OSError:
            pass


def kept_fds() -> set[int]:
    """The file descriptors the sandbox itself keeps open (a process that closes the rest keeps these)."""
    return set(_statm)


def read_rss() -> int:
    """This process's resident memory in bytes: one pread on a kept-open fd (about 1 us)."""
    if _statm:
        return int(os.pread(_statm[0], 128, 0).split()[1]) * _PAGE
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # peak: coarser, but monotone


_open_statm()
# A forked child's /proc/self is not its parent's: it reads its own memory.
os.register_at_fork(after_in_child=_open_statm)


TRUNCATED_MARKER = "\n[output truncated]"


class _Output:
    """Where ``print`` (and a default ``log``) write; capped at ``limit`` characters."""

    __slots__ = ("parts", "size", "limit", "truncated")

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.truncated = False

    def write(self, text: str) -> None:
        if self.truncated:
            return
        room = self.limit - self.size
        if len(text) > room:
            self.parts.append(text[:max(room, 0)])
            self.parts.append(TRUNCATED_MARKER)
            self.size = self.limit
            self.truncated = True
            return
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts)

    # RestrictedPython compiles ``print(...)`` to ``_print._call_print(...)`` and ``printed``
    # to ``_print()``, after ``_print = _print_(_getattr_)`` in each function that prints.
    def _call_print(self, *objects: Any, sep: Any = " ", end: Any = "\n", file: Any = None,
                    flush: bool = False) -> None:
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        if not isinstance(sep, str) or not isinstance(end, str):
            raise TypeError("sep and end must be strings")
        if self.truncated:
            return
        self.write(sep.join([str(o) for o in objects]) + end)

    def __call__(self) -> str:
        return self.text()


class RunState:
    """Budget and kill flag of a RunGroup's runs, shared by every run nested in one (same thread).
    Made disarmed: each run of the group arms it with its own deadline and memory limit."""

    __slots__ = ("tid", "limits", "deadline", "mem_limit", "max_alloc", "killed", "killed_at",
                 "last_sent", "depth", "filenames", "stdlib_state", "rec_limit", "check",
                 "run_globals", "ended_by", "max_recursion", "out", "out_limit", "printer", "logger", "holds")

    def __init__(self, limits: Limits) -> None:
        self.tid = threading.get_ident()
        self.limits = limits
        # The recursion budget the limit was raised for (a group's runs share their group's).
        self.max_recursion = limits.max_recursion
        self.deadline = NEVER
        self.max_alloc = limits.memory_mb * 1024 * 1024
        self.mem_limit = NEVER
        self.killed: str | None = None
        self.killed_at = 0.0
        self.last_sent = 0.0
        self.depth = 0  # in a run: 1, plus one per nested run
        # Depths at which the run waits on code that a kill must not land in (a script host's
        # call to its worker): a kill is noted, and sent once the run is deeper or back.
        self.holds: list[int] = []
        self.filenames: set[str] = set()
        self.stdlib_state: dict = {}
        self.rec_limit: int | None = None  # the thread's recursion limit before this run
        # The globals of this run and of the runs nested in it: kill() sets their ``_killed_`` flag.
        self.run_globals: list[dict] = []
        # How the last run of a group ended: the kill that `Watchdog.end_run()` disarmed, if any.
        self.ended_by: str | None = None
        # The checkpoint the policy injects as ``_check_()``: a bound method is the cheapest call.
        self.check = self._check
        # The output of the run in progress, made when it first prints (most scripts never do):
        # ``_print_`` and the default ``log`` are these two methods, bound once per group.
        self.out: _Output | None = None
        self.out_limit = limits.max_output_chars
        self.printer = self._printer
        self.logger = self._log

    def _printer(self, _getattr_: Any = None) -> _Output:
        out = self.out
        if out is None:
            out = self.out = _Output(self.out_limit)
        return out

    def _log(self, *objects: Any) -> None:
        self._printer()._call_print(*objects)

    def take_output(self) -> str:
        """What the run in progress printed (and forget it)."""
        out, self.out = self.out, None
        return "" if out is None else out.text()

    def _check(self) -> None:
        if self.killed is not None:
            raise self.kill_error()

    def kill(self, why: str, now: float) -> None:
        if self.killed is None:
            self.killed = why
            self.killed_at = now
        for g in self.run_globals:
            g["_killed_"] = True

    def kill_error(self, why: str | None = None) -> ScriptTimeoutError | ScriptMemoryError:
        if (why or self.killed) == "Memory":
            return ScriptMemoryError(
                f"Script exceeded its memory limit of {self.limits.memory_mb} MB")
        return ScriptTimeoutError(f"Script exceeded its time limit of {self.limits.timeout_s:g} s")


_tls = threading.local()


def current_state() -> RunState | None:
    """The run state of the calling thread, or None outside a run."""
    return getattr(_tls, "state", None)


def set_current_state(state: RunState | None) -> None:
    _tls.state = state


def over_budget(what: str) -> ScriptMemoryError:
    """The error a size guard raises; also marks the run as killed so it cannot be caught."""
    st = current_state()
    if st is not None and st.killed is None:
        st.kill("Memory", time.monotonic())
    return ScriptMemoryError(f"Script exceeded its memory limit: {what}")


def out_of_time(where: str) -> ScriptTimeoutError:
    """The error a timed C call (a regular expression) raises when the run's time is up; also
    marks the run as killed, as the watchdog would have, so it cannot be caught."""
    st = current_state()
    if st is None:
        return ScriptTimeoutError(f"Script exceeded its time limit ({where})")
    if st.killed is None:
        st.kill("Timeout", time.monotonic())
    return ScriptTimeoutError(f"{st.kill_error('Timeout')} ({where})")


def time_left() -> float:
    """Seconds left in the calling thread's run (a default budget outside an armed run)."""
    st = current_state()
    if st is None or st.deadline == NEVER:
        return DEFAULT_LIMITS.timeout_s
    return st.deadline - time.monotonic()


def alloc_cap() -> int:
    """The largest single object (in bytes, roughly) a guarded operation may create now: what is
    left of the run's memory budget (read afresh: callers only ask before a big allocation)."""
    st = current_state()
    if st is None:
        return DEFAULT_LIMITS.memory_mb * 1024 * 1024
    if st.mem_limit == NEVER:
        return st.max_alloc
    return max(int(st.mem_limit - read_rss()), 0)


_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc


def _set_async_exc(tid: int, exc_type: type[BaseException] | None) -> None:
    """Raise ``exc_type`` in thread ``tid`` at its next bytecode boundary (None: cancel)."""
    _async_exc(ctypes.c_ulong(tid), ctypes.py_object(exc_type) if exc_type is not None else None)

_SAFE_PREFIXES = tuple({os.path.dirname(__file__) + os.sep,
                        sysconfig.get_paths()["stdlib"] + os.sep})


def trust_code_in(directory: str) -> None:
    """Let a kill land at once in code under ``directory`` (a library the stand-ins call that
    holds no state a kill could tear, such as the regex package's pattern parser)."""
    global _SAFE_PREFIXES
    prefix = os.path.join(os.path.abspath(directory), "")
    if prefix not in _SAFE_PREFIXES:
        _SAFE_PREFIXES = (*_SAFE_PREFIXES, prefix)


class Watchdog:
    """One daemon thread for the whole process; runs register and unregister with it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[int, RunState] = {}
        self._wake = threading.Event()
        self._idle = True
        self._thread: threading.Thread | None = None
        # Recursion limits: what the process had before any run, and what each running thread needs.
        self._base_rec_limit: int | None = None
        self._rec_limits: dict[int, int] = {}
        self._rss = 0
        self._rss_at = float("-inf")
        self._last_active = float("-inf")

    # -- registration (called from script threads) ----------------------------------------------
    def register(self, state: RunState, rec_limit: int) -> None:
        """Watch ``state``'s run, and lift the recursion limit to ``rec_limit`` while it runs."""
        with self.lock:
            self.active[state.tid] = state
            self._push_rec_limit(state, rec_limit)
            if self._thread is None or (self._idle and not self._thread.is_alive()):
                self._start()
        if self._idle:
            self._wake.set()

    def unregister(self, state: RunState) -> None:
        """Stop watching; afterwards no kill can arrive in this thread, and the recursion limit is
        what it was before. Safe to call twice."""
        with self.lock:
            self._last_active = time.monotonic()
            if self.active.get(state.tid) is state:
                del self.active[state.tid]
                self._pop_rec_limit(state)
            if state.killed is not None:
                _set_async_exc(state.tid, None)  # drop a kill still pending for this thread

    def end_run(self, state: RunState) -> None:
        """One run of a group is over (the group stays registered): disarm its budget, so the
        caller's code before the next run can never be killed, and drop a kill already sent. How
        the run was killed, if it was, is left in ``state.ended_by``."""
        with self.lock:
            state.deadline = NEVER
            state.mem_limit = NEVER
            killed = state.killed
            if killed is not None:
                state.ended_by = killed
                state.killed = None
                _set_async_exc(state.tid, None)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sandbox-watchdog", daemon=True)
        self._thread.start()

    # -- recursion limit (process-wide in CPython; see README; called holding the lock) ----------
    def _push_rec_limit(self, state: RunState, limit: int) -> None:
        if self._base_rec_limit is None or not self._rec_limits:
            self._base_rec_limit = sys.getrecursionlimit()
        state.rec_limit = self._rec_limits.get(state.tid)  # what to restore
        self._rec_limits[state.tid] = limit
        self._apply_rec_limit()

    def _pop_rec_limit(self, state: RunState) -> None:
        if state.rec_limit is None:
            self._rec_limits.pop(state.tid, None)
        else:
            self._rec_limits[state.tid] = state.rec_limit
        self._apply_rec_limit()

    def _apply_rec_limit(self) -> None:
        # With several threads running scripts at once, the largest need wins: a lower limit could
        # break another thread's legitimate stack.
        target = max(self._rec_limits.values()) if self._rec_limits else self._base_rec_limit
        if target is not None and target != sys.getrecursionlimit():
            try:
                sys.setrecursionlimit(target)
            except RecursionError:  # the calling thread is deeper than target: keep what we have
                pass

    # -- the watchdog thread --------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self.lock:
                empty = not self.active
            if empty and time.monotonic() - self._last_active > WARM_S:
                self._idle = True
                self._wake.clear()
                with self.lock:  # a run registered since the check above sees _idle and wakes us
                    empty = not self.active
                if empty:
                    self._wake.wait()
                    continue
            self._idle = False
            try:
                self._tick()
            except Exception:  # never let the watchdog die  # noqa: S110
                pass
            time.sleep(TICK_S)

    def recent_rss(self, now: float | None = None) -> int:
        """The last reading (the thread's at its tick, or a run's) when it is fresh, else a new one,
        kept for the runs that follow."""
        if now is None:
            now = time.monotonic()
        if now - self._rss_at < RSS_FRESH_S:
            return self._rss
        rss = read_rss()
        self._rss, self._rss_at = rss, now
        return rss

    def _tick(self) -> None:
        now = time.monotonic()
        rss = read_rss()
        self._rss, self._rss_at = rss, now
        frames = None
        with self.lock:
            for state in list(self.active.values()):
                if state.killed is None:
                    if now >= state.deadline:
                        state.kill("Timeout", now)
                    elif rss > state.mem_limit:
                        state.kill("Memory", now)
                    else:
                        continue
                if now - state.last_sent < RESEND_S or (state.holds and state.holds[-1] == state.depth):
                    continue
                if frames is None:
                    frames = sys._current_frames()
                if now - state.killed_at < UNSAFE_GRACE_S and not _safe_point(
                        frames.get(state.tid), state.filenames):
                    continue
                state.last_sent = now
                _set_async_exc(state.tid, _KILL_TYPES[state.killed])


def _safe_point(frame, filenames: set[str]) -> bool:  # type: ignore[no-untyped-def]
    if frame is None:
        return True
    filename = frame.f_code.co_filename
    return filename in filenames or filename.startswith(_SAFE_PREFIXES)


WATCHDOG = Watchdog()
# A forked child (a gunicorn or RQ worker) has none of the parent's threads: it starts afresh, with
# its own lock (the parent's thread may have held it at the fork), thread and RSS readings.
os.register_at_fork(after_in_child=WATCHDOG.__init__)


_depth_hint = 0


def stack_depth() -> int:
    """Frames on the calling thread's stack, the caller's included.

    Runs mostly start where the last one did (the scripts of one event, the same API method): the
    last answer is checked with one C-level frame lookup; otherwise the frames are counted, O(depth).
    """
    global _depth_hint
    hint = _depth_hint
    if hint:
        try:
            if sys._getframe(hint).f_back is None:
                return hint
        except ValueError:  # fewer frames than last time
            pass
    frame = sys._getframe(1)
    depth = 0
    while frame is not None:
        frame = frame.f_back
        depth += 1
    _depth_hint = depth
    return depth
