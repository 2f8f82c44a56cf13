"""`frappe.qb`: Frappe's query builder on PyPika, for reads.

`frappe.qb.DocType("ToDo")` is the table `tabToDo`; `frappe.qb.from_(...)`, `.select/.where/
.orderby/.groupby/.limit`, joins, `frappe.qb.functions` (Count, Sum, Max, Min, Avg, Coalesce,
IfNull ...), `frappe.qb.terms`, `Order`, `Criterion` work as in Frappe, and `.run(as_dict=True)`
runs the SELECT through `frappe.db.sql`: the same database guard
(read-only, only `tab*` tables scripts may read, one statement, the script's time budget) on
SQLite and PostgreSQL. Both quote names with double quotes, which PyPika's base Query uses.

Writes are refused with PermissionError before anything reaches the database (`update`, `into`,
`delete`, `insert`, ...), as in Frappe's restricted query builder; the guard would refuse them too.
A doctype scripts may not reach (Email Queue, or one that does not exist) is refused by name.
"""

from __future__ import annotations

import inspect
from typing import Any

from pypika import Case, Criterion, CustomFunction, Field, Interval, JoinType, Not, Order, Query, Table, Tuple
from pypika import functions as pk_functions
from pypika import terms as pk_terms
from pypika.queries import QueryBuilder

from webapp.errors import DoesNotExistError, PermissionError
from webapp.sandbox import ReadOnlyNamespace
from webapp.script_api.calls import sql
from webapp.script_api.document import METAS

READ_ONLY = "frappe.qb is read-only (reads only, as in Frappe's scripts)"


def _doctype_table(name: str) -> str:
    meta = METAS.get(str(name))
    if meta is None:
        raise DoesNotExistError(f"DocType {name} not found")
    if not meta.script_access:
        raise PermissionError(f"Server Scripts cannot read {meta.name}")
    return meta.table_name


class ScriptQueryBuilder(QueryBuilder):
    """PyPika's builder plus Frappe's `.run()`, which runs SELECTs only."""

    def run(self, as_dict: bool = False, as_list: bool = False, pluck: bool = False, **_ignored: Any) -> list:
        if self._update_table is not None or self._delete_from or self._insert_table is not None:
            raise PermissionError(f"{READ_ONLY}: UPDATE, DELETE and INSERT are not allowed")
        if not self._selects:
            raise PermissionError(f"{READ_ONLY}: only SELECT queries can run")
        return sql(self.get_sql(), as_dict=as_dict, as_list=as_list, pluck=pluck)


class ScriptQuery(Query):
    @classmethod
    def _builder(cls, **kwargs: Any) -> ScriptQueryBuilder:
        return ScriptQueryBuilder(**kwargs)


def DocType(name: str, *args: Any, **kwargs: Any) -> Table:  # noqa: N802 - Frappe's name
    """`frappe.qb.DocType("ToDo")`: the doctype's table."""
    return Table(_doctype_table(name), *args, **kwargs)


def _table(table: Any) -> Any:
    return DocType(table) if isinstance(table, str) else table


def from_(table: Any) -> ScriptQueryBuilder:
    """`frappe.qb.from_("ToDo")` or `frappe.qb.from_(frappe.qb.DocType("ToDo"))`."""
    return ScriptQuery.from_(_table(table))


def select(*terms: Any) -> ScriptQueryBuilder:
    return ScriptQuery.select(*terms)


def _refused(*_args: Any, **_kwargs: Any) -> None:
    raise PermissionError(f"{READ_ONLY}: UPDATE, DELETE and INSERT are not allowed")


def _classes(module: Any, base: type) -> dict[str, type]:
    return {name: obj for name, obj in vars(module).items()
            if not name.startswith("_") and inspect.isclass(obj) and issubclass(obj, base)
            and obj.__module__ == module.__name__}


class IfNull(pk_functions.IfNull):
    """IFNULL(a, b) written as COALESCE(a, b): the same for two arguments, and PostgreSQL has no
    IFNULL (Frappe rewrites it there too)."""

    def __init__(self, condition: Any, term: Any, **kwargs: Any) -> None:
        super().__init__(condition, term, **kwargs)
        self.name = "COALESCE"


functions = ReadOnlyNamespace("frappe.qb.functions", {**_classes(pk_functions, pk_terms.Term), "IfNull": IfNull})
terms = ReadOnlyNamespace("frappe.qb.terms", _classes(pk_terms, pk_terms.Term))

qb = ReadOnlyNamespace(
    "frappe.qb",
    DocType=DocType, Table=Table, Field=Field, from_=from_, select=select,
    update=_refused, into=_refused, delete=_refused,
    functions=functions, terms=terms, Order=Order, Criterion=Criterion, Case=Case, Not=Not, Tuple=Tuple,
    Interval=Interval, JoinType=JoinType, CustomFunction=CustomFunction,
)
