"""Desk forms in a real browser: Ctrl+S saves without leaving the form, unsaved changes are shown
and guarded, the Reference Document Type select, and a template that fills every field."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def _editor_ready(page) -> None:
    page.wait_for_selector(".code-editor[data-editor-mounted='1'] .cm-content")


def _type_code(page, text: str) -> None:
    page.click(".cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


@pytest.fixture
def dialogs(page):
    """Every dialog the page opens, answered by `dialogs.answer` (True: accept)."""

    class Dialogs(list):
        answer = True

    seen = Dialogs()

    def handle(dialog):
        seen.append((dialog.type, dialog.message))
        dialog.accept() if seen.answer else dialog.dismiss()

    page.on("dialog", handle)
    return seen


def test_ctrl_s_saves_the_script_form_and_stays_on_it(page, log_in, make_user, dialogs):
    make_user("sm@example.com", roles=["System Manager"])
    log_in("sm@example.com")
    page.goto("/app/server-script/new")
    page.fill("#field-__name", "Greeter")
    page.select_option("#field-script_type", "API")
    page.fill("#field-api_method", "greet")
    _editor_ready(page)
    _type_code(page, "frappe.response['message'] = 'hi'\n")
    page.keyboard.press("Control+S")  # the cursor is in the editor
    page.wait_for_url("**/app/server-script/Greeter")
    assert page.inner_text(".flash-success") == "Server Script Greeter saved"
    assert page.is_hidden("#not-saved")

    # Change the saved script, save again from the keyboard: same page, new code stored.
    page.click(".cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("x = 2\n")
    assert page.is_visible("#not-saved")
    page.keyboard.press("Control+S")
    page.wait_for_selector(".flash-success")
    assert page.url.endswith("/app/server-script/Greeter")
    assert page.input_value("#field-script") == "frappe.response['message'] = 'hi'\nx = 2\n"
    stored = page.request.get("/api/resource/Server Script/Greeter").json()["data"]["script"]
    assert stored.endswith("x = 2\n")
    assert page.is_hidden("#not-saved")
    # Back in the editor where the cursor was (after the inserted line), ready to type on.
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    page.keyboard.insert_text("y = 3\n")
    assert page.input_value("#field-script").endswith("x = 2\ny = 3\n")
    assert dialogs == []  # saving never asked "leave the page?"


def test_ctrl_s_saves_any_desk_form(page, log_in, make_user):
    make_user("kim@example.com", roles=["Employee"])
    log_in("kim@example.com")
    page.goto("/app/todo/new")
    page.fill("#field-description", "saved with the keyboard")
    page.keyboard.press("Control+S")
    page.wait_for_url(re.compile(r"/app/todo/[0-9a-f]{10}$"))
    assert page.input_value("#field-description") == "saved with the keyboard"


def test_unsaved_changes_are_shown_and_leaving_asks_first(page, log_in, make_user, dialogs):
    make_user("kim@example.com", roles=["Employee"])
    log_in("kim@example.com")
    page.goto("/app/note/new")
    page.fill("#field-title", "Groceries")
    page.click(".form-actions button[type=submit]")
    page.wait_for_url("**/app/note/Groceries")
    assert page.is_hidden("#not-saved")
    page.click(".breadcrumbs a:text('Note')")  # nothing changed: no question
    page.wait_for_url("**/app/note")
    assert dialogs == []

    page.goto("/app/note/Groceries")
    page.fill("#field-content", "milk")
    assert page.is_visible("#not-saved") and page.inner_text("#not-saved") == "Not Saved"
    page.fill("#field-content", "")  # back to what was saved
    assert page.is_hidden("#not-saved")
    page.fill("#field-content", "milk, eggs")

    dialogs.answer = False  # stay
    page.click(".breadcrumbs a:text('Home')")
    assert dialogs[-1] == ("confirm", "You have unsaved changes on this page. Leave without saving them?")
    assert page.url.endswith("/app/note/Groceries") and page.input_value("#field-content") == "milk, eggs"

    dialogs.answer = True
    page.reload()  # closing or reloading the tab: the browser's own question
    assert dialogs[-1][0] == "beforeunload"
    page.wait_for_load_state()
    page.fill("#field-content", "bread")
    count = len(dialogs)
    page.click(".breadcrumbs a:text('Home')")
    page.wait_for_url("**/app")
    assert len(dialogs) == count + 1  # asked once, in words: not a second time by the browser
    assert not page.request.get("/api/resource/Note/Groceries").json()["data"]["content"]  # nothing was saved


def test_reference_doctype_select_and_a_template_that_fills_every_field(page, log_in, make_user, site_config,
                                                                       dialogs):
    site_config(server_script_enabled=True)
    make_user("sm@example.com", roles=["System Manager"])
    make_user("kim@example.com", roles=["Employee"])
    log_in("sm@example.com")
    page.goto("/app/server-script/new")
    options = page.eval_on_selector_all("#field-reference_doctype option", "els => els.map(e => e.value)")
    assert "Task" in options and "Expense Claim" in options and "Expense Claim Detail" not in options

    page.fill("#field-__name", "Assign ToDos")
    _editor_ready(page)
    page.click(".script-templates summary")
    page.click("button[data-script-template]:has-text('Task: create a ToDo')")
    assert dialogs == []  # an empty form: nothing to replace, nothing asked
    assert page.input_value("#field-script_type") == "DocType Event"
    assert page.input_value("#field-reference_doctype") == "Task"
    assert page.input_value("#field-doctype_event") == "After Save"
    assert "description = doc.subject" in page.inner_text(".cm-content")
    assert page.is_visible("[data-fieldname=doctype_event]") and page.is_hidden("[data-fieldname=api_method]")
    page.keyboard.press("Control+S")
    page.wait_for_url("**/app/server-script/Assign%20ToDos")

    page.goto("/app/task/new")
    page.fill("#field-subject", "Book the venue")
    page.fill("#field-allocated_to", "kim@example.com")
    page.keyboard.press("Control+S")
    page.wait_for_url(re.compile(r"/app/task/TASK-\d{5}$"))
    todos = page.request.get('/api/resource/ToDo?fields=["description","allocated_to"]').json()["data"]
    assert todos == [{"description": "Book the venue", "allocated_to": "kim@example.com"}]

    # A template over a filled form asks first, and leaves everything as it was when refused.
    page.goto("/app/server-script/Assign%20ToDos")
    _editor_ready(page)
    dialogs.answer = False
    page.click(".script-templates summary")
    page.click("button[data-script-template]:has-text('Hello API')")
    assert "Replace the script and its fields" in dialogs[-1][1]
    assert page.input_value("#field-script_type") == "DocType Event" and page.is_hidden("#not-saved")


def test_rate_limit_fields_show_only_with_the_limit_on(page, log_in, make_user):
    make_user("sm@example.com", roles=["System Manager"])
    log_in("sm@example.com")
    page.goto("/app/server-script/new")
    page.select_option("#field-script_type", "API")
    assert page.is_hidden("[data-fieldname=rate_limit_count]") and page.is_hidden("[data-fieldname=rate_limit_seconds]")
    page.check("#field-enable_rate_limit")
    assert page.is_visible("[data-fieldname=rate_limit_count]") and page.is_visible("[data-fieldname=rate_limit_seconds]")
