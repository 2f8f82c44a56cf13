"""Doctype metadata from rows: a `DocType` row with its `DocField` and `DocPerm` rows makes the same
`DocType` object a declaration in code makes, and `Custom Field` and `Property Setter` rows change
any doctype. Also the rules every name and field must keep. Pure: plain dicts in, metadata out.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from webapp.doctypes.meta import (
    CHILD_FIELDS,
    DATA_OPTIONS,
    FIELD_KINDS,
    FIELD_TYPES,
    STANDARD_FIELDS,
    TABLE_TYPES,
    UNSUPPORTED_TYPES,
    DocType,
    Field,
    Perm,
)
from webapp.errors import ValidationError

log = logging.getLogger(__name__)

MAX_DOCTYPE_NAME = 60  # "tab" + the name must fit PostgreSQL's 63-byte identifiers
MAX_FIELDNAME = 63
MAX_COLUMNS = 1000  # fields with a column, per doctype (PostgreSQL stops at 1600 columns, SQLite at 2000)
DOCTYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\- ]*$")
FIELDNAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Names a field cannot take: the standard columns, and what a document already answers to (its
# methods and properties: `doc.save` must stay the method).
RESERVED_FIELDNAMES = frozenset({
    *STANDARD_FIELDS, *CHILD_FIELDS, "doctype", "meta", "flags", "get", "set", "append", "as_dict", "is_new",
    "get_doc_before_save", "has_value_changed", "save", "insert", "submit", "cancel", "delete", "reload", "db_set",
    "run_method", "update", "get_title", "check_permission", "is_submittable",
})
AUTONAME_WORDS = ("hash", "autoincrement", "prompt", "uuid", "naming_series:")
_FIELD_BOOLS = ("reqd", "unique", "read_only", "hidden", "in_list_view", "in_standard_filter", "search_index",
                "allow_on_submit", "fetch_if_empty")
_PERM_BOOLS = ("read", "write", "create", "delete", "submit", "cancel", "if_owner")


def flag(value: Any) -> bool:
    """Frappe's 0/1 (also "1", True, None)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no")
    return bool(value)


def to_int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip()) if value not in (None, "") else default
    except ValueError:
        return default


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def normalize_autoname(value: Any) -> str:
    """Frappe's autoname as this app's naming rule ("Prompt" -> "prompt", "" -> "hash")."""
    text = _text(value).strip()
    if not text:
        return "hash"
    lower = text.lower()
    if lower in ("hash", "autoincrement", "prompt", "uuid"):
        return lower
    if lower.startswith("naming_series:"):
        return "naming_series:"
    return text


# -- rows -> metadata -----------------------------------------------------------------------------
def field_from_row(row: Mapping[str, Any]) -> Field:
    values: dict[str, Any] = {name: flag(row.get(name)) for name in _FIELD_BOOLS}
    fieldtype = _text(row.get("fieldtype")) or "Data"
    precision = _text(row.get("precision")).strip()
    default = row.get("default")
    return Field(
        _text(row.get("fieldname")), fieldtype, label=_text(row.get("label")).strip(),
        options=_text(row.get("options")) or None, default=None if default in (None, "") else default,
        description=_text(row.get("description")), depends_on=_text(row.get("depends_on")) or None,
        fetch_from=_text(row.get("fetch_from")).strip() or None, length=max(0, to_int(row.get("length"))),
        precision=int(precision) if precision.isdigit() else None, **values,
    )


def perm_from_row(row: Mapping[str, Any]) -> Perm | None:
    """A permission row; None for a field-level row (permlevel > 0), which grants nothing here."""
    if to_int(row.get("permlevel")) > 0:
        return None
    return Perm(_text(row.get("role")).strip(), **{name: flag(row.get(name)) for name in _PERM_BOOLS})


def doctype_from_rows(row: Mapping[str, Any], fields: Iterable[Mapping[str, Any]],
                      perms: Iterable[Mapping[str, Any]]) -> DocType:
    built = [field_from_row(f) for f in fields]
    names = {f.fieldname for f in built}
    title = _text(row.get("title_field")).strip()
    sort_field = _text(row.get("sort_field")).strip() or "modified"
    if sort_field not in names and sort_field not in STANDARD_FIELDS:
        sort_field = "modified"
    return DocType(
        _text(row.get("name")), built, naming=normalize_autoname(row.get("autoname")),
        permissions=[p for p in (perm_from_row(r) for r in perms) if p is not None],
        is_submittable=flag(row.get("is_submittable")), istable=flag(row.get("istable")),
        issingle=flag(row.get("issingle")), title_field=title if title in names else None,
        sort_field=sort_field, sort_order="asc" if _text(row.get("sort_order")).lower() == "asc" else "desc",
        description=_text(row.get("description")), module=_text(row.get("module")) or "Custom", custom=True,
        track_changes=flag(row.get("track_changes")), search_fields=_text(row.get("search_fields")),
        allow_rename=flag(row.get("allow_rename")),
    )


def _insert_custom_fields(fields: list[Field], custom: list[tuple[Field, str]]) -> list[Field]:
    """Place each custom field after its `insert_after` field (chains too); the rest at the end."""
    out = list(fields)
    pending = list(custom)
    while pending:
        placed = False
        for item in list(pending):
            f, after = item
            at = next((i for i, x in enumerate(out) if x.fieldname == after), None) if after else None
            if at is not None:
                out.insert(at + 1, f)
                pending.remove(item)
                placed = True
        if not placed:
            break
    return out + [f for f, _ in pending]


def _property_value(current: Any, prop: str, value: Any) -> Any:
    if prop in ("precision",):
        text = _text(value).strip()
        return int(text) if text.isdigit() else None
    if prop == "length":
        return max(0, to_int(value))
    if isinstance(current, bool) or prop in _FIELD_BOOLS or prop == "track_changes":
        return flag(value)
    if prop == "sort_order":
        return "asc" if _text(value).lower() == "asc" else "desc"
    if prop in ("options", "depends_on", "fetch_from", "title_field"):
        return _text(value) or None
    if prop == "default":
        return None if value in (None, "") else value
    return _text(value)


def customize(meta: DocType, custom_fields: Iterable[Mapping[str, Any]],
              property_setters: Iterable[Mapping[str, Any]]) -> DocType:
    """`meta` with its Custom Fields placed and its Property Setters applied (a new object)."""
    fields = list(meta.fields)
    have = {f.fieldname for f in fields}
    extra: list[tuple[Field, str]] = []
    for row in custom_fields:
        try:
            f = field_from_row(row)
        except ValueError as exc:
            log.warning("Custom Field %s is left out: %s", row.get("name"), exc)
            continue
        if f.fieldname in have:
            log.warning("Custom Field %s is left out: %s already has %s", row.get("name"), meta.name, f.fieldname)
            continue
        have.add(f.fieldname)
        extra.append((f, _text(row.get("insert_after")).strip()))
    fields = _insert_custom_fields(fields, extra)
    doc_changes: dict[str, Any] = {}
    order: list[str] | None = None
    for row in property_setters:
        prop = _text(row.get("property")).strip()
        value = row.get("value")
        if _text(row.get("doctype_or_field")) == "DocType" or not _text(row.get("field_name")).strip():
            if prop == "field_order":
                try:
                    order = [str(n) for n in json.loads(_text(value) or "[]")]
                except (ValueError, TypeError):
                    order = None
            elif prop in ("title_field", "search_fields", "sort_field", "sort_order", "description",
                          "track_changes"):
                doc_changes[prop] = _property_value(getattr(meta, prop), prop, value)
            continue
        name = _text(row.get("field_name")).strip()
        at = next((i for i, f in enumerate(fields) if f.fieldname == name), None)
        if at is None or prop not in {f.name for f in dataclasses.fields(Field)} or prop in ("fieldname", "fieldtype"):
            continue
        try:
            fields[at] = dataclasses.replace(fields[at], **{prop: _property_value(getattr(fields[at], prop), prop,
                                                                                   value)})
        except (TypeError, ValueError) as exc:
            log.warning("Property Setter %s is left out: %s", row.get("name"), exc)
    if order:
        rank = {name: i for i, name in enumerate(order)}
        fields = sorted(fields, key=lambda f: (rank.get(f.fieldname, len(rank)),))  # stable: others keep their order
    names = {f.fieldname for f in fields}
    if doc_changes.get("title_field") not in (None, *names):
        doc_changes.pop("title_field")
    if doc_changes.get("sort_field") not in (None, *names, *STANDARD_FIELDS):
        doc_changes.pop("sort_field")
    if not extra and not doc_changes and order is None and fields == list(meta.fields):
        return meta
    return dataclasses.replace(meta, fields=fields, **doc_changes)


# -- the rules names and fields keep --------------------------------------------------------------
def check_doctype_name(name: Any) -> str:
    text = _text(name)
    if not text.strip():
        raise ValidationError("A DocType needs a name").for_fields("name")
    if text != text.strip() or "  " in text:
        raise ValidationError(f"DocType name {text!r}: no spaces at the start or end, and single spaces between "
                              "words").for_fields("name")
    if len(text.encode()) > MAX_DOCTYPE_NAME:
        raise ValidationError(f"DocType name {text!r} is {len(text)} characters long; at most "
                              f"{MAX_DOCTYPE_NAME} are allowed (it names the table tab<Name>)").for_fields("name")
    if not DOCTYPE_NAME.match(text):
        raise ValidationError(f"DocType name {text!r} may contain only letters, digits, spaces, '_' and '-', and "
                              "must start with a letter").for_fields("name")
    return text


def check_fieldname(fieldname: Any, where: str) -> str:
    text = _text(fieldname)
    if not FIELDNAME.match(text):
        raise ValidationError(f"{where}: fieldname {text!r} may contain only lower case letters, digits and '_', "
                              "and must start with a letter").for_fields("fieldname")
    if len(text) > MAX_FIELDNAME:
        raise ValidationError(f"{where}: fieldname {text!r} is {len(text)} characters long; at most "
                              f"{MAX_FIELDNAME} are allowed").for_fields("fieldname")
    if text in RESERVED_FIELDNAMES:
        raise ValidationError(f"{where}: fieldname {text!r} is reserved (a standard column or a document method); "
                              "choose another").for_fields("fieldname")
    return text


def scrub(label: Any) -> str:
    """A fieldname made of a label, as Frappe makes it ("Due Date" -> "due_date")."""
    text = re.sub(r"[^a-z0-9_]+", "_", _text(label).strip().lower()).strip("_")
    if text and not text[0].isalpha():
        text = f"field_{text}"
    return text[:MAX_FIELDNAME]


def check_fieldtype(fieldtype: Any, where: str) -> str:
    text = _text(fieldtype)
    if text in UNSUPPORTED_TYPES:
        raise ValidationError(f"{where}: {text} fields are not supported yet: {UNSUPPORTED_TYPES[text]}") \
            .for_fields("fieldtype")
    if text not in FIELD_KINDS:
        raise ValidationError(f"{where}: unknown fieldtype {text!r}; use one of: {', '.join(FIELD_TYPES)}") \
            .for_fields("fieldtype")
    return text


def check_field(f: Field, owner: str, lookup: Callable[[str], DocType | None], own_fields: Mapping[str, Field],
                creating: str | None = None, ignore_links: bool = False) -> None:
    """The rules one field keeps: options that name what exists, sensible lengths and precision.
    `creating`: the name of the doctype being created (a Link to itself is allowed); `ignore_links`:
    a Link may name a doctype that does not exist yet (an import)."""
    where = f"{owner}, field {f.fieldname!r}"
    opts = (f.options or "").strip()
    if f.fieldtype == "Select" and not [o for o in (f.options or "").split("\n") if o.strip()]:
        raise ValidationError(f"{where}: a Select field needs its choices in Options, one per line") \
            .for_fields("options")
    if f.fieldtype == "Link":
        if not opts:
            raise ValidationError(f"{where}: a Link field needs the doctype it links to in Options") \
                .for_fields("options")
        target = lookup(opts)
        if target is None and opts != creating and not ignore_links:
            raise ValidationError(f"{where}: Options names DocType {opts!r}, which does not exist") \
                .for_fields("options")
        if target is not None and target.istable:
            raise ValidationError(f"{where}: {opts} is a child table; a Link needs a doctype of its own") \
                .for_fields("options")
    if f.fieldtype == "Dynamic Link":
        source = own_fields.get(opts)
        if source is None or source.fieldtype != "Link" or (source.options or "") != "DocType":
            raise ValidationError(f"{where}: a Dynamic Link's Options names a Link field (to DocType) of the same "
                                  "doctype, which holds the doctype of the linked document").for_fields("options")
    if f.fieldtype in TABLE_TYPES:
        child = lookup(opts) if opts else None
        if child is None or not child.istable:
            raise ValidationError(f"{where}: a {f.fieldtype} field needs a child table doctype (Is Child Table) in "
                                  f"Options{'; ' + repr(opts) + ' is not one' if opts else ''}").for_fields("options")
        if not child.customizable:
            # Its rows mean something to the app itself (a user's roles, a doctype's fields): rows
            # written through another doctype would be read as theirs.
            raise ValidationError(f"{where}: {child.name} belongs to the app and cannot be the table of another "
                                  "doctype; define a child table of your own").for_fields("options")
        if f.fieldtype == "Table MultiSelect" and not any(c.fieldtype == "Link" for c in child.fields):
            raise ValidationError(f"{where}: the child table of a Table MultiSelect needs a Link field") \
                .for_fields("options")
    if f.fieldtype == "Data" and opts and opts not in DATA_OPTIONS:
        raise ValidationError(f"{where}: a Data field's Options may be {', '.join(DATA_OPTIONS)}") \
            .for_fields("options")
    if f.length and (f.kind != "varchar" or not 1 <= f.length <= 1000):
        raise ValidationError(f"{where}: Length applies to Data-like fields and must be between 1 and 1000") \
            .for_fields("length")
    if f.precision is not None and f.kind not in ("float", "currency"):
        raise ValidationError(f"{where}: Precision applies to Float, Currency and Percent fields") \
            .for_fields("precision")
    if f.unique and (not f.has_column or f.kind == "text"):
        raise ValidationError(f"{where}: only a field with a short value (not a {f.fieldtype}) can be Unique") \
            .for_fields("unique")
    if f.fetch_from:
        link, _, source = f.fetch_from.partition(".")
        holder = own_fields.get(link)
        if not source or holder is None or holder.fieldtype != "Link":
            raise ValidationError(f"{where}: Fetch From is link_field.fieldname, where link_field is a Link field of "
                                  "this doctype").for_fields("fetch_from")
        target = lookup(holder.options or "")
        if target is not None and source not in STANDARD_FIELDS and target.get_field(source) is None:
            raise ValidationError(f"{where}: Fetch From: {holder.options} has no field {source!r}") \
                .for_fields("fetch_from")


def check_column_count(meta: DocType) -> None:
    if len(meta.data_fields) > MAX_COLUMNS:
        raise ValidationError(f"{meta.name} would have {len(meta.data_fields)} fields with a value; at most "
                              f"{MAX_COLUMNS} are allowed (split it, e.g. into a child table)").for_fields("fields")


def check_autoname(naming: str, fields: Mapping[str, Field], owner: str) -> None:
    bad = ValidationError(f"{owner}: Auto Name {naming!r} is not a naming rule. Use hash, autoincrement, "
                          "field:<fieldname>, naming_series:, format:PRE-{YYYY}-{#####}, prompt, or a series such as "
                          "PRE-.#####").for_fields("autoname")
    if naming in AUTONAME_WORDS:
        if naming == "naming_series:":
            f = fields.get("naming_series")
            if f is None or f.fieldtype != "Select" or not f.options:
                raise ValidationError(f"{owner}: naming_series: needs a Select field named naming_series with the "
                                      "series as its options (e.g. INV-.YYYY.-.#####)").for_fields("autoname")
        return
    if naming.startswith("field:"):
        target = naming.split(":", 1)[1].strip()
        if target not in fields or not fields[target].has_column:
            raise ValidationError(f"{owner}: Auto Name {naming!r} names no field of this doctype") \
                .for_fields("autoname")
        return
    if naming.startswith("format:"):
        pattern = naming.split(":", 1)[1]
        parts = re.findall(r"\{([^{}]*)\}", pattern)
        if re.sub(r"\{[^{}]*\}", "", pattern).count("{") or re.sub(r"\{[^{}]*\}", "", pattern).count("}"):
            raise ValidationError(f"{owner}: Auto Name {naming!r} has an unclosed brace").for_fields("autoname")
        for part in parts:
            if set(part) == {"#"} or part in ("YYYY", "YY", "MM", "DD", "MON", "WW"):
                continue
            if part not in fields:
                raise ValidationError(f"{owner}: Auto Name {naming!r}: {{{part}}} is neither a field nor one of "
                                      "YYYY YY MM DD MON WW #####").for_fields("autoname")
        if not any(set(p) == {"#"} for p in parts) and not any(p in fields for p in parts):
            raise ValidationError(f"{owner}: Auto Name {naming!r} would give every document the same name; add "
                                  "{#####} or a {fieldname}").for_fields("autoname")
        return
    if "#" in naming and "." in naming:
        return
    raise bad
