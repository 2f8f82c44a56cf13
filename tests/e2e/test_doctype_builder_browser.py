"""A System Manager builds a small doctype in the browser (the DocType form: fields added, ordered and
edited in its grid, a property under "More", a section break) and fills the new doctype's form."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def _field_row(page, i: int, label: str, fieldtype: str, options: str = "") -> None:
    page.fill(f"[name=fields-{i}-label]", label)
    page.select_option(f"[name=fields-{i}-fieldtype]", fieldtype)
    if options:
        page.fill(f"[name=fields-{i}-options]", options)


def test_build_a_doctype_in_the_form_builder_and_fill_its_form(page, log_in, make_user, tmp_path):
    make_user("sam@example.com", roles=["System Manager"])
    log_in("sam@example.com")
    page.goto("/app/doctype/new")
    page.fill("#field-__name", "Book Loan")
    page.fill("#field-module", "Library")
    fields = page.locator("[data-child-table=fields]")
    for _ in range(5):
        fields.locator("text=Add Row").click()
    _field_row(page, 0, "Borrower", "Data")
    page.check("[name=fields-0-reqd]")
    _field_row(page, 1, "Due Date", "Date")
    _field_row(page, 2, "Returned", "Check")
    _field_row(page, 3, "Condition", "Select", "Good\nWorn\nDamaged")
    _field_row(page, 4, "Notes", "Section Break")
    # "Returned" should come last: move it down twice, then give "Borrower" a property under More
    returned = page.locator("[data-child-table=fields] [data-row]").nth(2).element_handle()
    for _ in range(2):
        returned.query_selector("[data-row-action=down]").click()
    assert page.input_value("[name=fields-4-label]") == "Returned"
    page.locator("[data-child-table=fields] [data-row]").nth(0).locator("summary:has-text('More')").click()
    page.check("[name=fields-0-in_standard_filter]")
    page.fill("[name=fields-0-description]", "Who has the book")
    # the Condition shows only once the book is back
    page.locator("[data-child-table=fields] [data-row]").nth(2).locator("summary:has-text('More')").click()
    page.fill("[name=fields-2-depends_on]", "returned")
    page.locator("[data-child-table=permissions]").locator("text=Add Row").click()
    page.fill("[name=permissions-0-role]", "System Manager")
    for ptype in ("read", "write", "create", "delete"):
        page.check(f"[name=permissions-0-{ptype}]")
    page.keyboard.press("Control+s")
    page.wait_for_url("**/app/doctype/Book%20Loan")
    assert page.locator(".flash-success").inner_text() == "DocType Book Loan saved"
    page.screenshot(path=str(tmp_path / "builder.png"), full_page=True)

    page.click("#doctype-links a:has-text('New Book Loan')")
    page.wait_for_url("**/app/book-loan/new")
    assert page.locator("h3.form-section-title").inner_text() == "Notes"
    assert page.locator("label[for=field-borrower]").get_attribute("class") == "required"
    assert page.locator("text=Who has the book").is_visible()
    assert not page.is_visible("#field-condition")  # depends on returned
    page.fill("#field-borrower", "Ada")
    page.fill("#field-due_date", "2031-05-04")
    page.check("#field-returned")
    assert page.is_visible("#field-condition")
    page.select_option("#field-condition", "Worn")
    page.keyboard.press("Control+s")
    page.wait_for_url(re.compile(r"/app/book-loan/[0-9a-f]{10}$"))
    assert page.input_value("#field-borrower") == "Ada"
    assert page.input_value("#field-condition") == "Worn"
    assert page.is_checked("#field-returned")
    page.screenshot(path=str(tmp_path / "book-loan.png"), full_page=True)

    page.goto("/app/book-loan")
    assert page.locator("table.doc-list tbody tr").count() == 1
    assert "Ada" in page.locator("table.doc-list tbody").inner_text()
