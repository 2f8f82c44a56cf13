"""The Server Script sandbox: a pure package (no Flask, no database, no other webapp module).

``compile_script(source)`` checks and compiles a script under the sandbox policy (cached);
``execute(compiled, namespace, limits)`` runs it with the guards and under its budget and returns a
RunResult; ``with RunGroup(limits):`` runs several scripts in a row for less. Everything a script
can reach is decided here and by the namespace the caller passes.
"""

from .errors import (
    SandboxError,
    ScriptCompileError,
    ScriptMemoryError,
    ScriptNestingError,
    ScriptTimeoutError,
)
from .executor import RunGroup, RunResult, execute, safe_builtins
from .guards import mark_writable
from .limits import Limits
from .modules import ALLOWED_MODULES, ReadOnlyNamespace
from .policy import CompiledScript, compile_script

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
    "safe_builtins",
]
