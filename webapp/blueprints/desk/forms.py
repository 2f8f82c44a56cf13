"""Desk form input: which fields a form may change, posted fields and child rows -> a values dict, and
the reverse (stored values -> the strings the widgets show). Pure functions of metadata and input."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from webapp.doctypes.meta import DocType, Field
from webapp.doctypes.registry import child_meta
from webapp.runtime.server_script import reference_doctype_options
from webapp.services.settings import format_date, format_datetime, format_duration, parse_date, parse_datetime

_ROW_KEY = re.compile(r"^(?P<table>[a-z0-9_]+)-(?P<idx>\d+)-(?P<field>[a-z0-9_]+)$")
_ROW_IN_MESSAGE = re.compile(r"in row (?P<idx>\d+) of (?P<table>[a-z0-9_]+)")
MAX_ROWS = 500


def is_editable(f: Field, meta: DocType, docstatus: int, can_write: bool) -> bool:
    """Can this form change the field? Drafts: every field not read-only; submitted: allow_on_submit."""
    if not can_write or f.hidden or f.read_only or meta.read_only or f.is_layout or f.fieldtype == "Read Only":
        return False
    if docstatus == 0:
        return True
    return docstatus == 1 and f.allow_on_submit


def editable_fields(meta: DocType, docstatus: int, can_write: bool) -> list[Field]:
    return [f for f in meta.fields if is_editable(f, meta, docstatus, can_write)]


@dataclass
class Section:
    """Fields between two Section Breaks, in columns (a Column Break starts the next one)."""

    field: Field | None  # the Section Break (None: the start of the form or of a tab)
    columns: list[list[Field]]


@dataclass
class Tab:
    field: Field | None  # the Tab Break (None: the fields before the first one)
    sections: list[Section]

    @property
    def label(self) -> str:
        return self.field.label if self.field is not None and self.field.label else "Details"


def layout(fields: list[Field]) -> list[Tab]:
    """Frappe's form layout: Tab Breaks make tabs, Section Breaks sections, Column Breaks columns.
    Empty sections, columns and tabs are left out; a form without breaks is one section of one column."""
    tabs = [Tab(None, [Section(None, [[]])])]
    for f in fields:
        if f.fieldtype == "Tab Break":
            tabs.append(Tab(f, [Section(None, [[]])]))
        elif f.fieldtype == "Section Break":
            tabs[-1].sections.append(Section(f, [[]]))
        elif f.fieldtype == "Column Break":
            tabs[-1].sections[-1].columns.append([])
        else:
            tabs[-1].sections[-1].columns[-1].append(f)
    for tab in tabs:
        for section in tab.sections:
            section.columns = [c for c in section.columns if c]
        tab.sections = [s for s in tab.sections if s.columns]
    return [t for t in tabs if t.sections]


def _scalar(f: Field, raw: Any, present: bool) -> Any:
    if f.fieldtype == "Check":
        return 1 if present and str(raw) not in ("", "0", "false", "off") else 0
    if f.fieldtype in ("Date", "Datetime") and isinstance(raw, str) and raw.strip():
        return _iso(f, raw)
    return raw if raw is not None else ""


def _iso(f: Field, typed: str) -> str:
    """A date typed in the site's format, as the ISO text the documents service reads. Text that is
    not a date is passed on as typed: the service refuses it at its field, saying what works."""
    try:
        if f.fieldtype == "Date":
            return parse_date(typed).isoformat()
        return parse_datetime(typed).isoformat(" ")
    except ValueError:
        return typed


def parse_rows(f: Field, form: Mapping[str, Any], keep_blank: bool = False) -> list[dict[str, Any]]:
    """`expenses-0-expense_type` style inputs -> rows in index order; blank rows dropped unless kept."""
    cmeta = child_meta(f)
    editable = {c.fieldname: c for c in cmeta.fields if is_editable(c, cmeta, 0, True) and not c.is_table}
    indexes: set[int] = set()
    for key in form:
        m = _ROW_KEY.match(key)
        if m and m["table"] == f.fieldname and m["field"] in editable:
            indexes.add(int(m["idx"]))
    rows = []
    for i in sorted(indexes)[:MAX_ROWS]:
        row: dict[str, Any] = {}
        for name, cf in editable.items():
            key = f"{f.fieldname}-{i}-{name}"
            row[name] = _text_as_typed(cf, _scalar(cf, form.get(key), key in form))
        blank = all(v in ("", None, 0) for v in row.values())
        # The row's own name (a hidden input) keeps it the same row: it keeps its creation, and a
        # DocType can tell a field changed from a field removed and another added.
        if form.get(f"{f.fieldname}-{i}-name"):
            row["name"] = str(form[f"{f.fieldname}-{i}-name"])
        if keep_blank or not blank:
            rows.append(row)
    return rows


def _text_as_typed(f: Field, value: Any) -> Any:
    """A browser posts a textarea's line breaks as CRLF: store them as typed."""
    return value.replace("\r\n", "\n") if f.kind == "text" and isinstance(value, str) else value


def parse_form(meta: DocType, form: Mapping[str, Any], docstatus: int, can_write: bool, is_new: bool,
               keep_blank_rows: bool = False) -> dict[str, Any]:
    """The posted form -> values for the documents service (only fields this form may change)."""
    values: dict[str, Any] = {}
    if is_new and meta.naming == "prompt":
        values["name"] = str(form.get("__name", "")).strip()
    for f in editable_fields(meta, docstatus, can_write):
        if f.is_table:
            values[f.fieldname] = parse_rows(f, form, keep_blank=keep_blank_rows)
        elif f.fieldtype == "Password":
            if form.get(f.fieldname):
                values[f.fieldname] = form.get(f.fieldname)
        else:
            values[f.fieldname] = _text_as_typed(f, _scalar(f, form.get(f.fieldname), f.fieldname in form))
    if not is_new and form.get("modified"):
        values["modified"] = form["modified"]
    return values


def apply_row_action(values: dict[str, Any], action: str) -> None:
    """No-JS row buttons: "add:expenses", "remove:expenses:2", "up:expenses:2", "down:expenses:2"."""
    parts = action.split(":")
    rows = values.get(parts[1]) if len(parts) > 1 else None
    if not isinstance(rows, list):
        return
    verb = parts[0]
    if verb == "add":
        rows.append({})
        return
    try:
        i = int(parts[2])
    except (IndexError, ValueError):
        return
    if not 0 <= i < len(rows):
        return
    if verb == "remove":
        rows.pop(i)
    elif verb == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif verb == "down" and i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]


def field_errors(meta: DocType, exc: Exception) -> dict[str, str]:
    """Map an error's `.fields` to input keys: "status", or "expenses-1-amount" for a child row cell
    (the row comes from the message, "... in row 2 of expenses"); a child field without a row marks
    the table."""
    message = getattr(exc, "message", str(exc))
    names = getattr(exc, "fields", ()) or ()
    out: dict[str, str] = {}
    if not names and meta.naming == "prompt" and "a name is required" in message:
        names = ("name",)
    if not names and type(exc).__name__ == "DuplicateEntryError":
        # The name is taken: point at what the name is made of (a field, or the Name input).
        naming = meta.naming
        names = (naming.split(":", 1)[1],) if naming.startswith("field:") else ("name",) if naming == "prompt" else ()
    row = _ROW_IN_MESSAGE.search(message)
    for name in names:
        if meta.get_field(name) is not None or name == "name":
            out[name] = message
            continue
        for tf in meta.table_fields:
            if child_meta(tf).get_field(name) is None:
                continue
            if row and row["table"] == tf.fieldname:
                out[f"{tf.fieldname}-{int(row['idx']) - 1}-{name}"] = message  # shown in its cell only
            else:
                out.setdefault(tf.fieldname, message)
    return out


def error_banner(meta: DocType, errors: dict[str, str], message: str | None) -> str | None:
    """The banner above a form that did not save. An error shown at its field (or at its line in the
    editor) gets a short pointer here instead of the whole message a second time."""
    if not message or not errors:
        return message
    key = next(iter(errors))
    fieldname = key.split("-", 1)[0]
    f = meta.get_field(fieldname)
    label = f.label if f is not None else "Name"
    if f is not None and f.fieldtype == "Code":
        marks = [m for m in code_errors(errors[key]) if isinstance(m, dict)]
        where = f" on line {marks[0]['line']}" if marks else ""
        return f"Not saved: {label} has an error{where}, marked in the editor."
    return f"Not saved: check {label}, marked below."


# Data fields the desk offers as a select of choices worked out when the form is shown (they can
# change while the app runs: doctypes defined by users appear without a restart).
CHOICES: dict[tuple[str, str], Callable[[], list[str]]] = {
    ("Server Script", "reference_doctype"): reference_doctype_options,
}


def field_choices(meta: DocType, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """{fieldname: choices} for this form; a stored value that is no longer a choice stays offered
    (so opening and saving the form never changes it silently)."""
    out: dict[str, list[str]] = {}
    for (doctype, fieldname), source in CHOICES.items():
        if doctype != meta.name:
            continue
        options = source()
        current = values.get(fieldname)
        out[fieldname] = [current, *options] if current and current not in options else options
    return out


_LINE = re.compile(r"\bline (\d+)", re.IGNORECASE)


def code_errors(message: str | None) -> list:
    """An error message as the code editor's `data-errors` (a marker at the line it names)."""
    if not message:
        return []
    m = _LINE.search(message)
    if not m:
        return [message]
    line = int(m.group(1))
    prefix = f"Line {line}: "  # the editor writes "Line N:" itself
    return [{"line": line, "message": message[len(prefix):] if message.startswith(prefix) else message}]


# -- display ---------------------------------------------------------------------------------------
def input_value(f: Field, value: Any) -> str:
    """The string a widget shows for a stored (or posted) value."""
    if value is None:
        return ""
    if f.fieldtype == "Date":
        return format_date(value)
    if f.fieldtype == "Datetime":
        return format_datetime(value)
    if f.kind in ("float", "currency") and isinstance(value, (int, float)):
        text = f"{value:.9f}".rstrip("0").rstrip(".")
        if f.fieldtype == "Currency" and len(text.partition(".")[2]) <= 2:
            return f"{value:.2f}"
        return text
    if f.fieldtype == "Time" and isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    return str(value)


def is_duration(f: Field | None) -> bool:
    """A Float field named `*_ms` holds milliseconds (the execution log's duration_ms)."""
    return f is not None and f.fieldtype == "Float" and f.fieldname.endswith("_ms")


def display_value(f: Field | None, value: Any) -> str:
    """A value as text in lists, read-only fields and print: Yes/No, money with two decimals, dates and
    times in the site's format (System settings), durations in ms."""
    if value is None or value == "":
        return ""
    if f is None:
        if isinstance(value, (dt.datetime, dt.date)):
            return format_datetime(value)
        return str(value)
    if f.fieldtype == "Check":
        return "Yes" if value else "No"
    if f.fieldtype == "Currency":
        try:
            return f"{float(value):,.2f}"
        except (TypeError, ValueError):
            return str(value)
    if is_duration(f):
        return format_duration(value)
    if f.kind == "float":
        try:
            text = f"{float(value):,.6f}".rstrip("0").rstrip(".")
        except (TypeError, ValueError):
            return str(value)
        return {"Percent": f"{text}%", "Duration": f"{text} s"}.get(f.fieldtype, text)
    if f.fieldtype == "Time" and isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if f.fieldtype == "Datetime":
        return format_datetime(value)
    if f.fieldtype == "Date":
        return format_date(value)
    if f.fieldtype == "Password":
        return "••••••"
    return str(value)
