"""``execute()``: run a compiled script with the guards and under its budget."""

from __future__ import annotations

import decimal
import importlib.util
import os
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import guards
from .errors import ScriptMemoryError, ScriptNestingError, ScriptTimeoutError
from .export import settle_error
from .limits import (
    DEFAULT_LIMITS,
    RECURSION_MARGIN,
    WATCHDOG,
    Limits,
    RunState,
    _Kill,
    _KillMemory,
    current_state,
    set_current_state,
    stack_depth,
)
from .modules import guarded_import
from .policy import CompiledScript


@dataclass(slots=True)
class RunResult:
    """What a run did. ``error`` is the original exception object (re-raise it to keep its type).

    ``namespace`` is the script's globals without the names the sandbox injected; it is built on
    first read (most callers never look at it, and filtering costs as much as a trivial run).
    """

    status: str  # "Success" | "Error" | "Timeout" | "Memory"
    output: str = ""
    error: BaseException | None = None
    lineno: int | None = None
    duration_ms: float = 0.0
    run_globals: dict[str, Any] = field(default_factory=dict, repr=False)
    default_log: Any = field(default=None, repr=False)
    _namespace: dict[str, Any] | None = field(default=None, init=False, repr=False)

    @property
    def namespace(self) -> dict[str, Any]:
        if self._namespace is None:
            log = self.default_log
            self._namespace = {k: v for k, v in self.run_globals.items()
                               if k not in _INJECTED_SET and not (k == "log" and log is not None and v == log)}
        return self._namespace


def _load_fast() -> types.ModuleType:
    """The hot guards: the compiled build of _fast.py when it is there and not older than its
    source (an edited _fast.py must never run as a stale build), else the source itself."""
    from . import _fast

    if not _fast.compiled():
        return _fast
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.getmtime(_fast.__file__)
    sources = [os.path.join(here, name) for name in ("_fast.py", "_fast.pxd")]
    if all(os.path.getmtime(p) <= built for p in sources if os.path.exists(p)):
        return _fast
    return fast_from_source()


def fast_from_source() -> types.ModuleType:
    """A fresh module of _fast.py run as plain Python, whether or not a compiled build exists."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_fast.py")
    spec = importlib.util.spec_from_file_location(f"{__package__}._fast_source", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fast = _load_fast()
_BUILTINS = guards.base_builtins()
_BUILTINS["__import__"] = guarded_import
_BUILTINS["enumerate"] = _fast.enumerate_
_SCRIPT_BUILTINS = dict(_BUILTINS)  # what safe_builtins() answers: the builtins without the guards

# The guard names the compiled code calls. They live in the builtins every run shares, not in each
# run's globals: a run's globals stay small (one short dict per run instead of one with every
# guard copied in), and LOAD_GLOBAL finds them just as fast. Scripts cannot name them (names
# starting with "_" are refused at compile time), and a caller's namespace may not shadow them.
_GUARDS: dict[str, Any] = {
    "__metaclass__": guards.script_class,
    "_getattr_": guards.guarded_getattr,
    "_getitem_": guards.guarded_getitem,
    "_write_": _fast.write,
    "_getiter_": _fast.getiter,
    "_iter_unpack_sequence_": guards.iter_unpack_sequence,
    "_unpack_sequence_": guards.unpack_sequence,
    "_inplacevar_": guards.guarded_inplacevar,
    "_apply_": guards.guarded_apply,
    "_mul_": _fast.mul,
    "_pow_": guards.guarded_pow,
    "_lshift_": guards.guarded_lshift,
    "_mod_": _fast.mod,
    "_floordiv_": guards.guarded_floordiv,
    "_format_": guards.guarded_format_value,
    "_intfmt_": guards.guarded_int_format,
    # for the inline type tests the policy emits (names a script cannot rebind)
    "_type_": type,
    "_int_": int,
    "_float_": float,
}
_BUILTINS.update(_GUARDS)
# What every run's globals start with besides the caller's namespace.
_GUARD_GLOBALS: dict[str, Any] = {"__builtins__": _BUILTINS, "__name__": "__server_script__"}
_PER_RUN_NAMES = ("_print_", "_check_", "_print", "_killed_")
_INJECTED_SET = frozenset(_GUARD_GLOBALS) | frozenset(_PER_RUN_NAMES)
# Names a caller's namespace may not hold (it would shadow a guard); __builtins__ and __name__
# are simply replaced.
_RESERVED = frozenset(_GUARDS) | frozenset(_PER_RUN_NAMES)


def safe_builtins() -> dict[str, Any]:
    """A copy of the builtins scripts can name (incl. the guarded ``__import__``; without the
    guard functions the compiled code calls)."""
    return dict(_SCRIPT_BUILTINS)


def _script_lineno(exc: BaseException, filenames: set[str]) -> int | None:
    tb = exc.__traceback__
    lineno = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in filenames:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


Finish = Callable[[dict[str, Any]], None]


def execute(compiled: CompiledScript, namespace: dict[str, Any],
            limits: Limits | None = None, *, own: bool = False, finish: Finish | None = None) -> RunResult:
    """Run ``compiled`` with a copy of ``namespace`` as its globals (with ``own=True``, with
    ``namespace`` itself: for a caller that made that dict for this run and hands it over).

    ``finish(globals)``, when given, runs after the script, still inside the run and under its
    budget: the place to turn what the caller will read into plain data (``export.plain``); what it
    raises is the run's error. The run's error itself is settled there too (``settle_error``), so
    nothing of the script's runs when the caller reads it.

    Script errors come back in the RunResult, never raised. Re-entrant: a script may call Python
    code that runs another script; the inner run shares the outer run's deadline and memory
    baseline, may nest ``max_nesting`` deep, and if the budget runs out inside it, the kill is
    raised out of the inner ``execute()`` so that the outer run ends too. Inside a ``RunGroup``
    (and not inside one of its runs) the run is one of the group's.
    """
    limits = limits or DEFAULT_LIMITS
    outer = current_state()
    if outer is None:
        return _run_outermost(compiled, namespace, limits, own, finish)
    if outer.depth == 0:
        return _run_in_group(outer, compiled, namespace, limits, own, finish)
    return _run_nested(outer, compiled, namespace, limits, own, finish)


# Frames between a RunGroup's ``with`` and the scripts its runs execute (the caller's run function,
# execute(), _run_in_group(), _exec()): they do not count against a script's recursion budget.
GROUP_FRAMES = 8


class RunGroup:
    """Several outermost runs in a row on one thread, e.g. the scripts of one document event.

    ``with RunGroup(limits) as group: group.run(a, ...); group.run(b, ...)`` (``execute()`` inside
    the ``with`` does the same). Each run is on its own exactly as
    a lone ``execute()``: its own deadline and memory baseline from the moment it starts, its own
    output, globals and result, and a kill ends that run only. What the runs share is what costs
    more than a trivial script: one watchdog registration and one recursion-limit change for all of
    them. Between runs the budget is disarmed, so the caller's code there is never killed. Entered
    inside a run (or another group) it does nothing: runs there are nested runs (or that group's).
    The group's ``limits.max_recursion`` applies to all its runs.
    """

    __slots__ = ("limits", "state", "host_decimal")

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or DEFAULT_LIMITS
        self.state: RunState | None = None

    def __enter__(self) -> RunGroup:
        if current_state() is not None:
            return self
        _check_int_str_limit()
        state = RunState(self.limits)
        set_current_state(state)
        # Scripts compute under the sandbox's decimal context (bounded exponents); the thread's
        # own is put back when the group ends.
        self.host_decimal = _getcontext()
        _setcontext(guards.DECIMAL_CONTEXT)
        try:
            WATCHDOG.register(state, stack_depth() + GROUP_FRAMES + self.limits.max_recursion + RECURSION_MARGIN)
        except BaseException:
            WATCHDOG.unregister(state)
            set_current_state(None)
            _setcontext(self.host_decimal)
            raise
        self.state = state
        return self

    def run(self, compiled: CompiledScript, namespace: dict[str, Any], limits: Limits | None = None, *,
            own: bool = False, finish: Finish | None = None) -> RunResult:
        """``execute()`` inside this group, without looking the group up again."""
        state = self.state
        if state is None or state.depth != 0:  # entered inside a run: that run's nested run
            return execute(compiled, namespace, limits, own=own, finish=finish)
        return _run_in_group(state, compiled, namespace, limits or self.limits, own, finish)

    def __exit__(self, *exc_info: Any) -> None:
        state = self.state
        if state is None:
            return
        self.state = None
        try:
            WATCHDOG.unregister(state)  # disarmed between runs: no kill is pending here
        finally:
            set_current_state(None)
            _setcontext(self.host_decimal)


_getcontext = decimal.getcontext
_setcontext = decimal.setcontext
# Python's own cap on int <-> decimal str conversions (quadratic in C) is what keeps str(n), int(s)
# and '%d' cheap in scripts; the sandbox refuses to run with it lifted.
INT_STR_DIGITS = 4300


def _check_int_str_limit() -> None:
    digits = sys.get_int_max_str_digits()
    if digits == 0 or digits > INT_STR_DIGITS:
        sys.set_int_max_str_digits(INT_STR_DIGITS)


def _globals_for(namespace: dict[str, Any], state: RunState, own: bool) -> dict[str, Any]:
    if not _RESERVED.isdisjoint(namespace):
        raise ValueError(f"a script's namespace cannot hold {sorted(_RESERVED.intersection(namespace))}: "
                         "the sandbox's guards use those names")
    g = namespace if own else dict(namespace)
    g.update(_GUARD_GLOBALS)
    g["_print_"] = state.printer
    g["_check_"] = state.check
    g["_killed_"] = state.killed is not None
    state.run_globals.append(g)
    if "log" not in g:
        g["log"] = state.logger
    return g


def _handed_module(g: dict[str, Any]) -> BaseException | None:
    """A real module among the names a caller handed the script (the Script API gives read-only
    stand-ins only): refused before the script runs, as Frappe's sandbox refuses reading one."""
    for name, value in g.items():
        if type(value) is types.ModuleType:
            return SyntaxError(f"a script cannot be handed a module ({name!r} is {value.__name__!r})")
    return None


def _exec(compiled: CompiledScript, g: dict[str, Any], finish: Finish | None = None) -> BaseException | None:
    refused = _handed_module(g)
    if refused is not None:
        return refused
    try:
        try:
            exec(compiled.code, g)  # noqa: S102 - compiled under the sandbox policy
            if finish is not None:
                finish(g)
        except _Kill as exc:
            return exc
        except BaseException as exc:  # every script error is data for the caller, settled in the run
            return settle_error(exc)
    except BaseException as exc:  # a kill that landed in the handlers above (or while settling)
        handled = exc.__context__
        if isinstance(exc, _Kill) and type(handled) in (ScriptTimeoutError, ScriptMemoryError):
            # The budget's own error, raised by a guard that marked the run killed: the watchdog
            # re-sends that kill, and it may land while the guard's error is being handled. The
            # guard's error, which names what it refused, stands.
            handled.__cause__ = handled.__context__ = None
            return handled
        return exc
    return None


def _finish(compiled: CompiledScript, state: RunState, g: dict[str, Any], output: str,
            error: BaseException | None, started: float, killed: str | None) -> RunResult:
    lineno = _script_lineno(error, state.filenames) if error is not None else None
    status = "Success" if error is None else "Error"
    if killed is not None:
        status = killed
        if not isinstance(error, (ScriptTimeoutError, ScriptMemoryError)):
            error = state.kill_error(killed)
    elif isinstance(error, MemoryError):
        status = "Memory"
        error = ScriptMemoryError(f"Script exceeded its memory limit: {error}".rstrip(": "))
    elif isinstance(error, RecursionError) and "maximum recursion depth" in str(error):
        error = RecursionError(
            f"Script recursed too deep: maximum recursion depth of about "
            f"{state.max_recursion} calls exceeded")
    elif isinstance(error, _Kill):  # a kill that landed while a group's run was being disarmed
        status = "Memory" if isinstance(error, _KillMemory) else "Timeout"
        error = state.kill_error(status)
    if state.run_globals and state.run_globals[-1] is g:
        state.run_globals.pop()
    return RunResult(status, output, error, lineno, (time.perf_counter() - started) * 1000.0, g, state.logger)


def _run_outermost(compiled: CompiledScript, namespace: dict[str, Any], limits: Limits,
                   own: bool, finish: Finish | None) -> RunResult:
    """A lone run: a group of one."""
    with RunGroup(limits) as group:
        return _run_in_group(group.state, compiled, namespace, limits, own, finish)  # type: ignore[arg-type]


def _run_in_group(state: RunState, compiled: CompiledScript, namespace: dict[str, Any],
                  limits: Limits, own: bool, finish: Finish | None = None) -> RunResult:
    """One outermost run, in a RunGroup: the group's state, armed with this run's full budget
    from the moment the script starts and disarmed (a kill still pending dropped) before the
    caller's code goes on."""
    started = time.perf_counter()
    if limits is not state.limits:
        state.limits = limits
        state.max_alloc = limits.memory_mb * 1048576
    filenames = state.filenames
    filenames.clear()
    filenames.add(compiled.filename)
    if state.stdlib_state:
        state.stdlib_state = {}
    state.ended_by = None
    state.last_sent = 0.0
    state.out = None
    state.out_limit = limits.max_output_chars
    g = _globals_for(namespace, state, own)
    state.depth = 1
    error: BaseException | None = None
    armed = False
    try:
        # A kill may land anywhere from arming until end_run() has returned (even between these
        # lines): it is caught until then, and is the run's error unless the script already failed.
        while True:
            try:
                if not armed:
                    armed = True
                    now = time.monotonic()
                    state.mem_limit = WATCHDOG.recent_rss(now) + state.max_alloc
                    state.deadline = now + limits.timeout_s
                    error = _exec(compiled, g, finish)
                WATCHDOG.end_run(state)
                break
            except _Kill as exc:
                if error is None:
                    error = exc
    finally:
        state.depth = 0
    output = state.take_output()
    if error is None and state.ended_by is None:  # the common case, without _finish's checks
        state.run_globals.pop()
        return RunResult("Success", output, None, None, (time.perf_counter() - started) * 1000.0, g, state.logger)
    return _finish(compiled, state, g, output, error, started, state.ended_by)


def _run_nested(state: RunState, compiled: CompiledScript, namespace: dict[str, Any],
                limits: Limits, own: bool, finish: Finish | None = None) -> RunResult:
    started = time.perf_counter()
    if state.killed is not None:
        raise state.kill_error()
    if state.depth >= state.limits.max_nesting:
        return RunResult("Error", "", ScriptNestingError(
            f"Too many nested script runs (more than {state.limits.max_nesting})"),
            None, 0.0, {})
    g = _globals_for(namespace, state, own)
    # The inner run prints to an output of its own; the outer run's is put back after it.
    outer_out, outer_limit = state.out, state.out_limit
    state.out, state.out_limit = None, limits.max_output_chars
    # The inner run may shorten the deadline, never extend it.
    saved_deadline = state.deadline
    state.deadline = min(state.deadline, time.monotonic() + limits.timeout_s)
    added_filename = compiled.filename not in state.filenames
    if added_filename:
        state.filenames.add(compiled.filename)
    state.depth += 1
    try:
        error = _exec(compiled, g, finish)
    finally:
        state.depth -= 1
        state.deadline = saved_deadline
        output = state.take_output()
        state.out, state.out_limit = outer_out, outer_limit
    result = _finish(compiled, state, g, output, error, started, state.killed)
    if added_filename:
        state.filenames.discard(compiled.filename)
    if state.killed is not None:
        # The whole outer run is over budget: don't let the code between the runs carry on.
        raise result.error  # type: ignore[misc]
    return result
