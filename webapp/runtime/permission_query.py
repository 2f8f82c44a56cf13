"""Permission Query scripts: each one gets `user` (the user whose list is being built) and
`conditions` (""), and sets `conditions` to SQL that is ANDed into every permission-checked list and
count of its doctype (the documents service's `permission_query_hooks`). As in Frappe, lists only:
reading one document by name is decided by role permissions alone.

A script runs read-only (a condition is a question, not a change), and is logged like every run.
With the feature switched off a doctype with such a script refuses to list (403) rather than show
rows the script would have hidden.
"""

from __future__ import annotations

from webapp.runtime import cache, scripts
from webapp.services import script_settings
from webapp.services.context import acting_user, read_only
from webapp.services.run_context import RunContext

KIND = "Permission Query"


def trigger_of(doctype: str, user: str) -> str:
    return f"Permission Query {doctype} for {user}"


def conditions_for(doctype: str, user: str) -> list[tuple[str, str]]:
    """[(source, SQL condition)] of the enabled Permission Query scripts on `doctype`, in order of name."""
    found = cache.current().permission_query.get(doctype)
    if not found:
        return []
    budget = script_settings.require_enabled()
    runner = acting_user()
    out: list[tuple[str, str]] = []
    with read_only(f"A Permission Query script cannot change data (it runs whenever {doctype} is listed)"):
        for info in found:
            done = scripts.run(info, RunContext(info.name, KIND, runner), trigger=trigger_of(doctype, user),
                               extra={"user": user, "conditions": ""}, budget=budget, conditions=True)
            condition = done.get("conditions")
            if condition and condition.strip():
                out.append((f"Server Script {info.name!r}", condition.strip()))
    return out
