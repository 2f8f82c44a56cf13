"""`frappe.db.after_commit` / `before_commit` / `after_rollback`: Frappe's transaction hooks.

`frappe.db.after_commit.add(func)` runs a function of the script when the operation's transaction
commits (before_commit: just before, and an error there rolls the operation back; after_rollback:
when it rolls back). The function stays here, on the script side, under a number; the app is told
the number and, when the time comes, asks for it to be run (`run_callback`): a sandbox run of its
own, with the same user and run state, and a fresh time and memory budget. One that will not run
(its transaction went the other way) the app says to forget.
"""

from __future__ import annotations

import itertools
from typing import Any

from webapp.errors import ValidationError
from webapp.sandbox import Limits, ReadOnlyNamespace, RunResult, compile_script, execute
from webapp.script_api import parent, run

_CALL = "callback()"
_pending: dict[int, tuple[Any, run.Run]] = {}
_numbers = itertools.count(1)


def _adder(kind: str) -> Any:
    def add(func: Any) -> None:
        if not callable(func):
            raise ValidationError(f"frappe.db.{kind}.add() needs a function")
        state = run.require()
        number = next(_numbers)
        _pending[number] = (func, state)
        try:
            parent.call("commit_hook", kind, number)
        except BaseException:
            _pending.pop(number, None)
            raise

    return add


def run_callback(number: int, limits: Limits) -> RunResult | None:
    """Run the function registered as `number`, once (None when it is not here any more)."""
    found = _pending.pop(number, None)
    if found is None:
        return None
    func, state = found
    token = run.enter(state)
    try:
        return execute(compile_script(_CALL, "<transaction hook>"), {"callback": func}, limits)
    finally:
        run.leave(token)


def forget(number: int) -> None:
    _pending.pop(number, None)


after_commit = ReadOnlyNamespace("frappe.db.after_commit", add=_adder("after_commit"))
before_commit = ReadOnlyNamespace("frappe.db.before_commit", add=_adder("before_commit"))
after_rollback = ReadOnlyNamespace("frappe.db.after_rollback", add=_adder("after_rollback"))
