"""The sandbox's own exceptions.

Every one carries ``http_status_code = 417`` (Frappe answers script failures with 417).
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base of the errors the sandbox raises itself."""

    http_status_code = 417


class ScriptCompileError(SandboxError):
    """The script does not compile under the sandbox policy.

    ``str(e)`` is meant for the script's author: "Line 3: invalid syntax".
    """

    def __init__(self, msg: str, lineno: int | None = None, offset: int | None = None,
                 errors: tuple[str, ...] = ()) -> None:
        self.msg = msg
        self.lineno = lineno
        self.offset = offset
        # All the policy's messages, when there were several.
        self.errors = errors or ((self._format(msg, lineno),))
        super().__init__(self._format(msg, lineno))

    @staticmethod
    def _format(msg: str, lineno: int | None) -> str:
        return f"Line {lineno}: {msg}" if lineno is not None else msg


class ScriptTimeoutError(SandboxError):
    """The run went over its wall-time budget."""

    def __init__(self, msg: str = "Script exceeded its time limit") -> None:
        super().__init__(msg)


class ScriptMemoryError(SandboxError):
    """The run went over its memory budget (or asked for an object larger than it)."""

    def __init__(self, msg: str = "Script exceeded its memory limit") -> None:
        super().__init__(msg)


class ScriptNestingError(SandboxError):
    """Too many nested ``execute()`` calls (a script running a script running a script ...)."""

    def __init__(self, msg: str = "Too many nested script runs") -> None:
        super().__init__(msg)
