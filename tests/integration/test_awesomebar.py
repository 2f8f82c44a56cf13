"""The awesomebar endpoint: commands, actions and documents, ranked, within the user's permissions."""

from __future__ import annotations

import pytest

from webapp.doctypes import registry
from webapp.services.search import match_score


def results(client, q: str) -> list[dict]:
    r = client.get("/api/desk/awesomebar", query_string={"q": q})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["results"]


def labels(client, q: str) -> list[str]:
    return [r["label"] for r in results(client, q)]


@pytest.fixture
def make_doc(app):
    def make(doctype: str, **values):
        from webapp.services import documents
        from webapp.services.context import acting_as

        with app.app_context(), acting_as("Administrator"):
            return documents.insert(documents.new_doc(doctype, values)).name

    return make


def test_guest_gets_401(client):
    r = client.get("/api/desk/awesomebar?q=todo")
    assert r.status_code == 401 and r.get_json()["exc_type"] == "AuthenticationError"


def test_new_todo_comes_first_and_enter_opens_the_form(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    first = results(client, "new todo")[0]
    assert first == {"label": "New ToDo", "description": "Create a new ToDo", "route": "/app/todo/new"}
    assert labels(client, "NEW ToDo")[0] == "New ToDo"
    assert "New ToDo" in labels(client, "todo new")  # words in any order


def test_new_expense_claim(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    top = results(client, "new expense claim")[0]
    assert top["label"] == "New Expense Claim" and top["route"] == "/app/expense-claim/new"
    assert all("Detail" not in label for label in labels(client, "expense claim"))  # child tables have no pages


def test_every_creatable_doctype_ranks_its_new_command_first(client, login_as):
    """Generic: any registered doctype (e.g. Server Script once it exists) works the same way."""
    login_as("Administrator")
    for meta in registry.all_doctypes():
        if meta.istable or meta.read_only:
            continue
        top = results(client, f"new {meta.name.lower()}")[0]
        assert top == {"label": f"New {meta.name}", "description": f"Create a new {meta.name}",
                       "route": f"/app/{meta.slug}/new"}


def test_list_command_ranks_before_new_for_the_bare_name(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    found = results(client, "todo")
    assert found[0] == {"label": "ToDo List", "description": "Open the ToDo list", "route": "/app/todo"}
    assert "New ToDo" in [r["label"] for r in found]


def test_permissions_limit_commands(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    assert not any("User" in label for label in labels(client, "user"))
    assert "New User" not in labels(client, "new user")
    assert "System settings" not in labels(client, "system")
    login_as("appr@example.com", roles=["Expense Approver"])
    found = labels(client, "expense claim")
    assert "Expense Claim List" in found and "New Expense Claim" not in found
    login_as("sm@example.com", roles=["System Manager"])
    found = labels(client, "user")
    assert "User List" in found and "New User" in found  # users are managed on their own desk pages
    assert client.get("/api/desk/awesomebar?q=new user").get_json()["results"][0]["route"] == "/app/user/new"
    assert labels(client, "system settings")[0] == "System settings"
    assert labels(client, "script health")[0] == "Script health"
    assert labels(client, "my settings")[0] == "My settings"


def test_actions(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    assert results(client, "log out")[0]["route"] == "/logout"
    assert results(client, "home")[0]["route"] == "/app"
    assert results(client, "   ") == [] and results(client, "") == []
    assert results(client, "zzqx no such thing") == []


def test_documents_match_name_or_title(client, login_as, make_doc):
    login_as("emp@example.com", roles=["Employee"])
    name = make_doc("ToDo", description="buy oat milk for the office")
    make_doc("ToDo", description="something else")
    found = results(client, "oat milk")
    assert {"label": "buy oat milk for the office", "description": f"ToDo {name}",
            "route": f"/app/todo/{name}"} in found
    assert f"/app/todo/{name}" in [r["route"] for r in results(client, "milk oat")]  # any order
    assert f"/app/todo/{name}" in [r["route"] for r in results(client, name[:6])]  # by name
    task = make_doc("Task", subject="quarterly milk audit")
    routes = [r["route"] for r in results(client, "milk")]
    assert f"/app/todo/{name}" in routes and f"/app/task/{task}" in routes


def test_documents_only_from_readable_doctypes(client, login_as, make_doc):
    claim = make_doc("Expense Claim", employee_name="zelda claimant")
    login_as("plain@example.com")  # no roles: cannot read Expense Claim
    assert results(client, "zelda") == []
    login_as("emp@example.com", roles=["Employee"])
    assert [r["route"] for r in results(client, "zelda")] == [f"/app/expense-claim/{claim}"]


def test_few_documents_per_doctype(client, login_as, make_doc):
    login_as("emp@example.com", roles=["Employee"])
    for i in range(8):
        make_doc("ToDo", description=f"repeat item {i}")
    found = [r for r in results(client, "repeat item") if r["description"].startswith("ToDo ")]
    assert len(found) == 3


@pytest.mark.parametrize("label, query, score", [
    ("New ToDo", "new todo", 0),
    ("New ToDo", "new to", 1),
    ("New Expense Claim", "expense claim", 2),
    ("New ToDo", "todo new", 3),
    ("New ToDo", "new task", None),
    ("New ToDo", "", None),
])
def test_match_score(label, query, score):
    assert match_score(label, query) == score
