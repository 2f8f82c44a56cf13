"""frappe.db.sql is read-only, enforced by the database (SQLite authorizer, PostgreSQL reader role).

Every bypass attempt runs as a real API Server Script over HTTP and must be refused with a clear
error naming frappe.db.sql (PermissionError, 403, as in Frappe; 417 for what is not valid SQL),
leave the data as it was, and leave the server (and the connection the query ran on) serving.
"""

from __future__ import annotations

import time

import pytest

from webapp.services.readonly_sql import MAX_ROWS


def add_script(client, headers, name: str, script: str, **fields) -> None:
    body = {"name": name, "script_type": "API", "api_method": name, "script": script, **fields}
    r = client.post("/api/resource/Server Script", json=body, headers=headers)
    assert r.status_code == 200, r.get_json()


def message(r) -> str:
    body = r.get_json() or {}
    return str(body.get("exception") or body.get("message") or body)


def assert_still_serves(client, headers) -> None:
    assert client.get("/api/method/ping").get_json() == {"message": "pong"}
    r = client.get("/api/method/sql_ok", headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == [[1]]


@pytest.fixture
def admin(client, api_keys, site_config):
    site_config(server_script_enabled=True, server_script_timeout=2)
    headers = api_keys("Administrator")
    add_script(client, headers, "sql_ok", "frappe.response['message'] = frappe.db.sql('SELECT 1')")
    add_script(client, headers, "sql_run", "frappe.response['message'] = frappe.db.sql(frappe.form_dict.q)")
    for i, desc in enumerate(("alpha", "beta", "gamma")):
        r = client.post("/api/resource/ToDo", json={"description": desc, "priority": ("Low", "Medium", "High")[i]},
                        headers=headers)
        assert r.status_code == 200
    return headers


def snapshot(db) -> tuple:
    from sqlalchemy import text

    db.session.rollback()
    todos = db.session.execute(text('SELECT name, description FROM "tabToDo" ORDER BY name')).all()
    auth = db.session.execute(text('SELECT "user", password_hash FROM "__Auth" ORDER BY "user"')).all()
    scripts = db.session.execute(text('SELECT count(*) FROM "tabServer Script"')).scalar()
    tables = set(db.inspect(db.engine).get_table_names())
    db.session.rollback()
    return todos, auth, scripts, tables


# -- legitimate queries ---------------------------------------------------------------------------
def test_select_with_join_aggregate_and_params(client, admin):
    add_script(client, admin, "sql_report", """
rows = frappe.db.sql('''
    SELECT t.priority, count(*) AS n, max(u.name) AS who
    FROM "tabToDo" t JOIN "tabUser" u ON u.name = t.owner
    WHERE t.description != %(skip)s
    GROUP BY t.priority ORDER BY t.priority''', {"skip": "gamma"}, as_dict=True)
frappe.response["message"] = [[r.priority, r.n, r.who] for r in rows]
""")
    r = client.get("/api/method/sql_report", headers=admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == [["Low", 1, "Administrator"], ["Medium", 1, "Administrator"]]


def test_positional_params_pluck_and_percent_literal(client, admin):
    add_script(client, admin, "sql_pos", """
a = frappe.db.sql('SELECT description FROM "tabToDo" WHERE description IN (%s, %s) ORDER BY 1', ("alpha", "gamma"))
b = frappe.db.sql('SELECT description FROM "tabToDo" WHERE description LIKE %s', "be%", pluck=True)
d = frappe.db.sql('''SELECT count(*) FROM "tabToDo" WHERE description LIKE 'a%%' AND priority = %s''', ["Low"])
e = frappe.db.sql('''SELECT count(*) FROM "tabToDo" WHERE description LIKE 'a%' ''')
frappe.response["message"] = [a, b, d, e]
""")
    r = client.get("/api/method/sql_pos", headers=admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == [[["alpha"], ["gamma"]], ["beta"], [[1]], [[1]]]


def test_values_are_bound_not_formatted(client, admin, db):
    add_script(client, admin, "sql_bound", """
evil = "x'; DELETE FROM \\"tabToDo\\"; --"
frappe.response["message"] = frappe.db.sql('SELECT count(*) FROM "tabToDo" WHERE description = %(d)s', {"d": evil})
""")
    before = snapshot(db)
    r = client.post("/api/method/sql_bound", headers=admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == [[0]]
    assert snapshot(db) == before


def test_sees_rows_the_operation_wrote_and_writes_after_sql_still_work(client, admin, db):
    add_script(client, admin, "sql_same_tx", """
doc = frappe.get_doc({"doctype": "ToDo", "description": "fresh"}).insert()
seen = frappe.db.sql('SELECT description FROM "tabToDo" WHERE name = %s', [doc.name])
try:
    frappe.db.sql('DELETE FROM "tabToDo"')
except frappe.PermissionError as e:
    refused = str(e)
frappe.db.set_value("ToDo", doc.name, "description", "fresh-2")
again = frappe.db.sql('SELECT description FROM "tabToDo" WHERE name = %s', [doc.name])
frappe.response["message"] = [seen, refused, again]
""")
    r = client.post("/api/method/sql_same_tx", headers=admin)
    assert r.status_code == 200, r.get_json()
    seen, refused, again = r.get_json()["message"]
    assert seen == [["fresh"]] and again == [["fresh-2"]]
    assert "frappe.db.sql" in refused
    from sqlalchemy import text

    db.session.rollback()
    assert db.session.execute(text('SELECT count(*) FROM "tabToDo"')).scalar() == 4
    assert_still_serves(client, admin)


def test_row_cap(client, admin):
    q = (f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {MAX_ROWS + 5}) "
         "SELECT x FROM c")
    r = client.get("/api/method/sql_run", query_string={"q": q}, headers=admin)
    assert r.status_code == 417
    assert "at most 10,000 rows" in message(r)
    q_ok = f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {MAX_ROWS}) SELECT count(*) FROM c"
    r = client.get("/api/method/sql_run", query_string={"q": q_ok}, headers=admin)
    assert r.get_json()["message"] == [[MAX_ROWS]]


def test_long_query_is_stopped_by_the_budget(client, admin, site_config):
    site_config(server_script_timeout=1)
    for q in ("SELECT pg_sleep(100)",
              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"):
        t0 = time.monotonic()
        r = client.get("/api/method/sql_run", query_string={"q": q}, headers=admin)
        assert r.status_code == 417
        assert time.monotonic() - t0 < 5
    assert_still_serves(client, admin)


# -- bypass attempts ------------------------------------------------------------------------------
BYPASSES = [
    """INSERT INTO "tabToDo" (name, creation, modified, docstatus, idx, description) """
    """VALUES ('x', '2020-01-01', '2020-01-01', 0, 0, 'x')""",
    """UPDATE "tabToDo" SET description = 'pwned'""",
    """DELETE FROM "tabToDo\"""",
    """DROP TABLE "tabToDo\"""",
    """CREATE TABLE "tabEvil" (a int)""",
    """CREATE TEMP TABLE "tabEvil" AS SELECT * FROM "tabToDo\"""",
    """WITH x AS (DELETE FROM "tabToDo" RETURNING *) SELECT * FROM x""",
    """EXPLAIN ANALYZE DELETE FROM "tabToDo\"""",
    """EXPLAIN QUERY PLAN DELETE FROM "tabToDo\"""",
    """SELECT * FROM "tabToDo" FOR UPDATE""",
    """SELECT 1; DELETE FROM "tabToDo\"""",
    """SELECT 1; PRAGMA query_only = OFF""",
    """PRAGMA query_only = OFF""",
    """PRAGMA writable_schema = 1""",
    """SELECT * FROM pragma_table_info('__Auth')""",
    """ATTACH DATABASE '/tmp/evil-script.db' AS evil""",
    """SELECT load_extension('/tmp/evil.so')""",
    """SELECT * FROM "__Auth\"""",
    """SELECT name FROM "tabUser" WHERE name IN (SELECT "user" FROM "__Auth" WHERE password_hash IS NOT NULL)""",
    """SELECT count(*) FROM "__Auth\"""",
    """SELECT * FROM main."__Auth\"""",
    """SELECT * FROM sqlite_master""",
    """SELECT * FROM sqlite_schema""",
    """SELECT * FROM "alembic_version\"""",
    """SELECT * FROM "__script_version\"""",
    """SELECT * FROM pg_shadow""",
    """SELECT rolname, rolpassword FROM pg_authid""",
    """SELECT pg_read_file('/etc/passwd')""",
    """SELECT pg_ls_dir('.')""",
    """COPY "tabToDo" TO '/tmp/evil-copy'""",
    """COPY (SELECT 1) TO PROGRAM 'touch /tmp/evil-script-pwned'""",
    """SELECT set_config('role', 'none', true), query_to_xml('select * from "__Auth"', true, false, '')""",
    """SELECT set_config('session_authorization', 'postgres', true)""",
    """SELECT set_config('statement_timeout', '0', true), pg_sleep(0)""",
    """SELECT table_to_xml('"__Auth"'::regclass, true, false, '')""",
    """SELECT lo_import('/etc/passwd')""",
    """SELECT * FROM dblink('dbname=test', 'DELETE FROM "tabToDo"') AS t(a int)""",
    """COMMIT""",
    """ROLLBACK""",
    """RESET ROLE""",
    """SET ROLE postgres""",
    """DEALLOCATE ALL""",
    """SELECT nextval('evil_seq')""",
    """VACUUM""",
]


@pytest.mark.parametrize("query", BYPASSES)
def test_bypass_attempt_is_refused(client, admin, db, query):
    before = snapshot(db)
    for method in ("get", "post"):
        r = getattr(client, method)("/api/method/sql_run", query_string={"q": query}, headers=admin)
        # Refused by the guard: Frappe's PermissionError (403); not valid SQL at all: 417.
        assert (r.status_code, r.get_json()["exc_type"]) in ((403, "PermissionError"), (417, "ValidationError")), \
            (query, r.status_code, r.get_json())
        assert "frappe.db.sql" in message(r), message(r)
        assert "pwned" not in message(r) and "pbkdf2" not in message(r)
    assert snapshot(db) == before
    assert_still_serves(client, admin)


def test_refused_query_leaves_the_transaction_usable_for_a_caught_error(client, admin, db):
    add_script(client, admin, "sql_caught", """
out = []
for q in ['DELETE FROM "tabToDo"', 'SELECT * FROM "__Auth"', 'SELECT 1; SELECT 2', 'SELECT * FROM nope']:
    try:
        frappe.db.sql(q)
    except (frappe.PermissionError, frappe.ValidationError) as e:
        out.append("refused")
doc = frappe.get_doc({"doctype": "ToDo", "description": "after"}).insert()
out.append(frappe.db.sql('SELECT count(*) FROM "tabToDo"')[0][0])
frappe.response["message"] = out
""")
    r = client.post("/api/method/sql_caught", headers=admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == ["refused"] * 4 + [4]
    from sqlalchemy import text

    db.session.rollback()
    assert db.session.execute(text('SELECT count(*) FROM "tabToDo" WHERE description = \'after\'')).scalar() == 1


def test_doctype_event_script_may_read_with_sql(client, admin, db):
    r = client.post("/api/resource/Server Script", headers=admin, json={
        "name": "todo_sql_event", "script_type": "DocType Event", "reference_doctype": "ToDo",
        "doctype_event": "Before Save",
        "script": 'doc.description = "n=" + str(frappe.db.sql(\'SELECT count(*) FROM "tabToDo"\')[0][0])'})
    assert r.status_code == 200, r.get_json()
    r = client.post("/api/resource/ToDo", json={"description": "x"}, headers=admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["data"]["description"] == "n=3"
