"""Permission Query scripts: their condition is ANDed into every permission-checked list and count of
their doctype, through every door (REST, desk, frappe.client, scripts, awesomebar), and cannot be used
to write, to read private tables, or to weaken the query it is put into."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from webapp.blueprints.desk.script_editor import TEMPLATES

pytestmark = pytest.mark.usefixtures("enable_scripts")

OWN_TODOS = """
if user != "Administrator":
    conditions = "`tabToDo`.`owner` = " + frappe.db.escape(user)
"""
ANN, BOB = "ann@example.com", "bob@example.com"


@pytest.fixture
def todos(app, make_user):
    """Two ToDos owned by ann (one Open, one Closed) and one by bob; -> {description: name}."""
    from webapp.services import documents
    from webapp.services.context import acting_as

    make_user(ANN)
    make_user(BOB)
    made = {}
    with app.app_context():
        for owner, description, status in ((ANN, "ann open", "Open"), (ANN, "ann closed", "Closed"),
                                           (BOB, "bob open", "Open")):
            with acting_as(owner):
                made[description] = documents.insert(documents.new_doc(
                    "ToDo", {"description": description, "status": status})).name
    return made


def rest_list(client, doctype="ToDo", **params):
    query = {"fields": json.dumps(["description"]), "limit_page_length": 0, "order_by": "description asc", **params}
    r = client.get(f"/api/resource/{doctype}", query_string=query)
    assert r.status_code == 200, r.get_json()
    return [row.get("description", row.get("title")) for row in r.get_json()["data"]]


def todo_count(app, where: str = "1=1") -> int:
    """Rows in the table, read in an app context of its own (the `db` fixture's would be shared with
    the requests the test makes, and with it `g`)."""
    from webapp.extensions import db

    with app.app_context():
        return db.session.execute(text(f'SELECT count(*) FROM "tabToDo" WHERE {where}')).scalar()


def test_rest_list_is_filtered_for_the_user_not_for_administrator(client, make_script, login_as, todos, logs):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    login_as(ANN)
    assert rest_list(client) == ["ann closed", "ann open"]
    # Filters still apply beside the condition, as AND.
    assert rest_list(client, filters=json.dumps({"status": "Open"})) == ["ann open"]
    login_as(BOB)
    assert rest_list(client) == ["bob open"]
    login_as("Administrator")
    assert rest_list(client) == ["ann closed", "ann open", "bob open"]
    runs = logs(server_script="Own ToDos")
    assert [r["trigger"] for r in runs] == [f"Permission Query ToDo for {u}" for u in (ANN, ANN, BOB, "Administrator")]
    assert {r["status"] for r in runs} == {"Success"} and runs[0]["user"] == ANN
    assert runs[0]["script_type"] == "Permission Query"


def test_other_doctypes_and_disabled_scripts_are_not_filtered(client, make_script, login_as, todos, admin_headers):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="Task")
    login_as(ANN)
    assert rest_list(client) == ["ann closed", "ann open", "bob open"]
    client.put("/api/resource/Server Script/Own ToDos", json={"reference_doctype": "ToDo", "disabled": 1},
               headers=admin_headers)
    assert rest_list(client) == ["ann closed", "ann open", "bob open"]
    client.put("/api/resource/Server Script/Own ToDos", json={"disabled": 0}, headers=admin_headers)
    assert rest_list(client) == ["ann closed", "ann open"]


def test_desk_list_and_its_count_are_filtered(client, make_script, login_as, todos):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    login_as(BOB)
    html = client.get("/app/todo").get_data(as_text=True)
    assert "bob open" in html and "ann open" not in html and "ann closed" not in html
    assert f'/app/todo/{todos["bob open"]}' in html and f'/app/todo/{todos["ann open"]}' not in html
    assert "1–1 of 1<" in html


def test_client_methods_are_filtered(client, make_script, login_as, todos):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    login_as(BOB)
    r = client.get("/api/method/frappe.client.get_list",
                   query_string={"doctype": "ToDo", "fields": '["description"]', "limit_page_length": 0})
    assert [row["description"] for row in r.get_json()["message"]] == ["bob open"]
    assert client.get("/api/method/frappe.client.get_count", query_string={"doctype": "ToDo"}).get_json() == \
        {"message": 1}
    r = client.get("/api/method/frappe.client.get_value", query_string={
        "doctype": "ToDo", "fieldname": "description", "filters": json.dumps({"description": "ann open"})})
    assert r.get_json()["message"] is None
    login_as("Administrator")
    assert client.get("/api/method/frappe.client.get_count", query_string={"doctype": "ToDo"}).get_json() == \
        {"message": 3}


def test_script_get_list_is_filtered_get_all_and_ignore_permissions_are_not(client, make_script, login_as, todos):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    make_script("lists", """
frappe.response["message"] = {
    "get_list": sorted(frappe.get_list("ToDo", pluck="description")),
    "db_get_list": sorted(frappe.db.get_list("ToDo", pluck="description")),
    "get_all": sorted(frappe.get_all("ToDo", pluck="description")),
    "ignore": sorted(frappe.get_list("ToDo", pluck="description", ignore_permissions=True)),
    "count": frappe.db.count("ToDo"),
}
""", script_type="API", api_method="lists")
    login_as(BOB)
    assert client.get("/api/method/lists").get_json()["message"] == {
        "get_list": ["bob open"], "db_get_list": ["bob open"],
        "get_all": ["ann closed", "ann open", "bob open"], "ignore": ["ann closed", "ann open", "bob open"],
        "count": 3,
    }


def test_awesomebar_suggests_only_documents_the_condition_lets_through(client, make_script, login_as, todos):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    login_as(BOB)
    found = [r["label"] for r in client.get("/api/desk/awesomebar", query_string={"q": "open"}).get_json()["results"]]
    assert "bob open" in found and "ann open" not in found


def test_reading_one_document_by_name_follows_role_permissions_as_in_frappe(client, make_script, login_as, todos):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    login_as(BOB)
    r = client.get(f"/api/resource/ToDo/{todos['ann open']}")
    assert r.status_code == 200 and r.get_json()["data"]["description"] == "ann open"


def test_two_scripts_are_anded_in_name_order(client, make_script, login_as, todos, logs):
    make_script("b Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    make_script("a Open only", 'conditions = "status = \'Open\'"', script_type="Permission Query",
                reference_doctype="ToDo")
    login_as(ANN)
    assert rest_list(client) == ["ann open"]
    login_as("Administrator")
    assert rest_list(client) == ["ann open", "bob open"]
    assert [r["server_script"] for r in logs(script_type="Permission Query")] == \
        ["a Open only", "b Own ToDos", "a Open only", "b Own ToDos"]


def test_the_documented_frappe_example_and_the_editor_template_work(client, make_script, login_as, todos,
                                                                     admin_headers):
    # Frappe's documentation writes the table unquoted (PostgreSQL would fold it to lower case). Its
    # `'...{user}'.format(...)` is refused by the sandbox (str.format reaches attributes): an f-string.
    make_script("Frappe example", "conditions = f'tabToDo.owner = {frappe.db.escape(user)}'",
                script_type="Permission Query", reference_doctype="ToDo")
    login_as(ANN)
    assert rest_list(client) == ["ann closed", "ann open"]
    assert client.delete("/api/resource/Server Script/Frappe example", headers=admin_headers).status_code == 200
    ((_label, source),) = TEMPLATES["Permission Query"]
    make_script("Template", source, script_type="Permission Query", reference_doctype="ToDo")
    login_as(BOB)
    assert rest_list(client) == ["bob open"]


def test_conditions_with_percent_colon_and_quotes_are_taken_literally(client, make_script, login_as, todos):
    make_script("Literal", """conditions = "(description LIKE 'ann%' AND description != 'x:y %s') OR `tabToDo`.status = 'it''s'"
""", script_type="Permission Query", reference_doctype="ToDo")
    login_as(BOB)
    assert rest_list(client) == ["ann closed", "ann open"]


def test_a_script_that_throws_fails_the_list_and_is_logged(client, make_script, login_as, todos, logs):
    make_script("Strict", 'frappe.throw("No ToDo lists for " + user)', script_type="Permission Query",
                reference_doctype="ToDo")
    login_as(ANN)
    r = client.get("/api/resource/ToDo")
    assert r.status_code == 417
    assert r.get_json()["exc_type"] == "ValidationError" and f"No ToDo lists for {ANN}" in r.get_json()["exception"]
    assert client.get("/app/todo").status_code == 417
    row = logs(server_script="Strict")[0]
    assert row["status"] == "Error" and "No ToDo lists" in row["error"] and "line 1" in row["error"]
    assert row["trigger"] == f"Permission Query ToDo for {ANN}"
    # The awesomebar leaves that doctype's documents out instead of failing every desk page.
    r = client.get("/api/desk/awesomebar", query_string={"q": "new todo"})
    assert r.status_code == 200 and r.get_json()["results"][0]["label"] == "New ToDo"


def test_conditions_must_be_text(client, make_script, login_as, todos):
    make_script("Not text", "conditions = 1", script_type="Permission Query", reference_doctype="ToDo")
    login_as(ANN)
    r = client.get("/api/resource/ToDo")
    assert r.status_code == 417 and "must be SQL text" in r.get_json()["exception"]


def test_disabled_feature_refuses_the_list_instead_of_showing_everything(client, make_script, login_as, todos,
                                                                         site_config):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    site_config(server_script_enabled=False)
    login_as(BOB)
    r = client.get("/api/resource/ToDo")
    assert r.status_code == 403 and "server_script_enabled" in r.get_json()["exception"]
    assert client.get("/api/resource/Note").status_code == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_permission_query_script_cannot_write(client, make_script, login_as, todos, app, method):
    make_script("Sneaky", 'frappe.db.set_value("ToDo", {"owner": user}, "description", "changed")\nconditions = ""',
                script_type="Permission Query", reference_doctype="ToDo")
    make_script("list_then_write", """
frappe.get_list("ToDo")
""", script_type="API", api_method="list_then_write")
    login_as(ANN)
    r = client.open("/api/method/list_then_write", method=method)
    assert r.status_code == 417 and "Permission Query script cannot change data" in r.get_json()["exception"]
    assert todo_count(app, "description = 'changed'") == 0


def test_the_operation_writes_normally_after_a_filtered_list(client, make_script, login_as, todos, app):
    make_script("Own ToDos", OWN_TODOS, script_type="Permission Query", reference_doctype="ToDo")
    make_script("list_and_add", """
mine = frappe.get_list("ToDo", pluck="description")
frappe.get_doc({"doctype": "ToDo", "description": "added after " + str(len(mine))}).insert()
frappe.response["message"] = sorted(frappe.get_list("ToDo", pluck="description"))
""", script_type="API", api_method="list_and_add")
    login_as(BOB)
    r = client.post("/api/method/list_and_add")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == ["added after 1", "bob open"]
    assert todo_count(app) == 4


# -- conditions that try to break out, write or read what they must not ---------------------------
BREAKOUTS = [
    "1=1; DELETE FROM `tabToDo`",
    "1=0) OR (1=1",
    "1=0 OR 1=1) --",
    "owner = 'x' /* ) OR (1=1 */",
    "owner = 'x' -- ) OR (1=1",
    "owner = 'x') OR ('1' = '1",
    "owner = 'it''s) OR (1=1",
    "`owner`` = 'x') OR (1=1",
    "owner = $$x$$",
    "owner = ?",
    "owner = E'\\') OR (1=1 --'",
]


@pytest.mark.parametrize("condition", BREAKOUTS)
def test_a_condition_cannot_break_out_of_its_parentheses(client, make_script, login_as, todos, app, condition):
    make_script("Evil", f"conditions = {condition!r}", script_type="Permission Query", reference_doctype="ToDo")
    login_as(BOB)
    r = client.get("/api/resource/ToDo", query_string={"fields": '["description"]'})
    assert r.status_code == 417, r.get_json()
    assert "The permission condition from Server Script 'Evil' is not usable" in r.get_json()["exception"]
    assert todo_count(app) == 3
    login_as("Administrator")
    assert client.get("/api/method/ping").status_code == 200


WRITES_AND_PRIVATE_READS = [
    # A data-changing statement inside the condition (neither database accepts it there).
    pytest.param('name IN (WITH d AS (DELETE FROM "tabToDo" RETURNING name) SELECT name FROM d)', id="delete-cte"),
    # Tables that are not doctype tables (credentials) and private doctypes stay unreadable.
    pytest.param('owner IN (SELECT "user" FROM "__Auth")', id="credentials"),
    pytest.param('owner IN (SELECT recipients FROM "tabEmail Queue")', id="private-doctype"),
    # Functions that reach outside the query.
    pytest.param("pg_catalog.set_config('role', 'none', true) IS NOT NULL", id="set_config"),
    pytest.param("load_extension('x') IS NOT NULL", id="load_extension"),
]


@pytest.mark.parametrize("condition", WRITES_AND_PRIVATE_READS)
def test_a_condition_cannot_write_or_read_private_tables(client, make_script, login_as, todos, app, admin_headers,
                                                         condition):
    make_script("Evil", f"conditions = {condition!r}", script_type="Permission Query", reference_doctype="ToDo")
    login_as(BOB)
    r = client.get("/api/resource/ToDo", query_string={"fields": '["description"]', "limit_page_length": 0})
    # Refused by the database guard: PermissionError (403, Frappe's answer to a refused query); a
    # statement the database rejects outright: 417.
    assert (r.status_code, r.get_json()["exc_type"]) in ((403, "PermissionError"), (417, "ValidationError")), \
        r.get_json()
    body = r.get_json()
    assert "The list of ToDo filtered by Server Script 'Evil'" in body["exception"], body
    assert todo_count(app) == 3
    # The connection the query ran on is back to normal: lists and writes work.
    client.put("/api/resource/Server Script/Evil", json={"disabled": 1}, headers=admin_headers)
    assert rest_list(client) == ["ann closed", "ann open", "bob open"]
    assert client.post("/api/resource/ToDo", json={"description": "still writable"}).status_code == 200


def test_a_script_that_lists_its_own_doctype_stops_instead_of_recursing(client, make_script, login_as, todos):
    make_script("Recursive", 'n = len(frappe.get_list("ToDo"))\nconditions = "1=1"', script_type="Permission Query",
                reference_doctype="ToDo")
    login_as(BOB)
    r = client.get("/api/resource/ToDo")
    assert r.status_code == 417 and r.get_json()["exc_type"] == "ScriptNestingError"
    assert "Server Script 'Recursive'" in r.get_json()["exception"]
    assert r.get_json()["exception"].count("Server Script") == 1  # named once, not once per level


def test_link_suggestions_are_filtered_and_a_failing_script_does_not_block_the_form(client, make_script, login_as,
                                                                                     todos, admin_headers):
    make_script("Users", 'conditions = "name = " + frappe.db.escape(user)', script_type="Permission Query",
                reference_doctype="User")
    sm = "sm@example.com"
    login_as(sm, roles=["System Manager"])  # may read User: the form suggests users for allocated_to
    html = client.get("/app/todo/new").get_data(as_text=True)
    assert f'<option value="{sm}">' in html and f'<option value="{ANN}">' not in html
    client.put("/api/resource/Server Script/Users", json={"script": 'frappe.throw("users are private")'},
               headers=admin_headers)
    r = client.get("/app/todo/new")
    assert r.status_code == 200 and f'<option value="{sm}">' not in r.get_data(as_text=True)
