"""What a Server Script can reach through attribute reads, walked the way a script would walk it.

The sandbox reads allowed attribute names natively (no run-time guard), so every object the Script
API hands to scripts must expose only harmless public attributes: no module, no function carrying
state, no partial, no interpreter object, nothing from the database layer or the web framework.
``audit_namespace`` walks the real namespaces (DocType Event and API), the builtins, and the values
the API returns; any finding is a leak to fix before it ships.
"""

from __future__ import annotations

import pytest

from webapp.documents.document import _dict
from webapp.sandbox import safe_builtins
from webapp.sandbox.audit import audit_namespace

FORBIDDEN_MODULES = ("sqlalchemy", "flask", "werkzeug", "psycopg", "sqlite3", "redis", "jinja2", "requests",
                     "limits", "rq", "gunicorn", "webapp.services", "webapp.extensions", "webapp.models",
                     "webapp.runtime", "webapp.config", "webapp.sandbox.limits", "webapp.sandbox.executor",
                     "builtins.module")


@pytest.fixture
def api_values(app, db, make_user):
    """A document, lists and other values that Script API calls return to scripts."""
    from webapp.script_api import calls as doc_api
    from webapp.script_api import utils
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.test_request_context("/api/method/x?a=1", headers={"X-Test": "1"}), acting_as("Administrator"):
        todo = documents.insert(documents.new_doc("ToDo", {"description": "audit me"}))
        claim = doc_api.new_doc("Expense Claim").update({"employee_name": "Administrator"})
        yield [
            ("frappe.get_doc('ToDo')", doc_api.get_doc("ToDo", todo.name)),
            ("frappe.new_doc('Expense Claim')", claim),
            ("frappe.get_all('ToDo')", doc_api.get_all("ToDo", fields=["*"])),
            ("frappe.get_meta('Expense Claim')", doc_api.get_meta("Expense Claim")),
            ("frappe.get_meta('ToDo')", doc_api.get_meta("ToDo")),
            ("frappe.utils.now_datetime()", utils.now_datetime()),
            ("frappe._dict()", _dict(a=1)),
            *_query_builder_values(),
        ]


def _query_builder_values():
    """Objects a script builds with frappe.qb (PyPika's builders, tables, fields, criteria, functions)."""
    from webapp.script_api.qb import qb

    todo, user = qb.DocType("ToDo"), qb.DocType("User")
    query = (qb.from_(todo).join(user).on(user.name == todo.owner)
             .select(todo.name, qb.functions.Count("*").as_("n"), qb.functions.Coalesce(todo.date, "x"))
             .where(qb.Criterion.any([todo.status == "Open", todo.priority.isin(["High"])]))
             .groupby(todo.name).orderby(todo.name, order=qb.Order.desc).limit(5))
    return [("frappe.qb.from_(...)", query), ("frappe.qb.DocType('ToDo')", todo), ("a field", todo.status),
            ("a criterion", todo.status == "Open"), ("a case", qb.Case().when(todo.status == "Open", 1).else_(0)),
            ("a pseudo column", qb.terms.PseudoColumn("1")), ("frappe.qb.from_(...).delete()", qb.from_(todo).delete())]


def _namespaces(kind: str):
    from flask import request

    from webapp.script_api import build_namespace
    from webapp.script_api.run import Run as RunContext

    ctx = RunContext(script="audit", kind=kind, user="Administrator", form_dict=_dict(a=request.args.get("a")))
    return build_namespace(ctx, None, True)


@pytest.mark.parametrize("kind", ["DocType Event", "API"])
def test_the_script_namespace_leaks_nothing(app, api_values, kind: str) -> None:
    with app.test_request_context("/api/method/x?a=1", headers={"X-Test": "1"}):
        namespace = _namespaces(kind)
        findings = audit_namespace(namespace, extra=api_values, forbidden_modules=FORBIDDEN_MODULES)
    assert findings == []


def test_the_builtins_leak_nothing() -> None:
    assert audit_namespace(safe_builtins(), forbidden_modules=FORBIDDEN_MODULES) == []


def test_the_audit_would_notice_a_leak(app, api_values) -> None:
    """The audit over the real namespace can fail: plant what a careless change could add."""
    from webapp.extensions import db
    from webapp.sandbox import ReadOnlyNamespace

    def helper():
        pass

    helper.engine = object()
    with app.test_request_context("/api/method/x"):
        namespace = dict(_namespaces("API"))
        namespace["frappe"] = ReadOnlyNamespace("frappe", vars(namespace["frappe"]), session_db=db.session,
                                                helper=helper)
        findings = audit_namespace(namespace, forbidden_modules=FORBIDDEN_MODULES)
    assert any(f.startswith("frappe.session_db: an object of sqlalchemy") for f in findings), findings
    assert "frappe.helper: a function with public attributes ['engine']" in findings
