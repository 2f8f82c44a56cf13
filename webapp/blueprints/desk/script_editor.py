"""The Server Script editor's extras: live validation, completions, templates, recent runs."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from webapp.blueprints.access import roles_required
from webapp.blueprints.desk.blueprint import bp
from webapp.errors import ValidationError
from webapp.models.user import SYSTEM_MANAGER
from webapp.runtime.server_script import compile_errors
from webapp.services import documents, health, settings

MAX_SOURCE = 200_000

# Offered in the editor: the examples of the user's own documentation, one per script type. Each
# template also sets the fields it needs (TEMPLATE_FIELDS, by label), so it saves and runs as it is.
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "DocType Event": [
        ("ToDo: change a value before save", 'if "test" in doc.description:\n    doc.status = \'Closed\'\n'),
        ("ToDo: custom validation",
         'if "validate" in doc.description:\n    frappe.throw("A ToDo may not say \'validate\'")\n'),
        ("Task: create a ToDo for its assignee (After Save)",
         "if doc.allocated_to:\n    frappe.get_doc(dict(\n        doctype = 'ToDo',\n"
         "        allocated_to = doc.allocated_to,\n        description = doc.subject,\n"
         "        reference_type = 'Task',\n        reference_name = doc.name\n    )).insert()\n"),
    ],
    "API": [
        ("Hello API", "frappe.response['message'] = \"hello\"\n"),
        ("Share data with flags", "# Another script's run_script('<this script\\'s name>') returns these flags\n"
                                  "frappe.flags.my_key = 'my value'\n"),
    ],
    "Scheduler Event": [
        ("Close overdue ToDos (Daily)",
         "# Runs as Administrator when its period comes round (.venv/bin/flask --app wsgi scheduler)\n"
         "for name in frappe.get_all('ToDo', filters={'status': 'Open', 'date': ['<', frappe.utils.today()]},\n"
         "                           pluck='name'):\n"
         "    frappe.db.set_value('ToDo', name, 'status', 'Closed')\n"),
    ],
    "Permission Query": [
        ("Only my own ToDos",
         "# `user` is the user whose list is built; `conditions` is ANDed into the list's SQL\n"
         "if user != 'Administrator':\n"
         "    conditions = f'`tabToDo`.owner = {frappe.db.escape(user)}'\n"),
    ],
}

TEMPLATE_FIELDS: dict[str, dict[str, Any]] = {
    "ToDo: change a value before save": {"reference_doctype": "ToDo", "doctype_event": "Before Save"},
    "ToDo: custom validation": {"reference_doctype": "ToDo", "doctype_event": "Before Save"},
    "Task: create a ToDo for its assignee (After Save)": {"reference_doctype": "Task", "doctype_event": "After Save"},
    "Hello API": {"api_method": "hello"},
    "Share data with flags": {"api_method": "share_data"},
    "Close overdue ToDos (Daily)": {"event_frequency": "Daily"},
    "Only my own ToDos": {"reference_doctype": "ToDo"},
}
# The fields a template sets: those it names get its values, the others are emptied.
TEMPLATE_KEYS = ("script_type", "reference_doctype", "doctype_event", "api_method", "event_frequency", "cron_format")
CALL_ANOTHER = "Call another script"


def _fields(stype: str, values: dict[str, Any]) -> dict[str, Any]:
    return {**dict.fromkeys(TEMPLATE_KEYS, ""), "script_type": stype, **values}


def _templates(current: str | None) -> dict[str, list[dict[str, Any]]]:
    """The templates as the form shows them, each with every field it sets. "Call another script"
    calls an API script that exists (the first by name); with none, it says what to do first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for stype, items in TEMPLATES.items():
        out[stype] = [{"label": label, "source": source, "unavailable": "",
                       "fields": _fields(stype, TEMPLATE_FIELDS.get(label, {}))}
                      for label, source in items]
    others = [n for n in _api_script_names() if n != current]
    target = others[0] if others else "<an API script>"
    out["API"].append({
        "label": CALL_ANOTHER, "fields": _fields("API", {"api_method": "call_another"}),
        "source": f"# run_script runs another API script by its name and returns its frappe.flags\n"
                  f"flags = run_script({target!r})\nfrappe.response['message'] = flags\n",
        "unavailable": "" if others else "save an API script first: this template calls it",
    })
    return out


def _api_script_names() -> list[str]:
    from webapp.services import documents

    return documents.get_list("Server Script", filters={"script_type": "API"}, pluck="name", order_by="name asc",
                              limit_page_length=20)


COMPLETIONS = sorted({
    *(f"frappe.{n}" for n in (
        "get_doc", "new_doc", "get_cached_doc", "get_last_doc", "delete_doc", "get_all", "get_list", "get_meta",
        "has_permission", "msgprint", "throw", "log_error", "errprint", "call", "render_template", "as_json",
        "parse_json", "get_roles", "get_fullname", "form_dict", "flags", "response", "session.user", "request",
        "ValidationError", "PermissionError", "DoesNotExistError", "DuplicateEntryError", "MandatoryError",
        "make_get_request", "make_post_request", "enqueue", "sendmail")),
    *(f"frappe.db.{n}" for n in ("get_value", "get_values", "set_value", "exists", "count", "get_all", "get_list",
                                 "sql", "escape", "commit", "rollback")),
    *(f"frappe.utils.{n}" for n in ("nowdate", "today", "now", "now_datetime", "getdate", "get_datetime", "add_days",
                                    "add_months", "add_to_date", "date_diff", "flt", "cint", "cstr", "rounded",
                                    "fmt_money", "money_in_words", "strip_html", "escape_html", "random_string")),
    *(f"doc.{n}" for n in ("get", "set", "append", "as_dict", "is_new", "get_doc_before_save", "has_value_changed",
                           "save", "insert", "submit", "cancel", "delete", "reload", "db_set", "flags", "name",
                           "doctype", "docstatus", "owner")),
    "run_script", "log", "as_json", "_dict", "json.dumps", "json.loads",
})


@bp.post("/api/desk/validate_script")
@roles_required(SYSTEM_MANAGER)
def validate_script():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("script"), str):
        raise ValidationError('Send {"script": "<python source>"} as JSON')
    source = body["script"]
    if len(source) > MAX_SOURCE:
        return jsonify({"errors": [{"line": 1, "column": 1, "message": f"The script is over {MAX_SOURCE} characters"}]})
    return jsonify({"errors": compile_errors(source)})


def _recent_runs(name: str, limit: int = 10) -> list[dict[str, Any]]:
    return documents.get_list("Server Script Log", fields=["name", "started", "trigger", "status", "duration_ms",
                                                           "output", "error", "user"],
                              filters={"server_script": name}, order_by="started desc", limit_page_length=limit)


@bp.app_template_global()
def script_completions() -> list[str]:
    return COMPLETIONS


def form_extras(values: dict[str, Any], is_new: bool) -> dict[str, Any]:
    """The Server Script form's extra parts: the feature switch, templates, health, recent runs
    (the form view asks for them through doc_views.FORM_EXTRAS)."""
    name = None if is_new else str(values.get("name") or "") or None
    return {"top": "desk/_server_script_top.html", "bottom": "desk/_server_script_bottom.html",
            "enabled": settings.scripts_enabled(), "editable": int(values.get("docstatus") or 0) == 0,
            "templates": _templates(name), "runs": _recent_runs(name) if name else [],
            "health": health.script_health(name) if name else None}
