"""Read-only SQL for text written by scripts (frappe.db.sql, Permission Query conditions), enforced
by the database, never by reading the text.

The query runs on the operation's own connection and transaction (so it sees what the operation
wrote), with bound parameters only (Frappe's `%s` / `%(name)s` placeholders, `%%` for a literal %).

SQLite: for the one query, an authorizer on the raw connection allows only SELECT, reads of `tab*`
tables of the main database and a fixed set of harmless functions; `PRAGMA query_only` is on, single
values are capped in size, and a progress handler stops the query when the script's time budget
runs out. All of it is undone in `finally`.

PostgreSQL: inside a SAVEPOINT the transaction turns read-only, the role becomes the NOLOGIN role
`server_script_reader` (USAGE on the schema, SELECT on `tab*` tables, nothing else) and
`statement_timeout` becomes what is left of the script's budget. The query is declared as a cursor
over the extended protocol, so it is exactly one SELECT/VALUES statement (no COMMIT, SET, COPY...).
`set_config` is not executable by PUBLIC (see `ensure_reader_role`), so the script's SQL cannot
reset the role or the timeout. Afterwards ROLLBACK TO SAVEPOINT undoes every one of those settings.

At most MAX_ROWS rows (and MAX_RESULT_BYTES of text) come back; a larger result is an error that
asks for a LIMIT.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.pq
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from webapp.doctypes import registry
from webapp.errors import PermissionError, ValidationError
from webapp.extensions import db
from webapp.sandbox import ScriptTimeoutError

log = logging.getLogger(__name__)

MAX_ROWS = 10_000
MAX_RESULT_BYTES = 32 * 1024 * 1024
MAX_VALUE_BYTES = 10 * 1024 * 1024  # SQLite: the largest string or blob one expression may build
MAX_QUERY_CHARS = 100_000
READER_ROLE = "server_script_reader"
DEFAULT_BUDGET_S = 5.0  # outside a script run, when the caller has no budget of its own


class SQLNotAllowed(PermissionError):
    """The query tried something frappe.db.sql does not allow (a write, a private table...).

    Frappe raises PermissionError there: scripts catch it as `frappe.PermissionError`, and clients
    get 403 with exc_type "PermissionError"."""

    frappe_exc_type = "PermissionError"


# -- placeholders ---------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"%(?:\(([^)]*)\))?(.)", re.S)


def _to_qmark(query: str, values: Any) -> tuple[str, list[Any]]:
    """Frappe's pyformat placeholders to SQLite's `?`, with the values in order."""
    params: list[Any] = []
    positional = list(values) if isinstance(values, (list, tuple)) else None
    pos = 0
    out: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(query):
        out.append(query[last:m.start()])
        last = m.end()
        name, conv = m.group(1), m.group(2)
        if name is None and conv == "%":
            out.append("%")
            continue
        if conv != "s":
            raise ValidationError("frappe.db.sql: placeholders are %s and %(name)s; write %% for a literal %")
        if name is None:
            if positional is None:
                raise ValidationError("frappe.db.sql: %s placeholders need a list or tuple of values")
            if pos >= len(positional):
                raise ValidationError("frappe.db.sql: more %s placeholders than values")
            params.append(positional[pos])
            pos += 1
        else:
            if not isinstance(values, dict):
                raise ValidationError("frappe.db.sql: %(name)s placeholders need a dict of values")
            if name not in values:
                raise ValidationError(f"frappe.db.sql: no value for %({name})s")
            params.append(values[name])
        out.append("?")
    out.append(query[last:])
    if positional is not None and pos != len(positional):
        raise ValidationError("frappe.db.sql: more values than %s placeholders")
    return "".join(out), params


def run_query(query: str, values: Any, what: str, budget_s: float,
              should_stop: Callable[[], bool] | None = None) -> tuple[list[str], list]:
    """Run one read-only query (text with Frappe's placeholders and its values) on the operation's
    own connection under the guard: (column names, rows), at most MAX_ROWS of them. Errors name
    `what`; `should_stop()` (checked while the query runs) cancels it early, as a timeout."""
    if budget_s <= 0 or (should_stop is not None and should_stop()):
        raise timeout_error(what)
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        return _run_sqlite(conn, query, values, what, budget_s, should_stop)
    if conn.dialect.name == "postgresql":
        return _run_postgres(conn, query, values, what, budget_s)
    raise ValidationError(f"{what} is not available on {conn.dialect.name}")  # pragma: no cover


def timeout_error(what: str) -> BaseException:
    return ScriptTimeoutError(f"{what}: the query ran past the script's time limit and was cancelled")


def guarded_reads(what: str, budget_s: float, should_stop: Callable[[], bool] | None = None) -> Any:
    """A context giving `run(statement) -> rows`: SQLAlchemy statements run on the operation's own
    connection under the same guard as frappe.db.sql (read-only, tab* tables only, harmless
    functions, one SELECT, `budget_s` seconds), their errors named after `what`. For queries that
    carry SQL text written elsewhere (a Permission Query's condition)."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        return _guarded_runner(_sqlite_guard(conn, what, budget_s, should_stop), {})
    if conn.dialect.name == "postgresql":
        # A declared (server-side) cursor: exactly one SELECT, even when the statement has no parameters.
        return _guarded_runner(_postgres_guard(conn, what, budget_s), {"stream_results": True})
    raise ValidationError(f"{what} is not available on {conn.dialect.name}")  # pragma: no cover


@contextmanager
def _guarded_runner(guard: Any, options: dict[str, Any]) -> Iterator[Any]:
    def run(statement: Any) -> list:
        result = db.session.execute(statement, execution_options=options)
        try:
            return result.all()
        finally:
            result.close()

    with guard:
        yield run


def _fetch_capped(fetchmany, what: str) -> list:
    rows = fetchmany(MAX_ROWS + 1)
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"{what} returns at most {MAX_ROWS:,} rows; add a LIMIT or filter the query")
    size = 0
    for row in rows:
        for value in row:
            if isinstance(value, (str, bytes, bytearray, memoryview)):
                size += len(value)
        if size > MAX_RESULT_BYTES:
            raise ValidationError(f"{what}: the result is larger than {MAX_RESULT_BYTES // 2**20} MB; "
                                  "select fewer columns or rows")
    return rows


def private_tables() -> frozenset[str]:
    """Tables of doctypes kept from scripts (Email Queue): no query may read them."""
    return frozenset(dt.table_name for dt in registry.all_doctypes() if not dt.script_access)


# -- SQLite ---------------------------------------------------------------------------------------
SQLITE_FUNCTIONS = frozenset("""
abs avg char coalesce count date datetime glob group_concat string_agg hex ifnull iif instr julianday length
like likelihood likely lower ltrim max min nullif octet_length printf format quote replace round rtrim sign
strftime substr substring sum time total trim typeof unicode unixepoch unlikely upper
acos asin atan atan2 ceil ceiling cos degrees exp floor ln log log10 log2 mod pi pow power radians sin sqrt
tan trunc
json json_array json_array_length json_extract json_insert json_object json_patch json_quote json_remove
json_replace json_set json_type json_valid json_group_array json_group_object -> ->>
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
""".split())


class _SqliteGuard:
    """The authorizer for one query; remembers why it refused, for the error message."""

    ALLOW_ALWAYS = frozenset({sqlite3.SQLITE_SELECT, getattr(sqlite3, "SQLITE_RECURSIVE", 33)})
    ACTION_NAMES = {
        sqlite3.SQLITE_INSERT: "INSERT", sqlite3.SQLITE_UPDATE: "UPDATE", sqlite3.SQLITE_DELETE: "DELETE",
        sqlite3.SQLITE_PRAGMA: "PRAGMA", sqlite3.SQLITE_ATTACH: "ATTACH", sqlite3.SQLITE_DETACH: "DETACH",
        sqlite3.SQLITE_TRANSACTION: "transaction control", sqlite3.SQLITE_DROP_TABLE: "DROP TABLE",
        sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE", sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
        sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX", sqlite3.SQLITE_DROP_INDEX: "DROP INDEX",
        sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW", sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER",
        sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TEMP TABLE", sqlite3.SQLITE_ANALYZE: "ANALYZE",
        getattr(sqlite3, "SQLITE_SAVEPOINT", 32): "SAVEPOINT", sqlite3.SQLITE_REINDEX: "REINDEX",
        sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE", sqlite3.SQLITE_DROP_VIEW: "DROP VIEW",
    }

    def __init__(self, schema_tables: set[str]) -> None:
        self.refused: str | None = None
        # Names of real tables (lowercase): a READ of any other name is of a CTE the query defines.
        self.schema_tables = schema_tables
        self.private = {name.lower() for name in private_tables()}

    def __call__(self, action: int, arg1: str | None, arg2: str | None, dbname: str | None,
                 source: str | None) -> int:
        if action in self.ALLOW_ALWAYS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            if arg1 and arg1.lower() in self.private:
                return self._deny(f"reading table {arg1!r} is not allowed (Server Scripts cannot read it)")
            if arg1 and arg1.startswith("tab") and dbname in ("main", None):
                return sqlite3.SQLITE_OK
            if arg1 and dbname is None and arg1.lower() not in self.schema_tables:
                return sqlite3.SQLITE_OK  # count(*) over a CTE of the query itself
            return self._deny(f"reading table {arg1!r} is not allowed (only tab* tables)")
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() in SQLITE_FUNCTIONS:
                return sqlite3.SQLITE_OK
            return self._deny(f"the function {arg2}() is not allowed")
        what = self.ACTION_NAMES.get(action, f"operation {action}")
        return self._deny(f"{what} is not allowed")

    def _deny(self, why: str) -> int:
        if self.refused is None:
            self.refused = why
        return sqlite3.SQLITE_DENY


def _run_sqlite(conn: Any, query: str, values: Any, what: str, budget_s: float,
                should_stop: Callable[[], bool] | None) -> tuple[list[str], list]:
    raw = conn.connection.dbapi_connection
    params: Any = ()
    if values is not None:
        query, params = _to_qmark(query, values)
    with _sqlite_guard(conn, what, budget_s, should_stop) as cursors:
        cur = raw.cursor()
        cursors.append(cur)
        cur.execute(query, params)
        columns = [d[0] for d in cur.description or ()]
        rows = _fetch_capped(cur.fetchmany, what) if cur.description else []
    return columns, rows


@contextmanager
def _sqlite_guard(conn: Any, what: str, budget_s: float,
                  should_stop: Callable[[], bool] | None = None) -> Iterator[list]:
    """Statements run inside, on `conn`, may only read tab* tables with harmless functions, within
    `budget_s`; errors name `what`. Yields a list: cursors put there are closed with the guard."""
    raw = conn.connection.dbapi_connection
    guard = _SqliteGuard(_schema_tables(raw))
    deadline = time.monotonic() + max(0.0, budget_s)
    timed_out = False

    def progress() -> int:
        nonlocal timed_out
        if time.monotonic() >= deadline or (should_stop is not None and should_stop()):
            timed_out = True
            return 1
        return 0

    old_length = raw.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
    cursors: list = []
    try:
        raw.execute("PRAGMA query_only = ON")
        raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        raw.set_progress_handler(progress, 1000)
        raw.set_authorizer(guard)
        try:
            yield cursors
        except (sqlite3.Error, sqlite3.Warning, ValueError, TypeError, OverflowError, sa_exc.StatementError) as exc:
            exc = _unwrap(exc)
            if timed_out:
                raise timeout_error(what) from None
            if guard.refused:
                raise SQLNotAllowed(f"{what} is read-only: {guard.refused}") from None
            if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).replace(" ", "").lower():
                raise SQLNotAllowed(f"{what} is read-only: writing is not allowed") from None
            raise ValidationError(f"{what} failed: {exc}") from None
    finally:
        _restore_sqlite(conn, raw, cursors, old_length)


def _unwrap(exc: BaseException) -> BaseException:
    """The driver's exception inside SQLAlchemy's wrapper."""
    orig = getattr(exc, "orig", None) if isinstance(exc, sa_exc.StatementError) else None
    return orig if isinstance(orig, BaseException) else exc


def _schema_tables(raw: Any) -> set[str]:
    names = {"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema", "sqlite_sequence",
             "sqlite_stat1", "sqlite_stat4"}
    for schema in ("main", "temp"):
        rows = raw.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type IN ('table', 'view')").fetchall()
        names.update(str(r[0]).lower() for r in rows)
    return names


def _restore_sqlite(conn: Any, raw: Any, cursors: list, old_length: int) -> None:
    """Undo the guard. Retried, because a budget kill may land in here; if it cannot be done the
    connection is thrown away rather than handed on with the guard still on."""
    pending: BaseException | None = None
    for _ in range(100):
        try:
            while cursors:
                cursors[-1].close()
                cursors.pop()
            raw.set_authorizer(None)
            raw.set_progress_handler(None, 0)
            raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, old_length)
            raw.execute("PRAGMA query_only = OFF")
            break
        except BaseException as exc:  # noqa: BLE001 - re-raised below once the guard is off
            pending = pending or exc
    else:  # pragma: no cover - could not undo: never reuse this connection
        conn.invalidate()
    if pending is not None and not isinstance(pending, Exception):
        raise pending


# -- PostgreSQL -----------------------------------------------------------------------------------
_reader_ready: set[str] = set()


def _run_postgres(conn: Any, query: str, values: Any, what: str, budget_s: float) -> tuple[list[str], list]:
    raw = conn.connection.dbapi_connection
    with _postgres_guard(conn, what, budget_s):
        cur = raw.cursor(name="server_script_sql", scrollable=False)
        try:
            cur.execute(query, values)
            columns = [d.name for d in cur.description or ()]
            rows = _fetch_capped(cur.fetchmany, what)
        finally:
            try:
                cur.close()
            except psycopg.Error:  # the savepoint rollback drops the cursor anyway
                pass
    return columns, rows


@contextmanager
def _postgres_guard(conn: Any, what: str, budget_s: float) -> Iterator[None]:
    """Statements run inside, on `conn`, run read-only as the reader role within `budget_s`;
    errors name `what`. Run each as one declared cursor (one SELECT: no COMMIT, SET...)."""
    raw = conn.connection.dbapi_connection
    _check_reader_role(raw, what)
    budget_ms = int(budget_s * 1000)
    if budget_ms <= 0:
        raise timeout_error(what)
    savepoint = "server_script_sql"
    with raw.cursor() as c:
        c.execute(f"SAVEPOINT {savepoint}")
    try:
        with raw.cursor() as c:
            c.execute("SELECT pg_catalog.set_config('statement_timeout', %s, true)", (str(max(1, budget_ms)),))
            c.execute("SET LOCAL transaction_read_only = on")
            c.execute(f'SET LOCAL ROLE "{READER_ROLE}"')
        try:
            yield
        except sa_exc.StatementError as wrapped:
            exc = _unwrap(wrapped)
            if exc is wrapped:
                raise ValidationError(f"{what} failed: {wrapped}") from None
            raise exc from None
    except psycopg.errors.QueryCanceled:
        raise timeout_error(what) from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise SQLNotAllowed(f"{what} is read-only: {_pg_message(exc)} (only reading tab* tables is allowed)") \
            from None
    except psycopg.errors.ReadOnlySqlTransaction as exc:
        raise SQLNotAllowed(f"{what} is read-only: {_pg_message(exc)} is not allowed") from None
    except psycopg.errors.FeatureNotSupported as exc:
        raise SQLNotAllowed(f"{what} is read-only: {_pg_message(exc)}") from None
    except psycopg.errors.SyntaxError as exc:
        raise SQLNotAllowed(f"{what} runs one SELECT only; not allowed or not valid: {_pg_message(exc)}") from None
    except (psycopg.Error, ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValidationError(f"{what} failed: {_pg_message(exc)}") from None
    finally:
        _restore_postgres(conn, raw, savepoint, what)


def _pg_message(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    return str(primary or exc).strip().splitlines()[0] if str(primary or exc).strip() else type(exc).__name__


def _restore_postgres(conn: Any, raw: Any, savepoint: str, what: str) -> None:
    """Roll back to the savepoint: role, read-only and timeout return to what they were."""
    pending: BaseException | None = None
    for _ in range(100):
        try:
            with raw.cursor() as c:
                c.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                c.execute(f"RELEASE SAVEPOINT {savepoint}")
            break
        except BaseException as exc:  # noqa: BLE001 - re-raised below once the role is back
            pending = pending or exc
            try:
                status = raw.pgconn.transaction_status
            except Exception:  # noqa: BLE001
                break
            if status not in (psycopg.pq.TransactionStatus.INTRANS, psycopg.pq.TransactionStatus.INERROR):
                break
    else:  # pragma: no cover
        conn.invalidate()
    if pending is not None:
        if isinstance(pending, Exception):
            conn.invalidate()
            raise ValidationError(f"{what} could not restore the connection") from None
        raise pending


def _check_reader_role(raw: Any, what: str = "frappe.db.sql") -> None:
    key = str(raw.info.dbname) + "/" + str(raw.info.user)
    if key in _reader_ready:
        return
    with raw.cursor() as c:
        c.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (READER_ROLE,))
        if c.fetchone() is None:
            raise ValidationError(f"{what} is not set up on this database: run `flask --app wsgi init-db` "
                                  f"(it creates the role {READER_ROLE})")
        c.execute("SELECT pg_catalog.has_function_privilege(%s, 'pg_catalog.set_config(text,text,boolean)', "
                  "'EXECUTE')", (READER_ROLE,))
        if c.fetchone()[0]:
            raise ValidationError(
                f"{what} is disabled on this database: the role server_script_reader can still run "
                "set_config(). A database superuser must run: REVOKE EXECUTE ON FUNCTION "
                "pg_catalog.set_config(text, text, boolean) FROM PUBLIC; GRANT EXECUTE ON FUNCTION "
                "pg_catalog.set_config(text, text, boolean) TO <the app's database user>;")
    _reader_ready.add(key)


def ensure_reader_role(connection: Any) -> None:
    """Create the reader role and its grants (idempotent; safe when several processes run it at once).

    `connection` is a SQLAlchemy Connection inside a transaction. PostgreSQL only.
    """
    text = sa.text
    if connection.dialect.name != "postgresql":
        return
    # Roles are cluster-wide: serialise concurrent init-db runs (test workers) on one lock.
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('webapp:server_script_reader'))"))
    exists = connection.execute(text("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :r"),
                                {"r": READER_ROLE}).first()
    if not exists:
        connection.execute(text(f'CREATE ROLE "{READER_ROLE}" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
                                'NOINHERIT NOREPLICATION NOBYPASSRLS'))
    me_super = connection.execute(text("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user"))\
        .scalar()
    if not me_super:
        member = connection.execute(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"),
                                    {"r": READER_ROLE}).scalar()
        if not member:
            connection.execute(text(f'GRANT "{READER_ROLE}" TO CURRENT_USER'))
    schema = connection.execute(text("SELECT current_schema()")).scalar()
    connection.execute(text(f'GRANT USAGE ON SCHEMA "{_ident(schema)}" TO "{READER_ROLE}"'))
    tables = connection.execute(text(
        "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'tab%'"
    )).scalars().all()
    private = private_tables()
    for table in tables:
        qualified = f'"{_ident(schema)}"."{_ident(table)}"'
        if table in private:
            connection.execute(text(f'REVOKE ALL ON TABLE {qualified} FROM "{READER_ROLE}"'))
        else:
            connection.execute(text(f'GRANT SELECT ON TABLE {qualified} TO "{READER_ROLE}"'))
    # Without this the reader could `SELECT set_config('role', 'none', true), query_to_xml(...)` and
    # read as the app's own user. Needs a superuser; otherwise frappe.db.sql refuses to run.
    can_set = connection.execute(text(
        "SELECT has_function_privilege(:r, 'pg_catalog.set_config(text,text,boolean)', 'EXECUTE')"),
        {"r": READER_ROLE}).scalar()
    if can_set:
        try:
            with connection.begin_nested():
                connection.execute(text("GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) "
                                        "TO CURRENT_USER"))
                connection.execute(text("REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) "
                                        "FROM PUBLIC"))
        except Exception:  # noqa: BLE001 - not a superuser: frappe.db.sql will say what to run
            log.warning("Could not revoke set_config() from PUBLIC; frappe.db.sql stays disabled until a "
                        "superuser does")


def grant_reader(connection: Any, table: str) -> None:
    """Let the reader role read a table created after init-db (a doctype defined by a user), or keep
    it out when its doctype is closed to scripts. PostgreSQL only; nothing when the role is missing
    (init-db creates it, with its grants on every table)."""
    text = sa.text
    if connection.dialect.name != "postgresql":
        return
    if connection.execute(text("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :r"), {"r": READER_ROLE}).first() \
            is None:
        return
    schema = connection.execute(text("SELECT current_schema()")).scalar()
    qualified = f'"{_ident(schema)}"."{_ident(table)}"'
    verb = f'REVOKE ALL ON TABLE {qualified} FROM' if table in private_tables() else \
        f'GRANT SELECT ON TABLE {qualified} TO'
    connection.execute(text(f'{verb} "{READER_ROLE}"'))


def _ident(name: str) -> str:
    return str(name).replace('"', '""')
