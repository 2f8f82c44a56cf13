"""The desk in a real browser: an Expense Claim from the Employee's form to the Approver's Submit,
and the awesomebar from the keyboard."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_expense_claim_from_form_to_submitted(page, log_in, make_user, tmp_path):
    make_user("emma@example.com", roles=["Employee"], full_name="Emma Employee")
    make_user("abe@example.com", roles=["Expense Approver"], full_name="Abe Approver")

    log_in("emma@example.com")
    page.goto("/app/expense-claim/new")
    page.fill("#field-employee_name", "Emma Employee")
    page.fill("#field-remark", "Client visit in Lyon")
    page.click("text=Add Row")
    page.click("text=Add Row")
    page.fill("[name=expenses-0-expense_type]", "Train")
    page.fill("[name=expenses-0-amount]", "84.50")
    page.fill("[name=expenses-1-expense_type]", "Hotel")
    page.fill("[name=expenses-1-amount]", "129")
    page.click(".form-actions button:has-text('Save')")
    page.wait_for_url(re.compile(r"/app/expense-claim/HR-EXP-\d{4}-\d{5}$"))
    name = page.url.rsplit("/", 1)[1]
    assert page.locator("h1").inner_text().startswith(name)
    assert page.locator(".flash-success").inner_text() == f"Expense Claim {name} saved"
    assert page.input_value("[name=expenses-1-expense_type]") == "Hotel"
    assert page.input_value("[name=expenses-0-amount]") == "84.50"
    shot = DOCS / "expense-claim-form.png" if os.environ.get("UPDATE_DOCS_SCREENSHOTS") else tmp_path / "form.png"
    page.screenshot(path=str(shot), full_page=True)

    page.click("nav.navbar-user button:has-text('Log out')")
    page.wait_for_url("**/login")
    log_in("abe@example.com")
    page.goto(f"/app/expense-claim/{name}")
    page.click(".page-head .actions button:has-text('Submit')")
    page.wait_for_selector(".flash-success")
    assert "submitted" in page.locator(".flash-success").inner_text()
    page.goto("/app/expense-claim")
    row = page.locator("table.doc-list tbody tr", has=page.locator(f"a:text-is('{name}')"))
    assert row.locator(".badge").inner_text() == "Submitted"


@pytest.mark.parametrize("shortcut", ["Control+K", "Control+G"])
def test_awesomebar_keyboard_opens_new_todo(page, log_in, make_user, shortcut):
    make_user("kim@example.com", roles=["Employee"])
    log_in("kim@example.com")
    page.goto("/app/todo")
    page.locator("body").click()
    page.keyboard.press(shortcut)
    assert page.evaluate("document.activeElement.id") == "awesomebar"
    page.keyboard.type("new todo")
    page.wait_for_selector("#awesomebar-results li[aria-selected=true]:has-text('New ToDo')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/todo/new")
    assert page.locator("h1").inner_text().startswith("New ToDo")
