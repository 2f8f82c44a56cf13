"""A System Manager goes from the awesomebar to a working Before Save script, in the browser."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.e2e

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROKEN = 'if "test" in doc.description\n    doc.status = "Closed"\n'
FIXED = 'if "test" in doc.description:\n    doc.status = "Closed"\n'


def _replace_code(page, text: str) -> None:
    page.click(".cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # insert_text types the text as is (no auto-indent), as a paste would.
    page.keyboard.insert_text(text)


def test_awesomebar_to_working_before_save_script(page, log_in, make_user, site_config, tmp_path):
    site_config(server_script_enabled=True)
    make_user("sm@example.com", roles=["System Manager"])
    log_in("sm@example.com")

    page.keyboard.press("Control+k")
    page.keyboard.type("new server script")
    page.wait_for_selector("#awesomebar-results li[role=option]")
    assert page.inner_text("#awesomebar-results li[aria-selected=true]").startswith("New Server Script")
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/server-script/new")

    page.fill("#field-__name", "Close test ToDos")
    page.select_option("#field-script_type", "DocType Event")
    page.select_option("#field-reference_doctype", "ToDo")
    page.select_option("#field-doctype_event", "Before Save")
    page.wait_for_selector(".code-editor[data-editor-mounted='1'] .cm-content")

    _replace_code(page, BROKEN)
    # The live check marks the error at its line before anything is saved.
    error = page.wait_for_selector(".editor-errors li")
    assert "Line 1" in error.inner_text()
    page.wait_for_selector(".cm-lintRange-error, .cm-lint-marker-error")
    # UPDATE_DOCS_SCREENSHOTS=1 refreshes the README's picture (a normal run leaves docs/ alone).
    shot = os.path.join(ROOT, "docs", "server-script-editor.png") if os.environ.get("UPDATE_DOCS_SCREENSHOTS") \
        else str(tmp_path / "editor.png")
    page.screenshot(path=shot)

    _replace_code(page, FIXED)
    page.wait_for_selector(".code-editor[data-validate-status='ok']")
    assert page.query_selector_all(".editor-errors li") == []
    page.click("form#doc-form .form-actions button[type=submit]")
    page.wait_for_url("**/app/server-script/Close%20test%20ToDos")
    assert page.input_value("#field-script") == FIXED

    page.goto("/app/todo/new")
    page.fill("#field-description", "a test item")
    page.click("form#doc-form .form-actions button[type=submit]")
    page.wait_for_url(lambda url: "/app/todo/" in url and not url.endswith("/new"))
    assert page.input_value("#field-status") == "Closed"

    # The run is in the script's log.
    page.goto("/app/server-script/Close%20test%20ToDos")
    assert "Success" in page.inner_text(".script-runs")


def _new_api_script(page, log_in, make_user, name: str, method: str, **checks_and_values: str) -> None:
    """Log in as a System Manager and fill a new API script's form, up to a mounted editor."""
    make_user("sm@example.com", roles=["System Manager"])
    log_in("sm@example.com")
    page.goto("/app/server-script/new")
    page.fill("#field-__name", name)
    page.select_option("#field-script_type", "API")
    page.fill("#field-api_method", method)
    for field, value in checks_and_values.items():
        if value == "check":
            page.check(f"#field-{field}")
        else:
            page.fill(f"#field-{field}", value)
    page.wait_for_selector(".code-editor[data-editor-mounted='1'] .cm-content")


def test_save_error_is_shown_at_its_line_after_saving(page, log_in, make_user):
    _new_api_script(page, log_in, make_user, "api one", "api_one")
    _replace_code(page, "x = 1\ny = (\n")
    page.evaluate("document.querySelector('#field-script').removeAttribute('data-validate-url')")
    page.click("form#doc-form .form-actions button[type=submit]")
    page.wait_for_selector(".editor-errors li")
    assert "Line 2" in page.inner_text(".editor-errors")
    assert "Server Scripts are disabled" in page.inner_text("#scripts-disabled")


def test_api_endpoint_with_rate_limit_and_its_failures_in_the_log(page, log_in, make_user, site_config):
    site_config(server_script_enabled=True)
    _new_api_script(page, log_in, make_user, "Hello limited", "hello_limited", enable_rate_limit="check",
                    rate_limit_count="2", rate_limit_seconds="3600")
    _replace_code(page, 'name = frappe.form_dict.get("name") or "world"\n'
                        'if name == "boom":\n'
                        '    frappe.throw("no booms here")\n'
                        'frappe.response["message"] = "hello " + name\n')
    page.wait_for_selector(".code-editor[data-validate-status='ok']")
    page.click("form#doc-form .form-actions button[type=submit]")
    page.wait_for_url("**/app/server-script/Hello%20limited")

    # The endpoint answers (with the browser's session), then its rate limit answers 429.
    first = page.request.get("/api/method/hello_limited?name=desk")
    assert first.status == 200 and first.json() == {"message": "hello desk"}
    failing = page.request.get("/api/method/hello_limited?name=boom")
    assert failing.status == 417 and "no booms here" in failing.text()
    limited = page.request.get("/api/method/hello_limited")
    assert limited.status == 429 and int(limited.headers["retry-after"]) > 0

    # Every run, and the failure with its line, is in the execution log.
    page.goto("/app/server-script-log?server_script=Hello%20limited&status=Error")
    page.click("table.doc-list tbody tr a")
    error = page.input_value("#field-error")
    assert "no booms here" in error and "line 3" in error
    assert page.input_value("#field-status") == "Error"
    page.goto("/app/server-script/Hello%20limited")
    runs = page.inner_text(".script-runs")
    assert "Success" in runs and "Error" in runs


def test_scheduler_fields_follow_the_frequency_and_a_bad_cron_is_named(page, log_in, make_user):
    make_user("sm@example.com", roles=["System Manager"])
    log_in("sm@example.com")
    page.goto("/app/server-script/new")
    page.fill("#field-__name", "Every five minutes")
    page.wait_for_selector(".code-editor[data-editor-mounted='1'] .cm-content")
    page.click(".script-templates summary")
    page.click("button[data-script-template]:has-text('Close overdue ToDos')")
    assert "frappe.db.set_value('ToDo'" in page.inner_text(".cm-content")
    # The template chose the type and its frequency.
    assert page.input_value("#field-script_type") == "Scheduler Event"
    assert page.input_value("#field-event_frequency") == "Daily"

    def shown(field: str) -> bool:
        return page.is_visible(f"[data-fieldname={field}]")

    assert shown("event_frequency") and not shown("cron_format")
    assert not shown("reference_doctype") and not shown("api_method") and not shown("doctype_event")
    page.select_option("#field-event_frequency", "Cron")
    assert shown("cron_format")
    page.fill("#field-cron_format", "*/5 * * *")
    page.click("form#doc-form .form-actions button[type=submit]")
    error = page.wait_for_selector("[data-fieldname=cron_format] .field-error")
    assert "has 4 fields" in error.inner_text() and "minute hour day-of-month month day-of-week" in error.inner_text()
    page.fill("#field-cron_format", "*/5 * * * *")
    page.click("form#doc-form .form-actions button[type=submit]")
    page.wait_for_url("**/app/server-script/Every%20five%20minutes")
    assert page.input_value("#field-event_frequency") == "Cron" and shown("cron_format")


def test_permission_query_from_its_template_filters_the_desk_list(page, log_in, make_user, site_config, app):
    site_config(server_script_enabled=True)
    make_user("sm@example.com", roles=["System Manager"])
    log_in("sm@example.com")
    page.goto("/app/todo/new")
    page.fill("#field-description", "the manager's own")
    page.click("form#doc-form .form-actions button[type=submit]")
    page.wait_for_url(lambda url: "/app/todo/" in url and not url.endswith("/new"))
    from webapp.services import documents
    from webapp.services.context import acting_as

    with app.app_context(), acting_as("Administrator"):
        documents.insert(documents.new_doc("ToDo", {"description": "someone else's"}))

    page.goto("/app/server-script/new")
    page.fill("#field-__name", "Own ToDos only")
    page.select_option("#field-script_type", "Permission Query")
    assert page.is_visible("[data-fieldname=reference_doctype]")
    assert not page.is_visible("[data-fieldname=doctype_event]") and not page.is_visible("[data-fieldname=event_frequency]")
    page.select_option("#field-reference_doctype", "ToDo")
    page.wait_for_selector(".code-editor[data-editor-mounted='1'] .cm-content")
    page.click(".script-templates summary")
    page.click("button[data-script-template]:has-text('Only my own ToDos')")
    page.wait_for_selector(".code-editor[data-validate-status='ok']")
    page.click("form#doc-form .form-actions button[type=submit]")
    page.wait_for_url("**/app/server-script/Own%20ToDos%20only")

    page.goto("/app/todo")
    listing = page.inner_text("table.doc-list")
    assert "the manager's own" in listing and "someone else's" not in listing

