"""The first page, the home workspace and script health in a real browser; and no desk page
scrolls sideways on a 390 px phone. With UPDATE_DOCS_SCREENSHOTS=1 the README's screenshots of
the home, the script form and the health page are refreshed in docs/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from webapp.doctypes import registry

pytestmark = pytest.mark.e2e
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _shot(page, tmp_path, name: str) -> None:
    target = DOCS / name if os.environ.get("UPDATE_DOCS_SCREENSHOTS") else tmp_path / name
    page.screenshot(path=str(target), full_page=True)


@pytest.fixture
def admin_api(page, api_keys):
    """POST/GET through the REST API as Administrator (token auth), beside the browser's session."""
    headers = api_keys("Administrator")

    class Api:
        def post(self, url: str, data: dict | None = None):
            return page.request.post(url, headers=headers, data=data or {})

        def get(self, url: str):
            return page.request.get(url, headers=headers)

    return Api()


@pytest.fixture
def admin_log_in(app, log_in):
    """Log the browser in as Administrator (given a known password first)."""

    def login() -> None:
        from webapp.services import users

        with app.app_context():
            users.save_user("Administrator", password="Admin-pass-123")
        log_in("Administrator", "Admin-pass-123")

    return login


def test_the_first_page_as_guest_and_as_user(page, log_in, make_user):
    make_user("kim@example.com", roles=["Employee"])
    page.goto("/")
    assert page.url.endswith("/login")
    page.goto("/nowhere/at/all")
    assert page.inner_text("h1") == "Page not found" and "/nowhere/at/all" in page.inner_text(".error-page")
    log_in("kim@example.com")
    page.goto("/")
    assert page.url.endswith("/app") and page.inner_text("h1") == "Welcome, kim"
    page.goto("/app/nothing-here")
    page.click("text=Go to the desk")
    page.wait_for_url("**/app")


def test_home_counts_and_failures_after_a_failing_run(page, log_in, make_user, site_config, admin_api, tmp_path):
    site_config(server_script_enabled=True)
    make_user("sm@example.com", roles=["System Manager"])
    admin_api.post("/api/resource/Server Script", {"name": "Divide", "script_type": "API", "api_method": "divide",
                                                  "script": "n = int(frappe.form_dict.get('n'))\n"
                                                            "frappe.response['message'] = 10 / n\n"})
    log_in("sm@example.com")
    assert page.inner_text("#runs-today") == "0" and page.inner_text("#errors-today") == "0"
    assert page.inner_text("[data-script-type='API']") == "1"
    assert "No failed runs" in page.inner_text("#last-failures")

    assert admin_api.post("/api/method/divide?n=5").json() == {"message": 2.0}
    assert admin_api.post("/api/method/divide?n=0").status == 417
    page.reload()
    assert page.inner_text("#runs-today") == "2" and page.inner_text("#errors-today") == "1"
    row = page.locator("#last-failures tbody tr")
    assert row.count() == 1
    assert "Divide" in row.inner_text() and "Error" in row.inner_text()
    assert "ZeroDivisionError" in row.inner_text() and "(line 2)" in row.inner_text()
    _shot(page, tmp_path, "home.png")
    row.locator("td:first-child a").click()
    page.wait_for_url("**/app/server-script-log/*")
    assert page.input_value("#field-status") == "Error" and page.input_value("#field-server_script") == "Divide"


def test_health_chart_on_the_script_form_and_the_health_page(page, log_in, make_user, site_config, admin_api,
                                                             tmp_path):
    site_config(server_script_enabled=True)
    make_user("sm@example.com", roles=["System Manager"])
    admin_api.post("/api/resource/Server Script", {"name": "Every fifth fails", "script_type": "API",
                                                  "api_method": "fifth",
                                                  "script": "n = int(frappe.form_dict.get('n'))\n"
                                                            "if n % 5 == 0:\n"
                                                            "    frappe.throw('multiple of five: ' + str(n))\n"
                                                            "frappe.response['message'] = n\n"})
    for n in range(1, 21):
        admin_api.post(f"/api/method/fifth?n={n}")
    log_in("sm@example.com")

    page.goto("/app/server-script/Every%20fifth%20fails")
    health = page.locator(".script-health")
    health.locator(".health-chart canvas").wait_for()
    assert health.locator("[data-figure=runs]").inner_text() == "20"
    assert health.locator("[data-figure=failed]").inner_text() == "4"
    assert health.locator("[data-figure=error-rate]").inner_text() == "20.0%"
    assert health.locator("[data-figure=p95]").inner_text().endswith(" ms")
    assert "multiple of five: 20" in health.locator(".health-last-error").inner_text()
    assert "4 failed" in health.locator(".card-title").inner_text()  # in words, not only colour
    legend = health.locator(".u-legend").inner_text()
    assert "Runs" in legend and "Failed" in legend
    # The script comes first: health and recent runs below it.
    editor_y = page.locator(".code-editor").bounding_box()["y"]
    assert editor_y < health.bounding_box()["y"] < page.locator(".script-runs").bounding_box()["y"]
    _shot(page, tmp_path, "server-script-form.png")

    page.click(".script-health a:has-text('Health page')")
    page.wait_for_url("**/app/script-health/Every%20fifth%20fails")
    page.locator(".health-chart canvas").wait_for()
    page.goto("/app/script-health")
    page.locator(".health-chart canvas").wait_for()
    row = page.locator("table.health-scripts tbody tr", has_text="Every fifth fails")
    assert "20" in row.inner_text() and "4 failed" in row.inner_text() and "20.0%" in row.inner_text()
    _shot(page, tmp_path, "script-health.png")
    page.click(".hourly summary")
    assert page.locator(".hourly tbody tr").count() == 24


def _desk_pages(app, admin_api) -> list[str]:
    """One of every kind of desk page, with a document of every doctype to open."""
    from webapp.services import documents
    from webapp.services.context import acting_as

    admin_api.post("/api/resource/Server Script", {"name": "Probe with a rather long name to wrap",
                                                  "script_type": "API", "api_method": "probe",
                                                  "script": "frappe.throw('a long message ' * 20)"})
    admin_api.post("/api/method/probe")
    pages = ["/app", "/app/system-settings", "/app/my-settings", "/app/script-health",
             "/app/script-health/Probe%20with%20a%20rather%20long%20name%20to%20wrap", "/app/user/new",
             "/app/user/Administrator", "/app/no-such-page", "/login"]
    with app.app_context(), acting_as("Administrator"):
        samples = {"ToDo": {"description": "a todo with a fairly long description " * 4},
                   "Note": {"title": "A note", "content": "text"}, "Task": {"subject": "A task"},
                   "Expense Claim": {"employee_name": "Emma", "expenses": [{"expense_type": "Taxi", "amount": 12}]}}
        for doctype, values in samples.items():
            samples[doctype] = documents.insert(documents.new_doc(doctype, values)).name
        log = documents.get_list("Server Script Log", pluck="name", limit_page_length=1)
    for meta in registry.all_doctypes():
        if meta.istable:
            continue
        pages.append(f"/app/{meta.slug}")
        if not meta.read_only:
            pages.append(f"/app/{meta.slug}/new")
    pages += [f"/app/{registry.get(d).slug}/{n}" for d, n in samples.items()]
    pages += ["/app/server-script/Probe%20with%20a%20rather%20long%20name%20to%20wrap",
              f"/app/server-script-log/{log[0]}", f"/printview?doctype=ToDo&name={samples['ToDo']}"]
    return pages


def test_no_desk_page_scrolls_sideways_at_390_px(page, admin_log_in, app, site_config, admin_api):
    site_config(server_script_enabled=True)
    pages = _desk_pages(app, admin_api)
    admin_log_in()
    page.set_viewport_size({"width": 390, "height": 844})
    wide = {}
    for url in pages:
        page.goto(url)
        page.wait_for_load_state("load")
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if widths[0] > widths[1]:
            wide[url] = widths
    assert wide == {}, f"these pages scroll sideways at 390 px: {wide}"
    assert len(pages) > 25


def test_the_log_list_shows_every_column_at_1366_px(page, admin_log_in, site_config, admin_api):
    site_config(server_script_enabled=True)
    admin_api.post("/api/resource/Server Script", {"name": "A script with quite a long name indeed",
                                                  "script_type": "Permission Query", "reference_doctype": "ToDo",
                                                  "script": "conditions = ''"})
    admin_api.get("/api/resource/ToDo")
    admin_log_in()
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto("/app/server-script-log")
    wrap = page.evaluate("(() => { const w = document.querySelector('.table-wrap'); "
                         "return [w.scrollWidth, w.clientWidth]; })()")
    assert wrap[0] <= wrap[1], "the last column is cut off"
    tops = page.evaluate("Array.from(document.querySelectorAll('.filters > input, .filters > select, "
                         ".filters .filter-range')).map(e => Math.round(e.getBoundingClientRect().top))")
    assert max(tops) - min(tops) <= 4, f"the filters wrap onto several lines: {tops}"
