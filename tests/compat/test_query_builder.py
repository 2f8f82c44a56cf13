"""frappe.qb (#13): Frappe's query builder on PyPika, reads only, under frappe.db.sql's guard."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")


@pytest.fixture
def todos(client, admin_headers):
    for desc, prio, status in (("alpha", "High", "Open"), ("beta", "Low", "Open"), ("gamma", "High", "Closed")):
        r = client.post("/api/resource/ToDo", json={"description": desc, "priority": prio, "status": status},
                        headers=admin_headers)
        assert r.status_code == 200


def call(client, make_script, admin_headers, script: str, name: str = "qb_probe"):
    make_script(name, script, script_type="API", api_method=name)
    return client.post(f"/api/method/{name}", headers=admin_headers)


def test_select_where_orderby_limit_as_dict(client, make_script, admin_headers, todos):
    r = call(client, make_script, admin_headers, """
todo = frappe.qb.DocType("ToDo")
rows = (frappe.qb.from_(todo).select(todo.description, todo.priority)
        .where((todo.status == "Open") | (todo.description == "gamma"))
        .orderby(todo.description, order=frappe.qb.Order.desc).limit(2).run(as_dict=True))
frappe.response["message"] = [[r.description, r.priority] for r in rows]
""")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == [["gamma", "High"], ["beta", "Low"]]


def test_groupby_functions_and_criterion(client, make_script, admin_headers, todos):
    r = call(client, make_script, admin_headers, """
todo = frappe.qb.DocType("ToDo")
fn = frappe.qb.functions
rows = (frappe.qb.from_(todo).select(todo.priority, fn.Count("*").as_("n"), fn.Max(todo.description).as_("top"),
                                     fn.Min(todo.description).as_("low"))
        .where(frappe.qb.Criterion.any([todo.status == "Open", todo.status == "Closed"]))
        .groupby(todo.priority).orderby(todo.priority).run())
agg = frappe.qb.from_(todo).select(fn.Coalesce(fn.Sum(todo.idx), 0), fn.Avg(todo.idx),
                                   fn.IfNull(fn.Max(todo.reference_type), "none")).run()
frappe.response["message"] = [[list(r) for r in rows], agg[0][2]]
""")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == [[["High", 2, "gamma", "alpha"], ["Low", 1, "beta", "beta"]], "none"]


def test_join_and_pluck(client, make_script, admin_headers, todos):
    r = call(client, make_script, admin_headers, """
todo = frappe.qb.DocType("ToDo")
user = frappe.qb.DocType("User")
names = (frappe.qb.from_(todo).join(user).on(user.name == todo.owner).select(todo.description)
         .where(user.name == "Administrator").orderby(todo.description).run(pluck=True))
frappe.response["message"] = names
""")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == ["alpha", "beta", "gamma"]


WRITES = [
    'frappe.qb.update(t).set(t.description, "unsafe").run()',
    'frappe.qb.from_("ToDo").delete().run()',
    'frappe.qb.from_(t).delete().where(t.name == "x").run()',
    'frappe.qb.into(t).insert("a").run()',
]


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused(client, make_script, admin_headers, todos, statement):
    r = call(client, make_script, admin_headers, f't = frappe.qb.DocType("ToDo")\n{statement}')
    assert r.status_code == 403, r.get_json()
    assert r.get_json()["exc_type"] == "PermissionError"
    rows = client.get("/api/resource/ToDo", query_string={"fields": '["description"]'}, headers=admin_headers)
    assert sorted(d["description"] for d in rows.get_json()["data"]) == ["alpha", "beta", "gamma"]


PRIVATE = [
    'frappe.qb.from_(frappe.qb.Table("__Auth")).select("*").run()',
    'frappe.qb.from_(frappe.qb.Table("__Auth")).select(frappe.qb.functions.Count("*")).run()',
    'frappe.qb.from_("ToDo").select(frappe.qb.terms.PseudoColumn("(SELECT password_hash FROM \\"__Auth\\")")).run()',
    'frappe.qb.from_(frappe.qb.Table("tabEmail Queue")).select("*").run()',
    'frappe.qb.from_("Email Queue").select("*").run()',
    'frappe.qb.from_(frappe.qb.Table("__script_version")).select("*").run()',
    'frappe.qb.from_(frappe.qb.Table("alembic_version")).select("*").run()',
    'frappe.qb.from_(frappe.qb.Table("sqlite_master")).select("*").run()',
    'frappe.qb.from_(frappe.qb.Table("pg_authid")).select("*").run()',
]


@pytest.mark.parametrize("statement", PRIVATE)
def test_tables_outside_the_access_list_stay_unreachable(client, make_script, admin_headers, todos, statement):
    r = call(client, make_script, admin_headers, f'frappe.response["message"] = {statement}')
    body = r.get_data(as_text=True)
    assert r.status_code in (403, 404, 417), body
    assert r.get_json()["exc_type"] in ("PermissionError", "ValidationError", "DoesNotExistError"), body
    for leak in ("scrypt", "pbkdf2", "password_hash\": \"", "recipients"):
        assert leak not in body


ESCAPES = [
    # attribute walks from PyPika objects toward modules, functions' globals, the database
    "frappe.qb.from_.__globals__",
    "frappe.qb.DocType('ToDo').__class__.__mro__",
    "frappe.qb.functions.Count.__init__.__globals__",
    "frappe.qb.from_('ToDo').run.__func__",
    "frappe.qb.Order.__members__",
    "frappe.qb.from_('ToDo')._from",
]


@pytest.mark.parametrize("expr", ESCAPES)
def test_no_way_out_through_pypika_objects(client, make_script, admin_headers, expr):
    r = client.post("/api/resource/Server Script", headers=admin_headers, json={
        "name": "escape", "script_type": "API", "api_method": "escape", "script": f"x = {expr}"})
    assert r.status_code == 417 and "Invalid Python code" in r.get_json()["exception"]


def test_pypika_objects_cannot_be_changed_by_a_script(client, make_script, admin_headers):
    r = call(client, make_script, admin_headers, """
out = []
for target in (frappe.qb, frappe.qb.functions, frappe.qb.DocType("ToDo"), frappe.qb.from_("ToDo"), frappe.qb.Order):
    try:
        target.QUOTE_CHAR = "`"
    except (TypeError, AttributeError):
        out.append("refused")
frappe.response["message"] = out
""")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == ["refused"] * 5


def test_the_query_runs_under_the_script_time_budget(client, make_script, admin_headers, site_config, todos):
    site_config(server_script_timeout=1)
    r = call(client, make_script, admin_headers, """
t = frappe.qb.DocType("ToDo")
f = frappe.qb.terms.PseudoColumn(
    "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c)")
frappe.qb.from_(t).select(f).run()
""")
    assert r.status_code == 417 and r.get_json()["exc_type"] == "ScriptTimeoutError", r.get_json()
    assert client.get("/api/method/ping").status_code == 200
