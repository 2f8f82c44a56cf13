"""Doctype metadata: a doctype is a declaration (fields, naming, permissions), nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every fieldtype, by how its value is stored ("kind"): the column type (webapp/doctypes/registry.py),
# how values are coerced (webapp/documents/coerce.py), and which kinds may turn into which when a
# field's type changes (webapp/services/schema.py).
FIELD_KINDS: dict[str, str] = {
    "Data": "varchar", "Link": "varchar", "Dynamic Link": "varchar", "Select": "varchar", "Read Only": "varchar",
    "Color": "varchar", "Phone": "varchar", "Password": "varchar",
    "Small Text": "text", "Text": "text", "Long Text": "text", "Text Editor": "text", "Code": "text",
    "Int": "int", "Check": "int",
    "Float": "float", "Percent": "float", "Rating": "float", "Duration": "float",
    "Currency": "currency",
    "Date": "date", "Datetime": "datetime", "Time": "time",
    "Table": "table", "Table MultiSelect": "table",
    # Layout only: no column and no value; the desk uses them to lay the form out.
    "Section Break": "layout", "Column Break": "layout", "Tab Break": "layout",
}
FIELD_TYPES = tuple(FIELD_KINDS)
LAYOUT_TYPES = tuple(t for t, k in FIELD_KINDS.items() if k == "layout")
TABLE_TYPES = ("Table", "Table MultiSelect")
NUMERIC_TYPES = tuple(t for t, k in FIELD_KINDS.items() if k in ("int", "float", "currency"))
LONG_TEXT_TYPES = tuple(t for t, k in FIELD_KINDS.items() if k == "text")
# Frappe's fieldtypes that need something this app does not have yet, and what to say.
UNSUPPORTED_TYPES: dict[str, str] = {
    "Attach": "files cannot be uploaded here yet; use a Data field with options URL for a link to the file",
    "Attach Image": "files cannot be uploaded here yet; use a Data field with options URL for a link to the image",
}
DATA_OPTIONS = ("Email", "URL", "Phone", "Name")  # what a Data field's options may say (Frappe's validators)
STANDARD_FIELDS = ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx")
CHILD_FIELDS = ("parent", "parenttype", "parentfield")
PTYPES = ("read", "write", "create", "delete", "submit", "cancel")
DEFAULT_LENGTH = 140  # a varchar column's length unless the field says otherwise (Frappe's)
ALL = "All"  # every logged-in user, as in Frappe


@dataclass(frozen=True)
class Field:
    fieldname: str
    fieldtype: str
    label: str = ""
    options: str | None = None  # Select: "A\nB"; Link: target doctype; Table: child doctype
    reqd: bool = False
    unique: bool = False
    default: Any = None
    read_only: bool = False
    hidden: bool = False
    in_list_view: bool = False
    in_standard_filter: bool = False
    search_index: bool = False
    allow_on_submit: bool = False
    description: str = ""
    depends_on: str | None = None  # "eval:doc.script_type=='API'" style, used by the desk only
    fetch_from: str | None = None  # "link_field.source_field": copied from the linked document on save
    fetch_if_empty: bool = False  # fetch_from only fills the field while it is empty
    length: int = 0  # varchar kinds: the column's length (0: DEFAULT_LENGTH)
    precision: int | None = None  # Float, Currency, Percent: digits kept after the point

    def __post_init__(self) -> None:
        if self.fieldtype not in FIELD_TYPES:
            raise ValueError(f"Unknown fieldtype {self.fieldtype!r} for {self.fieldname}")
        if not self.label and self.fieldtype not in LAYOUT_TYPES:
            object.__setattr__(self, "label", self.fieldname.replace("_", " ").title())

    @property
    def kind(self) -> str:
        """How the value is stored: varchar, text, int, float, currency, date, datetime, time, table, layout."""
        return FIELD_KINDS[self.fieldtype]

    @property
    def max_length(self) -> int | None:
        """The most characters a value may have (varchar kinds), else None."""
        return (self.length or DEFAULT_LENGTH) if self.kind == "varchar" else None

    @property
    def has_column(self) -> bool:
        return self.kind not in ("table", "layout")

    @property
    def is_layout(self) -> bool:
        return self.kind == "layout"

    @property
    def select_options(self) -> list[str]:
        return [o for o in (self.options or "").split("\n") if o != ""] if self.fieldtype == "Select" else []

    @property
    def is_table(self) -> bool:
        return self.kind == "table"


@dataclass(frozen=True)
class Perm:
    role: str
    read: bool = True
    write: bool = False
    create: bool = False
    delete: bool = False
    submit: bool = False
    cancel: bool = False
    if_owner: bool = False  # the row applies only to documents the user owns (Frappe's "Only If Creator")


@dataclass(frozen=True)
class Index:
    """An index of a doctype's table: `fields` in order; with `where` (SQL from a declaration, never
    from users), only the rows it holds for, so the other rows cost nothing to insert. A query uses
    a partial index when its WHERE contains that same condition, written the same way."""

    fields: tuple[str, ...]
    where: str | None = None
    suffix: str = ""  # tells apart two indexes on the same fields

    def name(self, table_name: str) -> str:
        return f"ix_{table_name}_{'_'.join(self.fields)}{'_' + self.suffix if self.suffix else ''}"


@dataclass
class DocType:
    name: str
    fields: list[Field]
    # Frappe's autoname: "hash", "autoincrement", "field:<fieldname>", "naming_series:",
    # "format:PRE-{YYYY}-{#####}", "prompt", or a series such as "TASK-.#####" (documents/naming.py).
    naming: str = "hash"
    permissions: list[Perm] = field(default_factory=list)
    is_submittable: bool = False
    istable: bool = False
    title_field: str | None = None
    sort_field: str = "modified"
    sort_order: str = "desc"
    description: str = ""
    # Managed elsewhere (User): documents service reads only, the desk shows no create/edit.
    read_only: bool = False
    module: str = "Desk"
    # False: Server Scripts cannot reach its rows at all (documents, frappe.db.*, frappe.db.sql);
    # only a Script API function of its own writes it (Email Queue: frappe.sendmail), which the
    # hint names in the refusal.
    script_access: bool = True
    script_access_hint: str = ""
    # False: no Server Script can be attached to its events (the scripts and their log themselves).
    script_events: bool = True
    # False: its rows change only through the full lifecycle, where its controller's rules are
    # (db_set and frappe.db.set_value save it properly instead of writing the row).
    direct_writes: bool = True
    issingle: bool = False  # one record, its values in tabSingles (Frappe's Singles)
    custom: bool = False  # defined by a user (a DocType row), not declared in code
    track_changes: bool = False
    search_fields: str = ""  # "field1, field2": also matched by the awesomebar and link suggestions
    # False: Custom Fields and Property Setters cannot change it (its rows are managed elsewhere,
    # or it is part of the customization machinery itself).
    customizable: bool = True
    # Frappe's allow_rename: documents may be renamed (links to them follow).
    allow_rename: bool = False
    # Indexes beyond the fields' own, as Frappe's `frappe.db.add_index(doctype, fields)` in
    # `on_doctype_update`: on several columns, or partial (only the rows a condition holds for).
    indexes: tuple[Index, ...] = ()

    def __post_init__(self) -> None:
        # Immutable contents: scripts can read a document's meta, and RestrictedPython does not
        # guard method calls such as list.append, so nothing reachable may be a shared mutable list.
        self.fields = tuple(self.fields)  # type: ignore[assignment]
        self.permissions = tuple(self.permissions)  # type: ignore[assignment]
        self._by_name = {f.fieldname: f for f in self.fields}

    @property
    def table_name(self) -> str:
        return f"tab{self.name}"

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "-")

    def get_field(self, fieldname: str) -> Field | None:
        return self._by_name.get(fieldname)

    def has_field(self, fieldname: str) -> bool:
        return fieldname in self._by_name or fieldname in STANDARD_FIELDS or (
            self.istable and fieldname in CHILD_FIELDS
        )

    @property
    def data_fields(self) -> list[Field]:
        """The fields with a column (not child tables, not layout breaks)."""
        return [f for f in self.fields if f.has_column]

    @property
    def value_fields(self) -> list[Field]:
        """The fields that hold a value: columns and child tables (not layout breaks)."""
        return [f for f in self.fields if not f.is_layout]

    @property
    def table_fields(self) -> list[Field]:
        return [f for f in self.fields if f.is_table]

    @property
    def column_names(self) -> list[str]:
        extra = list(CHILD_FIELDS) if self.istable else []
        return [*STANDARD_FIELDS, *extra, *(f.fieldname for f in self.data_fields)]

    @property
    def list_view_fields(self) -> list[Field]:
        chosen = [f for f in self.data_fields if f.in_list_view]
        return chosen or self.data_fields[:3]

    @property
    def title_of(self) -> str:
        return self.title_field or "name"

    @property
    def search_field_names(self) -> list[str]:
        return [n.strip() for n in self.search_fields.split(",") if n.strip() and self.get_field(n.strip())]
