"""Doctype metadata: a doctype is a declaration (fields, naming, permissions), nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIELD_TYPES = ("Data", "Text", "Select", "Int", "Float", "Currency", "Date", "Datetime", "Check", "Link", "Table",
               "Code", "Password")
STANDARD_FIELDS = ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx")
CHILD_FIELDS = ("parent", "parenttype", "parentfield")
PTYPES = ("read", "write", "create", "delete", "submit", "cancel")
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

    def __post_init__(self) -> None:
        if self.fieldtype not in FIELD_TYPES:
            raise ValueError(f"Unknown fieldtype {self.fieldtype!r} for {self.fieldname}")
        if not self.label:
            object.__setattr__(self, "label", self.fieldname.replace("_", " ").title())

    @property
    def select_options(self) -> list[str]:
        return [o for o in (self.options or "").split("\n") if o != ""] if self.fieldtype == "Select" else []

    @property
    def is_table(self) -> bool:
        return self.fieldtype == "Table"


@dataclass(frozen=True)
class Perm:
    role: str
    read: bool = True
    write: bool = False
    create: bool = False
    delete: bool = False
    submit: bool = False
    cancel: bool = False


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
    naming: str = "hash"  # "hash" | "field:<fieldname>" | "prompt" | a series like "TASK-.#####"
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
        return [f for f in self.fields if not f.is_table]

    @property
    def table_fields(self) -> list[Field]:
        return [f for f in self.fields if f.is_table]

    @property
    def column_names(self) -> list[str]:
        extra = list(CHILD_FIELDS) if self.istable else []
        return [*STANDARD_FIELDS, *extra, *(f.fieldname for f in self.data_fields)]

    @property
    def list_view_fields(self) -> list[Field]:
        chosen = [f for f in self.fields if f.in_list_view]
        return chosen or self.data_fields[:3]

    @property
    def title_of(self) -> str:
        return self.title_field or "name"
