"""`frappe.db.sql`: one read-only query, under the database guard of services/readonly_sql.py, within
what is left of the script's time budget."""

from __future__ import annotations

from typing import Any

from webapp import sandbox
from webapp.documents.document import AttrDict
from webapp.documents.query import postgres_names
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.services import readonly_sql

SQL_FUNCTION = "frappe.db.sql"


def _normalize_values(values: Any) -> Any:
    if values is None or isinstance(values, dict):
        return dict(values) if values is not None else None
    if isinstance(values, (list, tuple)):
        return tuple(values)
    return (values,)  # Frappe accepts one bare value


def sql(query: Any, values: Any = None, as_dict: Any = False, as_list: Any = False, pluck: Any = False,
        **_ignored: Any) -> list:
    """Run one read-only query; rows as tuples, `_dict`s (as_dict) or lists (as_list)."""
    if not isinstance(query, str):
        raise ValidationError("frappe.db.sql needs the query as a string")
    if len(query) > readonly_sql.MAX_QUERY_CHARS:
        raise ValidationError(f"frappe.db.sql: query too long (over {readonly_sql.MAX_QUERY_CHARS} characters)")
    if db.session.get_bind().dialect.name == "postgresql":
        query = postgres_names(query)  # Frappe's `backquotes` and bare tabToDo, as its Postgres layer reads them
    budget = sandbox.remaining_time()
    columns, rows = readonly_sql.run_query(query, _normalize_values(values), SQL_FUNCTION,
                                           readonly_sql.DEFAULT_BUDGET_S if budget is None else budget,
                                           sandbox.run_stopped)
    if pluck:
        return [r[0] for r in rows]
    if as_dict:
        return [AttrDict(zip(columns, r, strict=False)) for r in rows]
    if as_list:
        return [list(r) for r in rows]
    return [tuple(r) for r in rows]
