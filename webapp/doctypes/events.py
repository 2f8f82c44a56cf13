"""Document lifecycle events: Frappe's method names, and the names Server Scripts give them."""

from __future__ import annotations

EVENTS = (
    "before_insert", "before_naming", "before_validate", "validate", "before_submit", "after_insert", "on_update",
    "on_submit", "before_cancel", "on_cancel", "before_update_after_submit", "on_update_after_submit", "on_trash",
    "after_delete", "before_print", "before_rename", "after_rename",
)

# Server Script's `doctype_event` names -> Frappe's method names.
DOCTYPE_EVENT_MAP = {
    "Before Insert": "before_insert",
    "After Insert": "after_insert",
    "Before Validate": "before_validate",
    "Before Save": "validate",
    "After Save": "on_update",
    "Before Submit": "before_submit",
    "After Submit": "on_submit",
    "Before Cancel": "before_cancel",
    "After Cancel": "on_cancel",
    "Before Delete": "on_trash",
    "After Delete": "after_delete",
    "Before Save (Submitted Document)": "before_update_after_submit",
    "After Save (Submitted Document)": "on_update_after_submit",
    "Before Print": "before_print",
    "Before Rename": "before_rename",
    "After Rename": "after_rename",
}
