"""`frappe.db.after_commit` / `before_commit` / `after_rollback`: Frappe's transaction hooks.

`frappe.db.after_commit.add(func)` runs a function of the script when the operation's transaction
commits (before_commit: just before, and an error there rolls the operation back; after_rollback:
when it rolls back). The function runs later, outside the script's own run, so it runs as a
sandbox run of its own: same user, same run context, a fresh time and memory budget. Errors in
after_commit / after_rollback callbacks are logged (the transaction is over); before_commit's
are raised.
"""

from __future__ import annotations

import logging
from typing import Any

from webapp.errors import ValidationError
from webapp.sandbox import ReadOnlyNamespace, compile_script, execute
from webapp.services import context, run_context
from webapp.services.context import acting_as
from webapp.services.script_settings import limits

log = logging.getLogger("webapp.scripts")
MAX_CALLBACKS = 100  # per operation
_CALL = "callback()"


def _run(ctx: Any, func: Any, raise_errors: bool) -> None:
    with acting_as(ctx.user):
        token = run_context.enter(ctx)
        try:
            result = execute(compile_script(_CALL, "<transaction hook>"), {"callback": func}, limits())
        finally:
            run_context.leave(token)
    if result.error is not None:
        if raise_errors:
            raise result.error
        log.error("Server Script %r: a transaction hook failed: %s: %s", ctx.script, type(result.error).__name__,
                  result.error)


def _adder(kind: str) -> Any:
    def add(func: Any) -> None:
        if not callable(func):
            raise ValidationError(f"frappe.db.{kind}.add() needs a function")
        ctx = run_context.current()
        if ctx is None:
            raise ValidationError("Only available inside a running script")
        memo = context.transaction_memo()
        if memo is not None:
            memo["script_hooks"] = memo.get("script_hooks", 0) + 1
            if memo["script_hooks"] > MAX_CALLBACKS:
                raise ValidationError(f"frappe.db.{kind}: at most {MAX_CALLBACKS} callbacks per operation")
        register = {"after_commit": context.after_commit, "before_commit": context.before_commit,
                    "after_rollback": context.after_rollback}[kind]
        register(lambda: _run(ctx, func, raise_errors=kind == "before_commit"))

    return add


after_commit = ReadOnlyNamespace("frappe.db.after_commit", add=_adder("after_commit"))
before_commit = ReadOnlyNamespace("frappe.db.before_commit", add=_adder("before_commit"))
after_rollback = ReadOnlyNamespace("frappe.db.after_rollback", add=_adder("after_rollback"))
