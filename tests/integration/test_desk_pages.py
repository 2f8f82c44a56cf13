"""Desk pages rendered from doctype metadata: home, lists (filters, sort, paging), forms, print view."""

from __future__ import annotations

import re

import pytest

from webapp.doctypes import registry


@pytest.fixture
def make_doc(app):
    """make_doc("ToDo", description="x", user=..., submit=False) -> the stored document's name."""

    def make(doctype: str, user: str = "Administrator", submit: bool = False, **values):
        from webapp.services import documents
        from webapp.services.context import acting_as

        with app.app_context(), acting_as(user):
            doc = documents.insert(documents.new_doc(doctype, values))
            if submit:
                documents.submit(doc)
            return doc.name

    return make


def page(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:500])
    return r.get_data(as_text=True)


def list_names(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'<td><a href="/app/[^"]+">([^<]+)</a></td>', body)


# -- home --------------------------------------------------------------------------------------------
def test_home_lists_the_doctypes_the_user_can_read(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    html = page(client, "/app")
    assert "Documents" in html and "Welcome" in html
    for slug in ("todo", "note", "task", "expense-claim"):
        assert f'href="/app/{slug}"' in html
    assert 'href="/app/user"' not in html and "expense-claim-detail" not in html


def test_home_shows_user_list_to_system_manager(client, login_as):
    login_as("sm@example.com", roles=["System Manager"])
    assert 'href="/app/user"' in page(client, "/app")


# -- lists -------------------------------------------------------------------------------------------
LISTABLE = [dt.slug for dt in registry.all_doctypes() if not dt.istable]


@pytest.mark.parametrize("slug", LISTABLE)
def test_every_doctype_has_a_list_for_administrator(app, client, login_as, slug):
    login_as("Administrator")
    html = page(client, f"/app/{slug}")
    meta = registry.by_slug(slug)
    assert f"<h1>{meta.name}</h1>" in html
    assert 'class="filters"' in html
    with app.app_context():
        from webapp.services import documents

        rows = documents.get_count(meta.name, ignore_permissions=True)
    if rows:  # User always has Administrator; Role has the seeded roles
        assert "Last Updated" in html and 'class="empty-state"' not in html
    else:
        assert f"No {meta.name} yet." in html and 'class="empty-state"' in html and "Last Updated" not in html


def test_unknown_and_child_slugs_are_404(client, login_as):
    login_as("Administrator")
    page(client, "/app/no-such-thing", 404)
    page(client, "/app/expense-claim-detail", 404)
    page(client, "/app/expense-claim-detail/new", 404)


def test_list_without_read_permission_is_a_403_page(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    html = page(client, "/app/user", 403)
    assert "Not permitted" in html


def test_list_needs_login(client):
    r = client.get("/app/todo")
    assert r.status_code == 302 and "/login?next=/app/todo" in r.headers["Location"]


def test_list_columns_new_button_and_empty_state(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    html = page(client, "/app/todo")
    assert "No ToDo yet." in html and 'class="empty-state"' in html
    assert 'href="/app/todo/new"' in html and "New ToDo" in html
    assert "Status: All" in html and "Priority: All" in html  # the standard filters


def test_list_shows_rows_with_links(client, login_as, make_doc):
    login_as("emp@example.com", roles=["Employee"])
    name = make_doc("ToDo", description="write the report", user="emp@example.com")
    html = page(client, "/app/todo")
    assert list_names(html) == [name]
    assert "write the report" in html and "1–1 of 1" in html
    for label in (">ID<", ">Status<", ">Priority<", ">Description<", ">Last Updated<"):
        assert label in html


def test_list_filters_by_standard_filter_fields(client, login_as, make_doc):
    login_as("emp@example.com", roles=["Employee"])
    open_ = make_doc("ToDo", description="open one", status="Open")
    closed = make_doc("ToDo", description="closed one", status="Closed")
    assert list_names(page(client, "/app/todo?status=Open")) == [open_]
    html = page(client, "/app/todo?status=Closed")
    assert list_names(html) == [closed]
    assert '<option value="Closed" selected>' in html and "Clear filters" in html
    assert "No ToDo matches these filters." in page(client, "/app/todo?status=Cancelled")


def test_list_filters_data_fields_by_part_and_docstatus(client, login_as, make_doc):
    login_as("Administrator")
    ann = make_doc("Expense Claim", employee_name="Ann Smith", submit=True)
    bob = make_doc("Expense Claim", employee_name="Bob Jones")
    assert list_names(page(client, "/app/expense-claim?employee_name=smith")) == [ann]
    assert list_names(page(client, "/app/expense-claim?docstatus=0")) == [bob]
    assert list_names(page(client, "/app/expense-claim?docstatus=1")) == [ann]


def test_list_sorts_by_clicked_column(client, login_as, make_doc):
    login_as("Administrator")
    names = {d: make_doc("Task", subject=d) for d in ("beta", "alpha", "gamma")}
    html = page(client, "/app/task?order_by=subject%20asc")
    assert list_names(html) == [names["alpha"], names["beta"], names["gamma"]]
    # The active header shows its direction and links to the opposite one.
    assert re.search(r'href="/app/task\?order_by=subject\+desc"[^>]*class="sort-asc"', html)
    html = page(client, "/app/task?order_by=subject%20desc")
    assert list_names(html) == [names["gamma"], names["beta"], names["alpha"]]
    # An unknown sort field falls back to the default order instead of failing.
    assert len(list_names(page(client, "/app/task?order_by=bogus%20asc"))) == 3


def test_list_pages_twenty_at_a_time(client, login_as, make_doc):
    login_as("Administrator")
    for i in range(25):
        make_doc("Task", subject=f"task {i:02d}")
    first = page(client, "/app/task?order_by=subject%20asc")
    assert len(list_names(first)) == 20 and "1–20 of 25" in first
    assert 'href="/app/task?order_by=subject+asc&amp;page=2" rel="next"' in first
    second = page(client, "/app/task?order_by=subject%20asc&page=2")
    assert len(list_names(second)) == 5 and "21–25 of 25" in second
    assert set(list_names(first)).isdisjoint(list_names(second))


def test_submittable_list_shows_docstatus_badges(client, login_as, make_doc):
    login_as("Administrator")
    make_doc("Expense Claim", employee_name="Draft Dan")
    make_doc("Expense Claim", employee_name="Sub Sue", submit=True)
    html = page(client, "/app/expense-claim")
    assert '<span class="badge badge-draft">Draft</span>' in html
    assert '<span class="badge badge-submitted">Submitted</span>' in html


def test_no_new_button_without_create_permission(client, login_as):
    login_as("appr@example.com", roles=["Expense Approver"])
    html = page(client, "/app/expense-claim")
    assert "New Expense Claim" not in html
    page(client, "/app/expense-claim/new", 403)
    login_as("sm@example.com", roles=["System Manager"])
    assert "New Server Script Log" not in page(client, "/app/server-script-log")
    page(client, "/app/server-script-log/new", 403)
    assert "New User" in page(client, "/app/user")  # users are created on their own page (user_views.py)


# -- forms -------------------------------------------------------------------------------------------
CREATABLE = [dt.slug for dt in registry.all_doctypes() if not dt.istable and not dt.read_only]


@pytest.mark.parametrize("slug", CREATABLE)
def test_every_doctype_has_a_new_form(client, login_as, slug):
    login_as("Administrator")
    meta = registry.by_slug(slug)
    html = page(client, f"/app/{slug}/new")
    assert f"New {meta.name}" in html and 'name="csrf_token"' in html
    for f in meta.fields:
        if f.hidden:
            assert f'name="{f.fieldname}"' not in html
        elif not f.is_table and not f.is_layout:
            assert f'id="field-{f.fieldname}"' in html, f.fieldname
            if f.reqd:
                assert f'<label for="field-{f.fieldname}" class="required">' in html


def test_todo_form_widgets(client, login_as):
    login_as("Administrator")
    html = page(client, "/app/todo/new")
    assert re.search(r'<select id="field-status" name="status"[^>]*>\s*<option value="Open" selected>Open</option>', html)
    assert '<textarea id="field-description" name="description"' in html
    assert '<input type="text" id="field-date" name="date" data-fieldtype="Date"' in html
    # Link: a text input with a datalist of names from the target doctype.
    assert re.search(r'id="field-allocated_to"[^>]*list="links-user"', html)
    assert '<datalist id="links-user"><option value="Administrator">' in html


def test_new_form_takes_prefill_from_the_query(client, login_as):
    login_as("Administrator")
    html = page(client, "/app/todo/new?description=from+a+link&priority=High")
    assert "from a link</textarea>" in html and '<option value="High" selected>' in html


def test_expense_claim_form_has_an_editable_child_table(client, login_as):
    login_as("emp@example.com", roles=["Employee"])
    html = page(client, "/app/expense-claim/new")
    assert 'data-child-table="expenses"' in html
    for name in ("expense_date", "expense_type", "description", "amount"):
        assert f'name="expenses-0-{name}"' in html  # the spare row: add a row without JavaScript
    assert 'value="add:expenses"' in html and "Add Row" in html
    assert 'type="text" id="expenses-0-expense_date" name="expenses-0-expense_date" data-fieldtype="Date"' in html
    assert 'type="number" id="expenses-0-amount"' in html
    assert "js/form.js" in html


@pytest.mark.parametrize("fieldtype, expected", [
    ("Data", '<input type="text"'),
    ("Text", "<textarea"),
    ("Code", 'class="code-text"'),
    ("Small Text", '<textarea'),
    ("Long Text", 'rows="8"'),
    ("Percent", 'step="any"'),
    ("Rating", 'max="1"'),
    ("Duration", 'title="Seconds"'),
    ("Time", 'type="time"'),
    ("Phone", 'type="tel"'),
    ("Dynamic Link", '<input type="text"'),
    ("Select", "<select"),
    ("Int", 'type="number"'),
    ("Float", 'step="any"'),
    ("Currency", 'inputmode="decimal"'),
    ("Date", 'placeholder="yyyy-mm-dd"'),
    ("Datetime", 'placeholder="yyyy-mm-dd HH:mm:ss"'),
    ("Check", 'type="checkbox"'),
    ("Link", 'list="links-user"'),
    ("Password", 'type="password"'),
])
def test_control_macro_picks_the_widget_by_fieldtype(app, fieldtype, expected):
    from webapp.doctypes.meta import Field

    options = {"Select": "A\nB", "Link": "User", "Dynamic Link": "ref"}.get(fieldtype)
    f = Field("x", fieldtype, options=options)
    with app.test_request_context():
        macro = app.jinja_env.get_template("_macros/form.html").module.control
        html = str(macro(f, None, "x", "field-x", True))
        assert expected in html and 'name="x"' in html and " disabled" not in html
        assert " disabled" in str(macro(f, None, "x", "field-x", False))
        if fieldtype == "Code":  # the Server Script editor, where the form asks for it
            assert 'data-code-editor="python"' in str(macro(f, None, "x", "field-x", True, editor=True))


@pytest.mark.parametrize("options, expected", [("Email", 'type="email"'), ("URL", 'type="url"'),
                                               ("Phone", 'type="tel"')])
def test_data_options_pick_the_input_type(app, options, expected):
    from webapp.doctypes.meta import Field

    with app.test_request_context():
        macro = app.jinja_env.get_template("_macros/form.html").module.control
        assert expected in str(macro(Field("x", "Data", options=options), None, "x", "field-x", True))


def test_existing_document_form_shows_stored_values(client, login_as, make_doc):
    login_as("emp@example.com", roles=["Employee"])
    name = make_doc("Expense Claim", user="emp@example.com", employee_name="Emma", remark="taxi",
                    expenses=[{"expense_type": "Taxi", "amount": 12.5}, {"expense_type": "Lunch", "amount": 8}])
    html = page(client, f"/app/expense-claim/{name}")
    assert f'<h1><span class="title-text">{name}</span>' in html and 'value="Emma"' in html and ">taxi</textarea>" in html
    assert 'name="expenses-0-expense_type" data-fieldtype="Data"' in html
    assert 'value="Taxi"' in html and 'value="12.50"' in html and 'value="Lunch"' in html
    assert re.search(r'name="modified" value="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', html)


def test_read_only_doctype_form_has_no_save(client, login_as, app):
    import datetime as dt

    from webapp.runtime import logs

    with app.app_context():
        logs.record(server_script="s", script_type="API", trigger="s GET", user="Administrator",
                    started=dt.datetime(2026, 1, 2, 3, 4, 5), duration_ms=1.5, status="Success", output="", error="")
        logs.flush()
        from webapp.services import documents
        from webapp.services.context import acting_as

        with acting_as("Administrator"):
            name = documents.get_list("Server Script Log", pluck="name")[0]
    login_as("sm@example.com", roles=["System Manager"])
    html = page(client, f"/app/server-script-log/{name}")
    assert 'value="2026-01-02 03:04:05"' in html and 'value="1.5 ms"' in html and " disabled" in html
    assert ">Save</button>" not in html and ">Delete</button>" not in html


def test_missing_document_is_404(client, login_as):
    login_as("Administrator")
    page(client, "/app/todo/nope", 404)


# -- print view --------------------------------------------------------------------------------------
def test_printview_renders_the_document_and_fires_before_print(app, client, login_as, make_doc):
    login_as("emp@example.com", roles=["Employee"])
    name = make_doc("Expense Claim", user="emp@example.com", employee_name="Printable Pat",
                    expenses=[{"expense_type": "Hotel", "amount": 99}])
    seen = []

    def listener(doc, event):
        if event == "before_print":
            seen.append((doc.doctype, doc.name))

    with app.extensions["hooks"].listening(listener):
        html = page(client, f"/printview?doctype=Expense%20Claim&name={name}")
    assert seen == [("Expense Claim", name)]
    assert 'class="print-format"' in html and "Printable Pat" in html and "Hotel" in html and "99.00" in html
    assert 'class="navbar"' not in html  # a clean page


def test_printview_needs_login_and_read_permission(client, login_as, make_doc, api_keys):
    name = make_doc("Expense Claim", employee_name="Secret Sam")
    r = client.get(f"/printview?doctype=Expense%20Claim&name={name}")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    headers = api_keys("emp@example.com", roles=["Employee"])
    r = client.get(f"/printview?doctype=Expense%20Claim&name={name}", headers=headers)
    assert r.status_code == 200 and "Secret Sam" in r.get_data(as_text=True)
    login_as("nobody@example.com")
    page(client, f"/printview?doctype=Expense%20Claim&name={name}", 403)
    page(client, "/printview?doctype=Expense%20Claim&name=missing", 404)
    page(client, "/printview?doctype=Expense%20Claim", 417)


def test_form_has_print_button(client, login_as, make_doc):
    login_as("Administrator")
    name = make_doc("ToDo", description="print me")
    assert f'href="/printview?doctype=ToDo&amp;name={name}"' in page(client, f"/app/todo/{name}")


# -- helpers behind the macros -----------------------------------------------------------------------
def test_code_field_errors_become_editor_markers():
    from webapp.blueprints.desk.forms import code_errors

    # The editor prints "Line 3:" itself, so the marker's message does not repeat it.
    assert code_errors("Line 3: invalid syntax") == [{"line": 3, "message": "invalid syntax"}]
    assert code_errors("Server Script 'x' failed at line 4: NameError") == [
        {"line": 4, "message": "Server Script 'x' failed at line 4: NameError"}]
    assert code_errors("no line here") == ["no line here"] and code_errors(None) == []


def test_name_errors_point_at_the_naming_input():
    from webapp.blueprints.desk.forms import field_errors
    from webapp.doctypes.meta import DocType, Field
    from webapp.errors import DuplicateEntryError, MandatoryError

    prompt = DocType("Prompted", naming="prompt", fields=[Field("x", "Data")])
    assert field_errors(prompt, MandatoryError("Prompted: a name is required")) == {
        "name": "Prompted: a name is required"}
    by_field = DocType("Titled", naming="field:title", fields=[Field("title", "Data")])
    assert list(field_errors(by_field, DuplicateEntryError("Titled Same already exists"))) == ["title"]
