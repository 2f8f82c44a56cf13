"""The Server Script editor's extras: live validation, completions, templates, recent runs."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from webapp.blueprints.access import roles_required
from webapp.blueprints.desk.blueprint import bp
from webapp.errors import ValidationError
from webapp.models.user import SYSTEM_MANAGER

MAX_SOURCE = 200_000

# Offered in the editor: the examples of the user's own documentation, one per script type.
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "DocType Event": [
        ("Change value before save", 'if "test" in doc.description:\n    doc.status = \'Closed\'\n'),
        ("Custom validation", 'if "validate" in doc.description:\n    raise frappe.ValidationError\n'),
        ("Auto-create ToDo (After Save)", "if doc.allocated_to:\n    frappe.get_doc(dict(\n        doctype = 'ToDo',\n"
                                          "        owner = doc.allocated_to,\n        description = doc.subject\n"
                                          "    )).insert()\n"),
    ],
    "API": [
        ("Hello API", "frappe.response['message'] = \"hello\"\n"),
        ("Share data with flags", "frappe.flags.my_key = 'my value'\n"),
        ("Call another script", "my_key = run_script('script_1').get('my_key')\n"),
    ],
    "Scheduler Event": [
        ("Close overdue ToDos (Daily)",
         "# Runs as Administrator when its period comes round (flask --app wsgi scheduler)\n"
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
    from webapp.runtime.server_script import compile_errors

    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("script"), str):
        raise ValidationError('Send {"script": "<python source>"} as JSON')
    source = body["script"]
    if len(source) > MAX_SOURCE:
        return jsonify({"errors": [{"line": 1, "column": 1, "message": f"The script is over {MAX_SOURCE} characters"}]})
    return jsonify({"errors": compile_errors(source)})


def _recent_runs(name: str, limit: int = 10) -> list[dict[str, Any]]:
    from webapp.services import documents

    return documents.get_list("Server Script Log", fields=["name", "started", "trigger", "status", "duration_ms",
                                                           "output", "error", "user"],
                              filters={"server_script": name}, order_by="started desc", limit_page_length=limit)


@bp.app_template_global()
def script_completions() -> list[str]:
    return COMPLETIONS


@bp.app_template_global()
def form_extras(meta, values: dict[str, Any], is_new: bool) -> dict[str, Any] | None:
    """Extra parts of the Server Script form (None for other doctypes)."""
    if meta.name != "Server Script":
        return None
    enabled = bool(current_app.extensions["site_config"].get("server_script_enabled"))
    return {"enabled": enabled, "templates": TEMPLATES,
            "runs": [] if is_new or not values.get("name") else _recent_runs(str(values["name"]))}
