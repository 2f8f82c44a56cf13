"""Creating, editing, submitting, cancelling and deleting documents through the desk forms, as a browser
session (CSRF enforced), with the buttons and 403s each role should get."""

from __future__ import annotations

import re

import pytest

EMP, APPR, SM = "emp@example.com", "appr@example.com", "sm@example.com"
ROLES = {EMP: ["Employee"], APPR: ["Expense Approver"], SM: ["System Manager"]}


@pytest.fixture
def desk(desk):
    desk.default_roles = ROLES
    return desk


@pytest.fixture
def stored(app):
    """stored("ToDo", name) -> the document as a dict (None when missing)."""

    def get(doctype: str, name: str):
        from webapp.errors import DoesNotExistError
        from webapp.services import documents

        with app.app_context():
            try:
                return documents.get_doc(doctype, name, check_permission=False).as_dict()
            except DoesNotExistError:
                return None

    return get


@pytest.fixture
def make_claim(app, make_user):
    def make(user: str = EMP, submit: bool = False, **values):
        from webapp.services import documents
        from webapp.services.context import acting_as

        make_user(user, roles=ROLES.get(user))
        values.setdefault("employee_name", "Emma")
        values.setdefault("expenses", [{"expense_type": "Taxi", "amount": 10}])
        with app.app_context(), acting_as("Administrator" if submit else user):
            doc = documents.insert(documents.new_doc("Expense Claim", values))
            if submit:
                documents.submit(doc)
            return doc.name

    return make


def buttons(html: str) -> set[str]:
    head = html.split('<div class="actions">', 1)[1].split('<form id="doc-form"', 1)[0]
    found = set(re.findall(r'<button type="submit"[^>]*>(\w+)</button>', head))
    return found | ({"Print"} if ">Print</a>" in head else set())


def claim_form(**rows) -> dict:
    data = {"employee_name": "Emma Employee", "posting_date": "2024-03-01", "approval_status": "Draft",
            "remark": "conference"}
    data.update(rows)
    return data


# -- create and edit -----------------------------------------------------------------------------
def test_create_todo_through_the_form(desk, stored):
    desk.login(EMP)
    r = desk.post("/app/todo/new", {"description": "call the bank", "status": "Open", "priority": "High"})
    assert r.status_code == 302
    name = r.headers["Location"].rsplit("/", 1)[1]
    assert r.headers["Location"] == f"/app/todo/{name}"
    doc = stored("ToDo", name)
    assert doc["description"] == "call the bank" and doc["priority"] == "High" and doc["owner"] == EMP
    html = desk.get(r.headers["Location"])
    assert f"ToDo {name} saved" in html and "flash-success" in html


def test_post_without_csrf_token_is_refused(desk, stored, make_claim):
    desk.login(EMP)
    r = desk.post("/app/todo/new", {"description": "no token"}, token=False)
    assert r.status_code == 400
    name = make_claim()
    assert desk.post(f"/app/expense-claim/{name}/delete", token=False).status_code == 400
    assert stored("Expense Claim", name) is not None


def test_create_expense_claim_with_two_rows(desk, stored):
    desk.login(EMP)
    r = desk.post("/app/expense-claim/new", claim_form(**{
        "expenses-0-expense_type": "Train", "expenses-0-amount": "45.5", "expenses-0-expense_date": "2024-03-01",
        "expenses-1-expense_type": "Hotel", "expenses-1-amount": "120", "expenses-1-description": "two nights",
        "expenses-2-expense_type": "", "expenses-2-amount": "",  # the spare empty row is ignored
    }))
    assert r.status_code == 302
    name = r.headers["Location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"HR-EXP-\d{4}-\d{5}", name)
    doc = stored("Expense Claim", name)
    assert [(e["idx"], e["expense_type"], e["amount"]) for e in doc["expenses"]] == [(1, "Train", 45.5), (2, "Hotel", 120.0)]
    assert doc["expenses"][1]["description"] == "two nights" and doc["remark"] == "conference"


def test_edit_reorders_and_removes_rows(desk, stored, make_claim):
    desk.login(EMP)
    name = make_claim(expenses=[{"expense_type": "A", "amount": 1}, {"expense_type": "B", "amount": 2},
                                {"expense_type": "C", "amount": 3}])
    html = desk.get(f"/app/expense-claim/{name}")
    modified = re.search(r'name="modified" value="([^"]+)"', html).group(1)
    # Rows are posted in display order (form.js renumbers after a move or a delete): C, A; B removed.
    r = desk.post(f"/app/expense-claim/{name}", claim_form(modified=modified, **{
        "expenses-0-expense_type": "C", "expenses-0-amount": "3", "expenses-1-expense_type": "A",
        "expenses-1-amount": "1"}))
    assert r.status_code == 302
    assert [e["expense_type"] for e in stored("Expense Claim", name)["expenses"]] == ["C", "A"]


@pytest.mark.parametrize("action, expected", [
    ("add:expenses", ["A", "B", ""]),
    ("remove:expenses:0", ["B", ""]),
    ("up:expenses:1", ["B", "A", ""]),
    ("down:expenses:0", ["B", "A", ""]),
])
def test_row_buttons_work_without_javascript(desk, stored, action, expected):
    desk.login(EMP)
    r = desk.post("/app/expense-claim/new", claim_form(row_action=action, **{
        "expenses-0-expense_type": "A", "expenses-0-amount": "1",
        "expenses-1-expense_type": "B", "expenses-1-amount": "2"}))
    assert r.status_code == 200  # re-rendered, nothing saved
    html = r.get_data(as_text=True)
    types = re.findall(r'name="expenses-\d+-expense_type" data-fieldtype="Data"[^>]*value="([^"]*)"', html)
    assert types == expected
    assert 'value="Emma Employee"' in html and ">conference</textarea>" in html


def test_validation_error_is_shown_next_to_the_field_and_input_is_kept(desk):
    desk.login(EMP)
    r = desk.post("/app/expense-claim/new", claim_form(employee_name="", remark="keep me", **{
        "expenses-0-expense_type": "Train", "expenses-0-amount": "45.5"}))
    assert r.status_code == 417
    html = r.get_data(as_text=True)
    assert 'class="flash flash-error" role="alert"' in html and "value missing for Employee Name" in html
    field = re.search(r'<div class="field has-error"\s+data-fieldname="(\w+)">.*?</div>', html, re.S)
    assert field.group(1) == "employee_name" and 'class="field-error"' in field.group(0)
    assert ">keep me</textarea>" in html and 'value="Train"' in html and 'value="45.5"' in html


def test_child_row_error_is_shown_in_the_right_cell(desk):
    desk.login(EMP)
    r = desk.post("/app/expense-claim/new", claim_form(**{
        "expenses-0-expense_type": "Train", "expenses-0-amount": "45.5",
        "expenses-1-expense_type": "", "expenses-1-amount": "7"}))
    assert r.status_code == 417
    html = r.get_data(as_text=True)
    cell = re.search(r'<td class="has-error">\s*<input[^>]*name="(expenses-\d-\w+)"', html)
    assert cell.group(1) == "expenses-1-expense_type"
    assert "row 2 of expenses" in html and 'value="7"' in html


def test_bad_select_value_and_duplicate_title(desk, app):
    desk.login(EMP)
    r = desk.post("/app/todo/new", {"description": "x", "status": "Bogus"})
    assert r.status_code == 417
    assert re.search(r'<div class="field has-error"\s+data-fieldname="status">', r.get_data(as_text=True))
    assert desk.post("/app/note/new", {"title": "Same"}).status_code == 302
    r = desk.post("/app/note/new", {"title": "Same", "content": "second"})
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert re.search(r'<div class="field has-error"\s+data-fieldname="title">', html) and ">second</textarea>" in html


def test_stale_save_is_refused_with_a_clear_message(desk, app, stored, make_claim):
    from webapp.services import documents
    from webapp.services.context import acting_as

    desk.login(EMP)
    name = make_claim()
    html = desk.get(f"/app/expense-claim/{name}")
    modified = re.search(r'name="modified" value="([^"]+)"', html).group(1)
    with app.app_context(), acting_as(APPR):
        documents.set_value("Expense Claim", name, {"remark": "changed meanwhile"}, ignore_permissions=True)
    r = desk.post(f"/app/expense-claim/{name}", claim_form(modified=modified, remark="my edit", **{
        "expenses-0-expense_type": "Taxi", "expenses-0-amount": "10"}))
    assert r.status_code == 417
    html = r.get_data(as_text=True)
    assert "was changed by appr@example.com after you opened it" in html and "Reload the latest version" in html
    assert ">my edit</textarea>" in html
    assert stored("Expense Claim", name)["remark"] == "changed meanwhile"


# -- buttons and permissions by role and docstatus -------------------------------------------------
def test_buttons_on_a_draft_by_role(desk, make_claim):
    name = make_claim()
    url = f"/app/expense-claim/{name}"
    assert buttons(desk.login(EMP).get(url)) == {"Save", "Delete", "Print"}
    assert buttons(desk.login(APPR).get(url)) == {"Save", "Submit", "Print"}
    assert buttons(desk.login(SM).get(url)) == {"Save", "Submit", "Delete", "Print"}


def test_buttons_on_submitted_and_cancelled(desk, app, make_claim):
    from webapp.services import documents
    from webapp.services.context import acting_as

    name = make_claim(submit=True)
    url = f"/app/expense-claim/{name}"
    # Save stays for the allow_on_submit fields (approval status, remark).
    assert buttons(desk.login(APPR).get(url)) == {"Save", "Cancel", "Print"}
    assert buttons(desk.login(EMP).get(url)) == {"Save", "Print"}
    html = desk.login(SM).get(url)
    assert buttons(html) == {"Save", "Cancel", "Print"}
    assert re.search(r'id="field-employee_name" name="employee_name"[^>]*disabled', html)
    assert not re.search(r'id="field-remark" name="remark"[^>]*disabled', html)
    assert 'name="expenses-0-expense_type"' not in html and "Add Row" not in html
    with app.app_context(), acting_as("Administrator"):
        documents.cancel(documents.get_doc("Expense Claim", name))
    html = desk.get(url)
    assert buttons(html) == {"Delete", "Print"} and "badge-cancelled" in html
    assert not re.search(r'id="field-remark" name="remark"(?![^>]*disabled)', html)


def test_approver_submits_and_cancels_through_the_buttons(desk, stored, make_claim):
    name = make_claim()
    desk.login(EMP)
    assert desk.post(f"/app/expense-claim/{name}/submit").status_code == 403
    assert stored("Expense Claim", name)["docstatus"] == 0
    desk.login(APPR)
    html = desk.get(f"/app/expense-claim/{name}")
    modified = re.search(r'name="modified" value="([^"]+)"', html).group(1)
    r = desk.post(f"/app/expense-claim/{name}/submit", {"modified": modified})
    assert r.status_code == 302 and r.headers["Location"] == f"/app/expense-claim/{name}"
    assert stored("Expense Claim", name)["docstatus"] == 1
    assert "badge-submitted" in desk.get("/app/expense-claim?docstatus=1")
    desk.login(EMP)
    assert desk.post(f"/app/expense-claim/{name}/cancel").status_code == 403
    desk.login(APPR)
    r = desk.post(f"/app/expense-claim/{name}/cancel")
    assert r.status_code == 302 and stored("Expense Claim", name)["docstatus"] == 2
    assert "cancelled" in desk.get(r.headers["Location"])


def test_stale_submit_is_refused(desk, app, stored, make_claim):
    from webapp.services import documents
    from webapp.services.context import acting_as

    name = make_claim()
    desk.login(APPR)
    modified = re.search(r'name="modified" value="([^"]+)"', desk.get(f"/app/expense-claim/{name}")).group(1)
    with app.app_context(), acting_as(EMP):
        documents.set_value("Expense Claim", name, {"remark": "edited"}, ignore_permissions=True)
    r = desk.post(f"/app/expense-claim/{name}/submit", {"modified": modified})
    assert r.status_code == 302
    assert "after you opened it" in desk.get(r.headers["Location"])
    assert stored("Expense Claim", name)["docstatus"] == 0


def test_update_after_submit_changes_only_allowed_fields(desk, stored, make_claim):
    name = make_claim(submit=True, remark="old")
    desk.login(APPR)
    modified = re.search(r'name="modified" value="([^"]+)"', desk.get(f"/app/expense-claim/{name}")).group(1)
    r = desk.post(f"/app/expense-claim/{name}", {"modified": modified, "remark": "approved by me",
                                                "approval_status": "Approved", "employee_name": "Mallory",
                                                "expenses-0-expense_type": "Yacht", "expenses-0-amount": "1e6"})
    assert r.status_code == 302
    doc = stored("Expense Claim", name)
    assert doc["remark"] == "approved by me" and doc["approval_status"] == "Approved"
    assert doc["employee_name"] == "Emma" and [e["expense_type"] for e in doc["expenses"]] == ["Taxi"]


def test_delete_redirects_to_the_list(desk, stored, make_claim):
    name = make_claim()
    desk.login(APPR)
    assert desk.post(f"/app/expense-claim/{name}/delete").status_code == 403
    desk.login(EMP)
    r = desk.post(f"/app/expense-claim/{name}/delete")
    assert r.status_code == 302 and r.headers["Location"] == "/app/expense-claim"
    assert stored("Expense Claim", name) is None
    assert f"Expense Claim {name} deleted" in desk.get("/app/expense-claim")


def test_submitted_document_cannot_be_deleted(desk, stored, make_claim):
    name = make_claim(submit=True)
    desk.login(SM)
    r = desk.post(f"/app/expense-claim/{name}/delete")
    assert r.status_code == 302 and r.headers["Location"] == f"/app/expense-claim/{name}"
    assert "cancel it first" in desk.get(r.headers["Location"])
    assert stored("Expense Claim", name) is not None


def test_no_create_or_write_permission_is_403(desk, make_claim):
    desk.login(APPR)
    assert desk.post("/app/expense-claim/new", claim_form()).status_code == 403
    name = make_claim()
    desk.login("nobody@example.com")
    desk.get(f"/app/expense-claim/{name}", 403)
    assert desk.post(f"/app/expense-claim/{name}", claim_form()).status_code == 403


def test_script_messages_show_after_a_desk_save(desk, client, api_keys, site_config):
    # frappe.msgprint in an After Save script reaches the desk user once the save has redirected.
    site_config(server_script_enabled=True)
    r = client.post("/api/resource/Server Script", headers=api_keys("Administrator"), json={
        "name": "say", "script_type": "DocType Event", "reference_doctype": "ToDo", "doctype_event": "After Save",
        "script": "frappe.msgprint('Remember to <b>call</b> ' + doc.description)"})
    assert r.status_code == 200
    desk.login(EMP)
    r = desk.post("/app/todo/new", {"description": "the bank", "status": "Open", "priority": "High"})
    assert r.status_code == 302
    html = desk.get(r.headers["Location"])
    assert "Remember to &lt;b&gt;call&lt;/b&gt; the bank" in html  # shown as text, not markup
    assert "the bank" in html and "saved" in html
    assert "Remember to" not in desk.get(r.headers["Location"])  # shown once


def test_rename_from_the_form_menu(desk, stored):
    desk.login(SM)
    r = desk.post("/app/note/new", {"title": "Old title", "content": "c"})
    assert r.status_code == 302
    html = desk.get("/app/note/Old%20title")
    assert "/app/note/Old%20title/rename" in html
    r = desk.post("/app/note/Old%20title/rename", {"new_name": "New title"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/app/note/New%20title")
    assert "renamed to New title" in desk.get(r.headers["Location"])
    assert stored("Note", "New title")["title"] == "New title" and stored("Note", "Old title") is None
    r = desk.post("/app/note/New%20title/rename", {"new_name": ""})
    assert "The new name is empty" in desk.get(r.headers["Location"])
    assert "/rename" not in desk.get("/app/todo/new")  # ToDo cannot be renamed: no menu entry


def test_rename_needs_the_csrf_token(desk):
    desk.login(SM)
    desk.post("/app/note/new", {"title": "Keep"})
    r = desk.post("/app/note/Keep/rename", {"new_name": "Gone"}, token=False)
    assert r.status_code == 400
