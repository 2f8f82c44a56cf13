"""The app's wiring, in one object per app (`app.extensions["hooks"]`), filled by the factory.

Everything that reacts to something happening elsewhere is registered here, where reading
`create_app()` finds it, rather than on module-level lists that an import fills behind a reader's
back:

- `controllers`: per doctype, an object with Frappe's lifecycle method names (`validate`,
  `on_update`, `on_trash`, ...) that the documents service calls at each event, before the
  listeners. A doctype's own rules (who may change a Server Script, what makes it valid) live there.
- `doc_listeners`: called as `listener(doc, event)` at every document event (Server Scripts).
- `permission_queries`: called as `source(doctype, user)` -> [(source, SQL condition)] for every
  permission-checked list (Permission Query scripts).
- `before_read`: per doctype, called before any read of its rows (the execution log writes its
  pending rows first).
- `method_fallbacks`: called as `handler(call)` for an `/api/method/<name>` that is not built
  in; the first that answers (not None) wins (API scripts).
- `script_ops`: operations a script can ask the app for beyond the bridge's own
  (webapp/runtime/bridge.py): the script runtime's run_script, call and enqueue.
- `doctype_source`: called with no arguments by the doctype registry, answers the app's current
  doctypes (a `registry.Snapshot`: built-ins with their Custom Fields and Property Setters, and the
  doctypes users defined).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

DocListener = Callable[[Any, str], None]
PermissionQuerySource = Callable[[str, str], list[tuple[str, str]]]


@dataclass
class Hooks:
    controllers: dict[str, Any] = field(default_factory=dict)
    doc_listeners: list[DocListener] = field(default_factory=list)
    permission_queries: list[PermissionQuerySource] = field(default_factory=list)
    before_read: dict[str, Callable[[], None]] = field(default_factory=dict)
    method_fallbacks: list[Callable[..., Any]] = field(default_factory=list)
    script_ops: dict[str, Callable[..., Any]] = field(default_factory=dict)
    doctype_source: Callable[[], Any] | None = None

    @contextmanager
    def listening(self, listener: DocListener) -> Iterator[None]:
        """`listener` receives document events for the duration (tests, tools)."""
        self.doc_listeners.append(listener)
        try:
            yield
        finally:
            self.doc_listeners.remove(listener)


def init_app(app: Flask) -> Hooks:
    hooks = app.extensions["hooks"] = Hooks()
    return hooks


def current() -> Hooks:
    return current_app.extensions["hooks"]
