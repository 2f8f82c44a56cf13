"""The doctypes that define doctypes, with Frappe's names and field names (so Frappe's doctype JSON
files and its `custom_field.json` / `property_setter.json` fixtures load as they are): `DocType`
with its child tables `DocField` and `DocPerm`, `Custom Field` and `Property Setter`.

Their rows are read by webapp/customize/registry_cache.py into the registry; their controllers
(webapp/customize/controllers.py) check who changes them and what, and change the tables to match.
"""

from __future__ import annotations

from webapp.doctypes.meta import DATA_OPTIONS, FIELD_TYPES, DocType, Field, Perm

SM_ONLY = [Perm("System Manager", read=True, write=True, create=True, delete=True)]
# Changed by System Managers only, through the full lifecycle (their controllers change the schema),
# followed by no Server Script, and not customizable themselves.
_MANAGED: dict = {"permissions": SM_ONLY, "script_events": False, "direct_writes": False, "customizable": False}
AUTONAME_HELP = ("How documents are named: hash (random), autoincrement (1, 2, 3...), field:<fieldname>, "
                 "naming_series: (from the naming_series field), format:PRE-{YYYY}-{#####} ({fieldname}, "
                 "{YYYY} {YY} {MM} {DD}, {#####} the counter), prompt (typed by the user), or a series such "
                 "as PRE-.#####")
# Property Setter: the properties that change something here, per level.
FIELD_PROPERTIES = ("reqd", "hidden", "options", "default", "in_list_view", "label", "read_only",
                    "in_standard_filter", "description", "depends_on", "allow_on_submit", "fetch_from",
                    "fetch_if_empty", "precision", "bold")
DOCTYPE_PROPERTIES = ("title_field", "search_fields", "sort_field", "sort_order", "description", "track_changes",
                      "field_order")

# The properties of a field, shared by DocField and Custom Field.
_FIELD_PROPERTIES = [
    Field("label", "Data", in_list_view=True),
    Field("fieldtype", "Select", options="\n".join(FIELD_TYPES), default="Data", reqd=True, in_list_view=True),
    Field("fieldname", "Data", in_list_view=True,
          description="Lower case letters, digits and _; made from the label when left empty"),
    Field("options", "Small Text", in_list_view=True,
          description="Select: one choice per line; Link and Table: the doctype; Dynamic Link: the field that "
                      f"holds the doctype; Data: {', '.join(DATA_OPTIONS)}"),
    Field("reqd", "Check", label="Mandatory", in_list_view=True),
    Field("unique", "Check"),
    Field("default", "Small Text"),
    Field("read_only", "Check"),
    Field("hidden", "Check"),
    Field("in_list_view", "Check", label="In List View"),
    Field("in_standard_filter", "Check", label="In Standard Filter"),
    Field("search_index", "Check", label="Index"),
    Field("allow_on_submit", "Check", label="Allow on Submit"),
    Field("bold", "Check"),
    Field("description", "Small Text"),
    Field("depends_on", "Data", label="Display Depends On", description="fieldname, or eval:doc.status=='Open'"),
    Field("fetch_from", "Data", label="Fetch From", description="link_field.fieldname"),
    Field("fetch_if_empty", "Check", label="Fetch only if empty"),
    Field("length", "Int", description="Data-like fields: the most characters (default 140)"),
    Field("precision", "Select", options="\n0\n1\n2\n3\n4\n5\n6\n7\n8\n9",
          description="Float, Currency, Percent: digits after the point"),
]

DOCFIELD = DocType("DocField", istable=True, module="Core", customizable=False, fields=_FIELD_PROPERTIES)

DOCPERM = DocType(
    "DocPerm",
    istable=True,
    module="Core",
    customizable=False,
    fields=[
        Field("role", "Data", reqd=True, in_list_view=True, description="A role, or All (every logged-in user)"),
        Field("if_owner", "Check", label="Only If Creator", in_list_view=True),
        Field("read", "Check", default=1, in_list_view=True),
        Field("write", "Check", in_list_view=True),
        Field("create", "Check", in_list_view=True),
        Field("delete", "Check", in_list_view=True),
        Field("submit", "Check", in_list_view=True),
        Field("cancel", "Check", in_list_view=True),
        Field("permlevel", "Int", label="Level", description="Only level 0 (the whole document) is supported"),
    ],
)

DOCTYPE = DocType(
    "DocType",
    naming="prompt",
    title_field="name",
    module="Core",
    sort_field="modified",
    description="A document type defined here: its fields become a table, a form and a list.",
    **_MANAGED,
    search_fields="module",
    fields=[
        Field("module", "Data", default="Custom", in_list_view=True, in_standard_filter=True),
        Field("custom", "Check", default=1, label="Custom?"),
        Field("cb_props", "Column Break"),
        Field("istable", "Check", label="Is Child Table", in_list_view=True, in_standard_filter=True,
              description="Rows of other documents (a Table field), not documents of their own"),
        Field("issingle", "Check", label="Is Single", in_standard_filter=True,
              description="One record only (settings); its values are kept in tabSingles"),
        Field("is_submittable", "Check", label="Is Submittable",
              description="Documents are submitted (and then cancelled) instead of edited forever"),
        Field("track_changes", "Check", default=1),
        Field("allow_rename", "Check", description="Documents may be renamed (links to them follow)"),
        Field("sb_fields", "Section Break"),
        Field("fields", "Table", options="DocField"),
        Field("sb_naming", "Section Break", label="Naming"),
        Field("autoname", "Data", label="Auto Name", description=AUTONAME_HELP),
        Field("title_field", "Data", description="The field shown as the document's title"),
        Field("search_fields", "Data", description="Fields also searched by the awesomebar, comma separated"),
        Field("cb_naming", "Column Break"),
        Field("sort_field", "Data", default="modified"),
        Field("sort_order", "Select", options="DESC\nASC", default="DESC"),
        Field("description", "Small Text"),
        Field("sb_permissions", "Section Break"),
        Field("permissions", "Table", options="DocPerm"),
    ],
)

CUSTOM_FIELD = DocType(
    "Custom Field",
    naming="prompt",  # <dt>-<fieldname>, given by its controller when not sent (Frappe's)
    title_field="label",
    module="Custom",
    description="A field added to a doctype, built-in or defined here.",
    **_MANAGED,
    search_fields="dt, fieldname",
    fields=[
        Field("dt", "Link", options="DocType", label="Document Type", reqd=True, in_list_view=True,
              in_standard_filter=True),
        Field("module", "Data", hidden=True),
        Field("insert_after", "Data", label="Insert After",
              description="The field this one follows (at the end when empty or not found)"),
        *_FIELD_PROPERTIES,
    ],
)

PROPERTY_SETTER = DocType(
    "Property Setter",
    naming="prompt",  # <doc_type>-<field_name or main>-<property>, given by its controller
    title_field="property",
    module="Custom",
    description="Changes one property of a doctype or of one of its fields (Mandatory, Hidden, Options, "
                "Default, In List View...).",
    **_MANAGED,
    search_fields="doc_type, field_name, property",
    fields=[
        Field("doctype_or_field", "Select", options="DocField\nDocType", default="DocField", in_list_view=True),
        Field("doc_type", "Link", options="DocType", label="DocType", reqd=True, in_list_view=True,
              in_standard_filter=True),
        Field("field_name", "Data", in_list_view=True, description="Empty when the property is the doctype's"),
        Field("property", "Data", reqd=True, in_list_view=True,
              description=f"Of a field: {', '.join(FIELD_PROPERTIES)}; of the doctype: "
                          f"{', '.join(DOCTYPE_PROPERTIES)}"),
        Field("property_type", "Data"),
        Field("value", "Small Text"),
        Field("default_value", "Data", hidden=True),
        Field("row_name", "Data", hidden=True),
        Field("module", "Data", hidden=True),
    ],
)

CUSTOMIZE_DOCTYPES = [DOCFIELD, DOCPERM, DOCTYPE, CUSTOM_FIELD, PROPERTY_SETTER]
