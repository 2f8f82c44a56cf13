"""How a run reaches the script side, and how the script side's calls reach the app.

`current().execute(spec, deadline)` runs a spec (webapp/script_api/runner.py) and answers its
`done`. The transport is chosen by `server_script_isolation`: "process" runs scripts in a script
host process (webapp/runtime/hosts.py), "inline" in this worker. Both hand the script side's calls
to the same bridge (webapp/runtime/bridge.py), with plain data only: inline, the arguments and
answers are copied as a host's messages would be.
"""

from __future__ import annotations

from typing import Any

from webapp.attrdict import AttrDict
from webapp.runtime import bridge, hosts
from webapp.sandbox.export import plain
from webapp.script_api import commit_hooks, runner
from webapp.script_api.wire import error_from_wire, error_to_wire
from webapp.services import script_settings
from webapp.services.context import acting_as

MAX_CALL_BYTES = 64 * 1024 * 1024


class InlineTransport(bridge.ScriptSide):
    """Scripts run in this worker, under the sandbox's in-process limits."""

    def execute(self, spec: dict[str, Any], deadline: float) -> dict[str, Any]:
        return runner.execute_spec(spec)

    def call(self, op: str, args: tuple, kwargs: dict) -> Any:
        """A call of the script side, answered by the bridge (as a host's would be: plain data, and
        an error rebuilt from its class name and message)."""
        args = plain(list(args), f"the arguments of {op}", dict_type=dict, max_bytes=MAX_CALL_BYTES)
        kwargs = plain(kwargs, f"the arguments of {op}", dict_type=dict, max_bytes=MAX_CALL_BYTES)
        try:
            return bridge.dispatch(self, op, args, kwargs)
        except Exception as exc:  # noqa: BLE001 - crosses as data; a sandbox kill (BaseException) passes
            raise error_from_wire(error_to_wire(exc)) from None

    def run_callback(self, callback: int, user: str, script: str, raise_errors: bool) -> None:
        budget = script_settings.limits()
        with acting_as(user):
            error = runner.execute_callback(callback, budget.timeout_s, budget.memory_mb)
        _callback_failed(error, script, raise_errors)

    def forget_callback(self, callback: int) -> None:
        commit_hooks.forget(callback)


def _callback_failed(error: dict[str, Any] | None, script: str, raise_errors: bool) -> None:
    if error is None:
        return
    if raise_errors:
        raise error_from_wire(error)
    bridge.log.error("Server Script %r: a transaction hook failed: %s: %s", script, error["type"], error["message"])


INLINE = InlineTransport()


def current() -> Any:
    """The transport of this site (`server_script_isolation`)."""
    return hosts.PROCESS if script_settings.isolation() == "process" else INLINE


def inline_call(op: str, args: tuple, kwargs: dict) -> Any:
    """The script side's `parent.call` in this worker (webapp/__init__.py connects it)."""
    return INLINE.call(op, args, kwargs)


__all__ = ["INLINE", "AttrDict", "InlineTransport", "current", "inline_call"]
