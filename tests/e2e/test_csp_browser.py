"""The desk's Content-Security-Policy breaks nothing: the editor, its live check, completions,
templates, the charts and the forms run without one violation report."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_desk_pages_run_under_the_policy_without_violations(page, log_in, make_user, site_config, api_keys):
    site_config(server_script_enabled=True)
    make_user("sm@example.com", roles=["System Manager"])
    headers = api_keys("Administrator")
    page.request.post("/api/resource/Server Script", headers=headers, data={
        "name": "Probe", "script_type": "API", "api_method": "probe", "script": "frappe.response['message'] = 1"})
    page.request.post("/api/method/probe", headers=headers)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    log_in("sm@example.com")
    response = page.goto("/app/server-script/Probe")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".code-editor[data-editor-mounted='1'] .cm-content")
    page.locator(".health-chart canvas").wait_for()
    page.click(".cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.type("\nfrappe.get_d")
    page.wait_for_selector(".cm-tooltip-autocomplete")  # completions
    page.keyboard.press("Escape")
    page.keyboard.type("\nif x\n")
    page.wait_for_selector(".editor-errors li")  # the live check marks the missing colon
    page.click(".script-templates summary")
    page.on("dialog", lambda d: d.accept())
    page.click("button[data-script-template]:has-text('Hello API')")
    assert page.input_value("#field-api_method") == "hello"
    assert page.is_hidden("[data-fieldname=reference_doctype]")  # depends_on, evaluated without eval
    for url in ("/app", "/app/script-health", "/app/user/new", "/app/todo/new", "/app/system-settings"):
        page.goto(url)
        page.wait_for_load_state("load")
    page.goto("/app/script-health")
    page.locator(".health-chart canvas").wait_for()
    assert violations == []
