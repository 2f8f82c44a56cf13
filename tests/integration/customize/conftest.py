"""Helpers for doctypes defined by users: define them over REST as a System Manager, and the
Server Script helpers of the scripts suite."""

from __future__ import annotations

import pytest

from tests.integration.scripts.conftest import admin_headers, enable_scripts, logs, make_script  # noqa: F401

# A doctype with every supported fieldtype that holds a value, plus layout breaks, a child table and
# a Link (REST: POST /api/resource/DocType, Frappe's shape).
EVERY_TYPE_FIELDS = [
    {"label": "Title", "fieldtype": "Data", "reqd": 1, "in_list_view": 1, "in_standard_filter": 1},
    {"label": "Email", "fieldtype": "Data", "options": "Email"},
    {"label": "Website", "fieldtype": "Data", "options": "URL"},
    {"label": "Mobile", "fieldtype": "Data", "options": "Phone"},
    {"label": "Summary", "fieldtype": "Small Text"},
    {"fieldtype": "Column Break"},
    {"label": "Notes", "fieldtype": "Text"},
    {"label": "Body", "fieldtype": "Long Text"},
    {"label": "Rich", "fieldtype": "Text Editor"},
    {"label": "Snippet", "fieldtype": "Code", "options": "Python"},
    {"label": "Numbers", "fieldtype": "Section Break"},
    {"label": "Count", "fieldtype": "Int", "in_list_view": 1},
    {"label": "Weight", "fieldtype": "Float", "precision": "2"},
    {"label": "Price", "fieldtype": "Currency", "in_list_view": 1},
    {"label": "Share", "fieldtype": "Percent"},
    {"label": "Active", "fieldtype": "Check", "default": "1"},
    {"label": "Kind", "fieldtype": "Select", "options": "Small\nLarge", "default": "Small", "in_standard_filter": 1},
    {"label": "Owner User", "fieldname": "owner_user", "fieldtype": "Link", "options": "User"},
    {"label": "Ref Type", "fieldname": "ref_type", "fieldtype": "Link", "options": "DocType"},
    {"label": "Ref Name", "fieldname": "ref_name", "fieldtype": "Dynamic Link", "options": "ref_type"},
    {"label": "Dates", "fieldtype": "Tab Break"},
    {"label": "Day", "fieldtype": "Date"},
    {"label": "At", "fieldtype": "Datetime"},
    {"label": "Clock", "fieldtype": "Time"},
    {"label": "Took", "fieldtype": "Duration"},
    {"label": "Fetched Name", "fieldname": "fetched_name", "fieldtype": "Read Only",
     "fetch_from": "owner_user.full_name"},
    {"label": "Secret", "fieldtype": "Password"},
    {"label": "Stars", "fieldtype": "Rating"},
    {"label": "Colour", "fieldtype": "Color"},
    {"label": "Phone", "fieldtype": "Phone"},
    {"label": "Lines", "fieldtype": "Table", "options": "Gadget Line"},
    {"label": "Tags", "fieldtype": "Table MultiSelect", "options": "Gadget Tag"},
]


@pytest.fixture
def make_doctype(client, admin_headers):  # noqa: F811 - the fixture imported above
    """make_doctype(name, fields, **props) -> the saved DocType (dict), created over REST."""

    def make(name: str, fields: list[dict], **props):
        body = {"name": name, "module": "Test", "fields": fields,
                "permissions": props.pop("permissions", [{"role": "System Manager", "read": 1, "write": 1,
                                                          "create": 1, "delete": 1}]), **props}
        r = client.post("/api/resource/DocType", json=body, headers=admin_headers)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["data"]

    return make


@pytest.fixture
def gadget(make_doctype):
    """Gadget: every supported fieldtype, a child table (Gadget Line), a Table MultiSelect (Gadget Tag)
    and Links; named PRE-<year>-#####."""
    make_doctype("Gadget Line", [{"label": "Item", "fieldtype": "Data", "reqd": 1, "in_list_view": 1},
                                 {"label": "Qty", "fieldtype": "Int", "in_list_view": 1},
                                 {"label": "Rate", "fieldtype": "Currency", "in_list_view": 1}], istable=1,
                 permissions=[])
    make_doctype("Gadget Tag", [{"label": "User", "fieldtype": "Link", "options": "User", "in_list_view": 1}],
                 istable=1, permissions=[])
    return make_doctype("Gadget", EVERY_TYPE_FIELDS, autoname="format:GAD-{YYYY}-{#####}", title_field="title",
                        search_fields="summary")
