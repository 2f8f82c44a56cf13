"""The script side's one door to the app: `call(op, *args, **kwargs)`.

Everything a script does that reaches data or the outside world (read or save a document, run SQL,
send mail, print a message to the user, call another script ...) is a call of an operation the
app answers (webapp/runtime/bridge.py), with plain data only in both directions. Where the script
runs in a script host process, the call is a message to the web worker that owns the operation
and waits for its answer (webapp/script_host/); run in the worker itself, it is a direct call of
the same operation. `connect()` says which, once per process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Transport = Callable[[str, tuple, dict], Any]

_transport: list[Transport] = []


def connect(transport: Transport) -> None:
    """Set once per process: how calls reach the app (a host's channel, or the in-process bridge)."""
    _transport[:] = [transport]


def connected() -> bool:
    return bool(_transport)


def call(op: str, *args: Any, **kwargs: Any) -> Any:
    """Ask the app to do `op`; its answer as plain data, or its error raised here."""
    if not _transport:
        raise RuntimeError("The Script API is not connected to the app (webapp.script_api.parent.connect)")
    return _transport[0](op, args, kwargs)
