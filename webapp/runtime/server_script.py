"""The Server Script doctype's controller: its own rules, run by the documents service at each
event (webapp/hooks.py). Only System Managers change scripts (through any door, even a script
using ignore_permissions), a script that would not run is refused when saved, and every change
moves the cache version so every worker reloads."""

from __future__ import annotations

import ast

from webapp import errors
from webapp.doctypes import registry
from webapp.doctypes.events import DOCTYPE_EVENT_MAP
from webapp.doctypes.server_script import EVENT_FREQUENCIES, SCRIPT_TYPES
from webapp.runtime import cache, scheduler
from webapp.sandbox import ALLOWED_MODULES, ScriptCompileError, compile_script
from webapp.services import documents, messages, methods
from webapp.services.context import acting_user
from webapp.services.permissions import roles_of

API_METHOD_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _require_system_manager() -> None:
    user = acting_user()
    if user != "Administrator" and "System Manager" not in roles_of(user):
        raise errors.PermissionError(f"Not permitted: only a System Manager may change Server Scripts ({user} is not)")


class ServerScriptController:
    """Frappe's lifecycle method names; the documents service calls them before any listener."""

    def before_insert(self, _doc) -> None:
        _require_system_manager()

    def before_validate(self, _doc) -> None:
        _require_system_manager()

    def before_update_after_submit(self, _doc) -> None:
        _require_system_manager()

    def on_trash(self, _doc) -> None:
        _require_system_manager()

    def validate(self, doc) -> None:
        validate(doc)

    def on_update(self, _doc) -> None:
        cache.bump_version()

    def after_delete(self, _doc) -> None:
        cache.bump_version()

    def on_update_after_submit(self, _doc) -> None:
        cache.bump_version()


def compile_errors(source: str, name: str = "script") -> list[dict]:
    """[{"line", "column", "message"}] for the editor; empty when the script compiles and imports
    only what the sandbox allows (an import of anything else would fail on every run)."""
    try:
        compile_script(source or "", cache.script_filename(name))
    except ScriptCompileError as exc:
        line = exc.lineno or 1
        # The editor shows "Line N:" itself; the message carries the rest.
        return [{"line": line, "column": (exc.offset or 1), "message": _strip_line(str(exc), line)}]
    return _import_errors(source or "")


def _strip_line(message: str, line: int) -> str:
    prefix = f"Line {line}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _import_errors(source: str) -> list[dict]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [("." * node.level) + (node.module or "")]
        else:
            continue
        for module in names:
            if module not in ALLOWED_MODULES:
                found.append({"line": node.lineno, "column": node.col_offset + 1,
                              "message": f"import of {module!r} is not allowed; scripts may "
                                         f"import {', '.join(ALLOWED_MODULES)}"})
    return found


def validate(doc) -> None:
    def bad(message: str, *fields: str) -> errors.ValidationError:
        return errors.ValidationError(message).for_fields(*fields)

    stype = doc.get("script_type")
    if stype not in SCRIPT_TYPES:
        raise bad(f"Script Type must be one of: {', '.join(SCRIPT_TYPES)}", "script_type")
    name = str(doc.get("name") or "").strip()
    if not name:
        raise bad("A Server Script needs a name", "name")
    if stype == "DocType Event":
        _validate_doc_event(doc, bad)
    elif stype == "API":
        _validate_api(doc, bad)
    elif stype == "Scheduler Event":
        _validate_scheduler(doc, bad)
    else:
        _reference_doctype(doc, bad, stype)
    source = doc.get("script") or ""
    if not source.strip():
        raise bad("The script is empty", "script")
    for err in compile_errors(source, name):
        # Frappe's wording first (its clients and tests look for "invalid python code"), then ours.
        raise bad(f"Invalid Python code on line {err['line']}: {err['message']}", "script")


def reference_doctype_options() -> list[str]:
    """The doctypes a script can follow, read from the registry when asked (so doctypes added while
    the app runs are offered): not child tables (as in Frappe, they are reached through their
    parent), not doctypes closed to scripts or to script events (the Server Script doctypes)."""
    return sorted(dt.name for dt in registry.all_doctypes()
                  if not dt.istable and dt.script_access and dt.script_events)


def _reference_doctype(doc, bad, stype: str):
    ref = doc.get("reference_doctype")
    if not ref:
        raise bad(f"A {stype} script needs a Reference Document Type", "reference_doctype")
    meta = registry.get(ref)
    if meta is None or meta.istable or not meta.script_access or not meta.script_events:
        raise bad(f"Reference Document Type {ref!r} is not a document type scripts can follow", "reference_doctype")
    return meta


def _validate_scheduler(doc, bad) -> None:
    frequency = doc.get("event_frequency")
    if frequency not in EVENT_FREQUENCIES:
        raise bad(f"A Scheduler Event script needs an Event Frequency, one of: {', '.join(EVENT_FREQUENCIES)}",
                  "event_frequency")
    if frequency == "Cron":
        cron = " ".join(str(doc.get("cron_format") or "").split())
        problem = scheduler.cron_problem(cron)
        if problem:
            raise bad(f"Cron Format: {problem}", "cron_format")
        doc._data["cron_format"] = cron


def _validate_doc_event(doc, bad) -> None:
    meta = _reference_doctype(doc, bad, "DocType Event")
    ref = meta.name
    event = doc.get("doctype_event")
    if event not in DOCTYPE_EVENT_MAP:
        raise bad(f"DocType Event must be one of: {', '.join(DOCTYPE_EVENT_MAP)}", "doctype_event")
    if not meta.is_submittable and ("Submit" in event or "Cancel" in event or "Submitted" in event):
        raise bad(f"{ref} is not submittable, so {event!r} never happens", "doctype_event")


def _validate_api(doc, bad) -> None:
    method = str(doc.get("api_method") or "").strip()
    if not method:
        # Saved as Frappe saves it (a script being written, or one switched from another type), but
        # nothing can call it until it has a method name: say so.
        doc._data["api_method"] = None
        messages.add_message(f"Server Script {doc.get('name')!r} has no API Method yet: nobody can call it until you "
                           "give it one (it is then served at /api/method/<API Method>)", title="Not callable yet",
                           indicator="orange")
        _validate_rate_limit(doc, bad)
        return
    if not set(method) <= API_METHOD_CHARS or method.startswith((".", "-")):
        raise bad("API Method may contain only letters, digits, '_', '.' and '-'", "api_method")
    if methods.is_builtin(method) or method.startswith("frappe."):
        raise bad(f"API Method {method!r} is a built-in method's name; choose another", "api_method")
    doc._data["api_method"] = method
    taken = documents.get_list("Server Script", fields=["name"], ignore_permissions=True,
                               filters={"api_method": method, "script_type": "API", "name": ["!=", doc.get("name")]},
                               limit_page_length=1)
    if taken:
        raise errors.DuplicateEntryError(f"API Method {method!r} is already used by Server Script "
                                         f"{taken[0]['name']!r}").for_fields("api_method")
    _validate_rate_limit(doc, bad)


def _validate_rate_limit(doc, bad) -> None:
    if doc.get("enable_rate_limit"):
        try:
            count, seconds = int(doc.get("rate_limit_count") or 0), int(doc.get("rate_limit_seconds") or 0)
        except (TypeError, ValueError):
            raise bad("Rate limit count and seconds must be whole numbers", "rate_limit_count") from None
        if not 1 <= count <= 1_000_000:
            raise bad("Rate Limit Count must be between 1 and 1,000,000", "rate_limit_count")
        if not 1 <= seconds <= 366 * 86400:
            raise bad("Rate Limit Seconds must be between 1 and 31,622,400 (a year)", "rate_limit_seconds")


__all__ = ["EVENT_FREQUENCIES", "ServerScriptController", "compile_errors", "validate"]
