"""The Server Script sandbox: a pure package (no Flask, no database, no other webapp module).

``compile_script(source)`` checks and compiles a script under the sandbox policy (cached);
``execute(compiled, namespace, limits)`` runs it with the guards and under its budget and returns a
RunResult; ``with RunGroup(limits):`` runs several scripts in a row for less. Everything a script
can reach is decided here and by the namespace the caller passes.
"""

import time

from .errors import (
    SandboxError,
    ScriptCompileError,
    ScriptMemoryError,
    ScriptNestingError,
    ScriptTimeoutError,
)
from .executor import RunGroup, RunResult, execute, safe_builtins
from .guards import mark_writable
from .limits import Limits, current_state
from .modules import ALLOWED_MODULES, ReadOnlyNamespace
from .policy import CompiledScript, compile_script


def remaining_time() -> float | None:
    """Seconds left of the running script's wall-time budget; None outside a run."""
    state = current_state()
    return None if state is None else state.deadline - time.monotonic()


def run_stopped() -> bool:
    """Whether the running script is out of budget (killed, or past its deadline): work done for it
    should stop now. False outside a run."""
    state = current_state()
    return state is not None and (state.killed is not None or time.monotonic() >= state.deadline)


__all__ = [
    "ALLOWED_MODULES",
    "CompiledScript",
    "Limits",
    "ReadOnlyNamespace",
    "RunGroup",
    "RunResult",
    "SandboxError",
    "ScriptCompileError",
    "ScriptMemoryError",
    "ScriptNestingError",
    "ScriptTimeoutError",
    "compile_script",
    "execute",
    "mark_writable",
    "remaining_time",
    "run_stopped",
    "safe_builtins",
]
