"""The documents service: ONE lifecycle for insert, save, submit, cancel, update after submit,
delete and print, used by the desk, the REST API and scripts alike.

Each public operation runs inside `transaction()`: permission check, Before hooks, field
validation, write, After hooks; any error rolls the whole operation back. Events fire in Frappe's
order (docs/architecture.md, "Document events") through `documents.events.fire`: the doctype's
controller, then the app's listeners (Server Scripts), as wired in `create_app()`.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import sqlalchemy as sa

from webapp import hooks, sandbox
from webapp.doctypes import registry
from webapp.doctypes.meta import DocType
from webapp.documents import query as q
from webapp.documents import store
from webapp.documents.coerce import coerce, default_value, to_datetime
from webapp.documents.document import AttrDict, Document
from webapp.documents.events import fire
from webapp.documents.naming import set_name
from webapp.errors import (
    DoesNotExistError,
    DuplicateEntryError,
    LinkValidationError,
    MandatoryError,
    PermissionError,
    TimestampMismatchError,
    ValidationError,
)
from webapp.extensions import db
from webapp.services import permissions, readonly_sql, run_context, script_settings
from webapp.services.context import acting_user, ensure_writable, transaction


def _now() -> dt.datetime:
    return dt.datetime.now()


def meta_of(doctype: str) -> DocType:
    meta = q.meta_or_404(doctype)
    if not meta.script_access:
        _refuse_scripts(meta)
    return meta


def _refuse_scripts(meta: DocType) -> None:
    """Doctypes kept from Server Scripts (every script door comes through here, frappe.call too)."""
    if run_context.current() is not None:
        hint = f": {meta.script_access_hint}" if meta.script_access_hint else ""
        raise PermissionError(f"Server Scripts cannot read or change {meta.name}{hint}")


# -- construction and reading ---------------------------------------------------------------------
def new_doc(doctype: str, values: dict[str, Any] | None = None) -> Document:
    meta = meta_of(doctype)
    doc = Document(meta)
    _apply_defaults(doc)
    if values:
        doc.update(values)
    return doc


def _apply_defaults(doc: Document) -> None:
    for f in doc.meta.data_fields:
        if doc._data.get(f.fieldname) is None and f.default is not None:
            doc._data[f.fieldname] = default_value(f)
    for f in doc.meta.table_fields:
        for row in doc._data.get(f.fieldname) or []:
            _apply_defaults(row)


def get_doc(doctype: str | dict, name: Any = None, *, check_permission: bool = True, for_update: bool = False,
            **kwargs: Any) -> Document:
    """get_doc("ToDo", "abc"), get_doc("ToDo", {"status": "Open"}) (first match), get_doc({...}) (new)."""
    if isinstance(doctype, dict):
        values = dict(doctype)
        dtname = values.pop("doctype", None)
        if not dtname:
            raise ValidationError("get_doc({...}) needs a 'doctype' key")
        return new_doc(dtname, values)
    meta = meta_of(doctype)
    if meta.istable:
        raise ValidationError(f"{meta.name} rows are read through their parent document")
    if meta.issingle:  # get_doc("Settings"), get_doc("Settings", "Settings"): its one record
        if name not in (None, "", meta.name) and not isinstance(name, dict):
            raise DoesNotExistError(f"{meta.name} is a Single: its one record is named {meta.name!r}, not {name!r}")
        name = meta.name
    if isinstance(name, dict):
        rows = get_list(doctype, fields=["name"], filters=name, limit_page_length=1, ignore_permissions=True)
        if not rows:
            raise DoesNotExistError(f"{meta.name} matching {name} not found")
        name = rows[0]["name"]
    if name is None or name == "":
        raise ValidationError(f"get_doc({meta.name!r}) needs a name")
    doc = Document(meta)
    doc._load(store.load(meta, str(name), for_update=for_update))
    if check_permission:
        permissions.check(meta.name, "read", doc)
    return doc


def exists(doctype: str, name_or_filters: Any) -> str | None:
    meta = meta_of(doctype)
    if isinstance(name_or_filters, dict):
        rows = get_list(doctype, fields=["name"], filters=name_or_filters, limit_page_length=1,
                        ignore_permissions=True)
        return rows[0]["name"] if rows else None
    return str(name_or_filters) if name_or_filters and store.exists(meta, str(name_or_filters)) else None


def get_list(doctype: str, fields: Any = None, filters: Any = None, or_filters: Any = None, order_by: Any = None,
             limit_start: Any = 0, limit_page_length: Any = 20, ignore_permissions: bool = False,
             as_list: bool = False, pluck: str | None = None, limit: Any = None, user: str | None = None,
             default_page_length: int = 20, run: bool = True) -> list | str:
    """Rows as _dicts (or tuples with as_list, or one field's values with pluck). `run=False`
    returns the query's SQL text instead of running it, as Frappe's does."""
    meta = meta_of(doctype)
    _refuse_single_list(meta)
    if meta.istable and not ignore_permissions:
        raise ValidationError(f"{meta.name} rows are listed through their parent document")
    if not ignore_permissions:
        permissions.check(meta.name, "read", user=user)
    t = registry.table(meta)
    if pluck:
        fields = [pluck]
    cols = q.select_columns(meta, t, fields)
    conds = q.where(meta, t, filters, or_filters)
    if not ignore_permissions:
        _only_own(meta, t, conds, user or acting_user())
    if limit is not None:
        limit_page_length = limit
    start, length = q.paging(limit_start, limit_page_length, default_page_length)
    # A lone count(*) has nothing to order (PostgreSQL refuses ORDER BY a column it does not group).
    counting = len(cols) == 1 and isinstance(getattr(cols[0], "element", None), sa.sql.functions.count)
    ordering = [] if counting else q.order(meta, t, order_by)
    guard = _restricted(meta, conds, None if ignore_permissions else (user or acting_user()))
    if not run:
        return store.select(meta, cols, conds, ordering, start, length, run=_sql_text)
    with guard as runner:
        rows = store.select(meta, cols, conds, ordering, start, length, runner)
    fieldtypes = {f.fieldname: f for f in meta.data_fields}
    out: list = []
    for row in rows:
        data = AttrDict()
        for key, value in row._mapping.items():
            f = fieldtypes.get(key)
            data[key] = float(value) if f is not None and f.fieldtype in ("Float", "Currency") and value is not None else value
        if pluck:
            out.append(data[pluck])
        elif as_list:
            out.append(tuple(data.values()))
        else:
            out.append(data)
    return out


def _refuse_single_list(meta: DocType) -> None:
    if meta.issingle:
        raise ValidationError(f"{meta.name} is a Single (one record, no list): read it with "
                              f"frappe.get_single({meta.name!r}) or GET /api/resource/{meta.name}/{meta.name}")


def _only_own(meta: DocType, t, conds: list, user: str) -> None:
    """A user who reads a doctype only through "Only If Creator" rows lists their own documents."""
    if permissions.owner_only(meta.name, "read", user):
        conds.append(t.c.owner == user)


def _sql_text(query: Any) -> str:
    return str(query.compile(dialect=db.session.get_bind().dialect, compile_kwargs={"literal_binds": True}))


def get_count(doctype: str, filters: Any = None, ignore_permissions: bool = False) -> int:
    meta = meta_of(doctype)
    _refuse_single_list(meta)
    if not ignore_permissions:
        permissions.check(meta.name, "read")
    t = registry.table(meta)
    conds = q.where(meta, t, filters)
    if not ignore_permissions:
        _only_own(meta, t, conds, acting_user())
    with _restricted(meta, conds, None if ignore_permissions else acting_user()) as run:
        return store.count(meta, conds, run)


def permission_conditions(doctype: str, user: str) -> list[tuple[str, str]]:
    """The Permission Query conditions on `doctype` for `user`: [(source, SQL text)]."""
    found: list[tuple[str, str]] = []
    for source in hooks.current().permission_queries:
        found.extend(source(doctype, user) or ())
    return found


def _restricted(meta: DocType, conds: list, user: str | None) -> AbstractContextManager:
    """Add `user`'s permission conditions to `conds` (None: no permission check) and give the
    runner for the query: the plain one, or with conditions, one that runs it under the same
    database guard as frappe.db.sql (the text is SQL: it must not be able to write)."""
    found = permission_conditions(meta.name, user) if user is not None else []
    if not found:
        return nullcontext(store.select_runner)
    dialect = db.session.get_bind().dialect.name
    conds.extend(q.sql_condition(text, dialect, source) for source, text in found)
    sources = ", ".join(dict.fromkeys(source for source, _ in found))
    return readonly_sql.guarded_reads(f"The list of {meta.name} filtered by {sources}", script_settings.read_budget(),
                                      sandbox.run_stopped)


def get_value(doctype: str, name_or_filters: Any, fieldname: Any = "name", as_dict: bool = False,
              ignore_permissions: bool = True) -> Any:
    meta = meta_of(doctype)
    fields = q.parse_json_arg(fieldname, "fields") if isinstance(fieldname, str) and fieldname.startswith("[") else fieldname
    many = isinstance(fields, (list, tuple))
    if meta.issingle:  # get_value("Settings", None, "field") / get_value("Settings", "Settings", ...)
        return _single_values(meta, list(fields) if many else [fields], many, as_dict, ignore_permissions)
    filters = name_or_filters if isinstance(name_or_filters, (dict, list)) else {"name": name_or_filters}
    if name_or_filters is None:
        filters = None
    rows = get_list(meta.name, fields=list(fields) if many else [fields], filters=filters, limit_page_length=1,
                    ignore_permissions=ignore_permissions)
    if not rows:
        return None
    row = rows[0]
    if as_dict:
        return row
    return tuple(row.values()) if many else next(iter(row.values()))


def _single_values(meta: DocType, fields: list, many: bool, as_dict: bool, ignore_permissions: bool) -> Any:
    if not ignore_permissions:
        permissions.check(meta.name, "read")
    data = store.load_single(meta)
    row = AttrDict()
    for name in fields:
        if not isinstance(name, str) or not meta.has_field(name):
            raise ValidationError(f"Field {name!r} is not a field of {meta.name}")
        row[name] = data.get(name)
    if as_dict:
        return row
    return tuple(row.values()) if many else row[fields[0]]


def get_single_value(doctype: str, fieldname: str) -> Any:
    """A Single's stored value, typed (frappe.db.get_single_value); no permission check, as in Frappe."""
    meta = meta_of(doctype)
    if not meta.issingle:
        raise ValidationError(f"{meta.name} is not a Single; use frappe.db.get_value({meta.name!r}, name, field)")
    return _single_values(meta, [fieldname], False, False, ignore_permissions=True)


def set_single_value(doctype: str, values: dict[str, Any]) -> None:
    """Write a Single's fields straight to tabSingles: no hooks (frappe.db.set_single_value)."""
    meta = meta_of(doctype)
    if not meta.issingle:
        raise ValidationError(f"{meta.name} is not a Single; use frappe.db.set_value({meta.name!r}, name, ...)")
    doc = Document(meta)
    doc._data["name"] = meta.name
    db_set(doc, values)


# -- validation -----------------------------------------------------------------------------------
def _fetch_values(doc: Document) -> None:
    """Fields with Fetch From (`link_field.fieldname`) take the value from the linked document."""
    meta = doc.meta
    for f in meta.data_fields:
        if not f.fetch_from:
            continue
        if f.fetch_if_empty and doc._data.get(f.fieldname) not in (None, ""):
            continue
        link, _, source = f.fetch_from.partition(".")
        holder = meta.get_field(link)
        linked = doc._data.get(link)
        if holder is None or not holder.options:
            continue
        value = get_value(holder.options, str(linked), source) if linked else None
        doc._data[f.fieldname] = value


def _validate_fields(doc: Document, mandatory: bool = True) -> None:
    meta = doc.meta
    missing: list[str] = []
    missing_fields: list[str] = []
    _fetch_values(doc)
    for f in meta.data_fields:
        raw = doc._data.get(f.fieldname)
        value = coerce(f, raw)
        if f.unique and value == "":
            value = None  # an empty value is no value: it never collides
        doc._data[f.fieldname] = value
        # Judge "missing" on the given value: numbers coerce None to 0, which would pass as given.
        if f.reqd and (raw is None or value is None or (isinstance(raw, str) and not raw.strip())):
            missing.append(f.label)
            missing_fields.append(f.fieldname)
        if f.fieldtype == "Select" and value not in (None, "") and value not in f.select_options:
            raise ValidationError(f"{f.label} cannot be {value!r}. It should be one of: "
                                  f"{', '.join(o for o in f.select_options if o)}").for_fields(f.fieldname)
        if f.fieldtype == "Link" and value and not store.linked_exists(f.options, value):
            raise LinkValidationError(f"{f.label}: {f.options} {value!r} does not exist").for_fields(f.fieldname)
        if f.fieldtype == "Dynamic Link" and value:
            target = doc._data.get(f.options or "")
            if not target:
                raise LinkValidationError(f"{f.label}: set the document type ({f.options}) first") \
                    .for_fields(f.fieldname)
            if not store.linked_exists(str(target), value):
                raise LinkValidationError(f"{f.label}: {target} {value!r} does not exist").for_fields(f.fieldname)
        if f.unique and value not in (None, "") and not meta.istable:
            existing = get_list(meta.name, fields=["name"], filters={f.fieldname: value},
                                limit_page_length=1, ignore_permissions=True)
            if existing and existing[0]["name"] != doc._data.get("name"):
                raise DuplicateEntryError(f"{meta.name}: {f.label} {value!r} is already used by "
                                          f"{existing[0]['name']}").for_fields(f.fieldname)
    if missing and mandatory:
        where = f" in row {doc._data.get('idx')} of {doc._data.get('parentfield')}" if meta.istable else ""
        raise MandatoryError(f"{meta.name}: value missing for {', '.join(missing)}{where}").for_fields(*missing_fields)
    for f in meta.table_fields:
        for i, row in enumerate(doc._data.get(f.fieldname) or [], start=1):
            row._data.update({"idx": i, "parentfield": f.fieldname, "parenttype": meta.name,
                              "parent": doc._data.get("name"), "docstatus": doc._data.get("docstatus", 0)})
            _validate_fields(row, mandatory)


def _stamp_children(doc: Document, user: str, now: dt.datetime, stored: Document | None = None) -> None:
    """Name and stamp child rows. Standard columns are the server's: a row keeps the creation and
    owner it was stored with (matched by name among this document's own rows); any other row,
    including one whose name is not this document's (a round-tripped JSON row of another parent, a
    duplicate), is a new row with a fresh name."""
    for f in doc.meta.table_fields:
        known = {r._data.get("name"): r for r in (stored._data.get(f.fieldname) or [] if stored else [])}
        seen: set[str] = set()
        for row in doc._data.get(f.fieldname) or []:
            name = row._data.get("name")
            old = known.get(name) if name else None
            if old is None or name in seen:
                row._data["name"] = None
                set_name(row)
                row._data.update({"creation": now, "owner": user})
            else:
                row._data.update({"creation": old._data.get("creation"), "owner": old._data.get("owner")})
            seen.add(row._data["name"])
            row._data.update({"modified": now, "modified_by": user})


def _check_docstatus(doc: Document) -> int:
    try:
        status = int(doc._data.get("docstatus") or 0)
    except (TypeError, ValueError):
        raise ValidationError("docstatus must be 0 (draft), 1 (submitted) or 2 (cancelled)") from None
    if status not in (0, 1, 2):
        raise ValidationError("docstatus must be 0 (draft), 1 (submitted) or 2 (cancelled)")
    if status and not doc.meta.is_submittable:
        raise ValidationError(f"{doc.meta.name} is not submittable; docstatus must be 0")
    doc._data["docstatus"] = status
    return status


def _guard_editable(meta: DocType) -> None:
    if meta.read_only:
        raise ValidationError(f"{meta.name} documents are managed elsewhere and cannot be changed here")
    if meta.istable:
        raise ValidationError(f"{meta.name} rows are saved through their parent document")


# -- writing --------------------------------------------------------------------------------------
def insert(doc: Document, ignore_permissions: bool = False, ignore_mandatory: bool = False) -> Document:
    """Insert `doc` with the full lifecycle. `ignore_mandatory=True` (Frappe's flag) skips the
    required-field check only; types, options, links and uniqueness are still checked."""
    meta = doc.meta
    _guard_editable(meta)
    ensure_writable("insert a document")
    if meta.issingle:  # its one record always exists: inserting it saves it
        object.__setattr__(doc, "_new", False)
        doc._data["name"] = meta.name
        return save(doc, ignore_permissions=ignore_permissions)
    if not doc.is_new():
        raise ValidationError(f"{meta.name} {doc.name} is already saved; use save()")
    user = acting_user()
    with transaction():
        docstatus = _check_docstatus(doc)
        if not ignore_permissions:
            permissions.check(meta.name, "create", doc, user)
            if docstatus == 1:
                permissions.check(meta.name, "submit", doc, user)
        if docstatus == 2:
            raise ValidationError("A new document cannot be inserted as cancelled")
        _apply_defaults(doc)
        now = _now()
        doc._data.update({"owner": doc._data.get("owner") or user, "creation": now, "modified": now,
                          "modified_by": user, "idx": doc._data.get("idx") or 0})
        fire(doc, "before_insert")
        fire(doc, "before_naming")
        set_name(doc)
        fire(doc, "before_validate")
        fire(doc, "validate")
        if docstatus == 1:
            fire(doc, "before_submit")
        if _check_docstatus(doc) != docstatus:
            raise ValidationError("A script may not change docstatus during the operation")
        _validate_fields(doc, mandatory=not ignore_mandatory)
        if store.exists(meta, doc._data["name"]):
            raise DuplicateEntryError(f"{meta.name} {doc._data['name']} already exists")
        _stamp_children(doc, user, now)
        store.insert_row(meta, doc._data)
        store.replace_children(meta, doc._data["name"], doc)
        object.__setattr__(doc, "_new", False)
        fire(doc, "after_insert")
        fire(doc, "on_update")
        if docstatus == 1:
            fire(doc, "on_submit")
    return doc


def save(doc: Document, ignore_permissions: bool = False) -> Document:
    if doc.is_new():
        return insert(doc, ignore_permissions=ignore_permissions)
    meta = doc.meta
    _guard_editable(meta)
    ensure_writable("save a document")
    user = acting_user()
    with transaction():
        stored = Document(meta)
        stored._load(store.load(meta, doc.name, for_update=True))
        _check_timestamp(doc, stored)
        old, new = int(stored.docstatus or 0), _check_docstatus(doc)
        object.__setattr__(doc, "_before", stored)
        if old == 2:
            raise ValidationError(f"{meta.name} {doc.name} is cancelled and cannot be changed")
        if (old, new) == (0, 0):
            _check_perm(meta, "write", doc, user, ignore_permissions)
            events_before, events_after = ("before_validate", "validate"), ("on_update",)
        elif (old, new) == (0, 1):
            _check_perm(meta, "submit", doc, user, ignore_permissions)
            events_before = ("before_validate", "validate", "before_submit")
            events_after = ("on_update", "on_submit")
        elif (old, new) == (1, 1):
            # Changing a submitted document (its allow_on_submit fields, e.g. an Expense Claim's
            # approval_status) is for those who may submit it: an Employee edits drafts only.
            _check_perm(meta, "write", doc, user, ignore_permissions)
            _check_perm(meta, "submit", doc, user, ignore_permissions)
            events_before, events_after = ("before_update_after_submit",), ("on_update_after_submit",)
        elif (old, new) == (1, 2):
            _check_perm(meta, "cancel", doc, user, ignore_permissions)
            events_before, events_after = ("before_cancel",), ("on_cancel",)
        else:
            raise ValidationError(f"Cannot change docstatus from {old} to {new}: a draft is submitted (1) before "
                                  "it can be cancelled (2), and a submitted document cannot go back to draft")
        for event in events_before:
            fire(doc, event)
        if _check_docstatus(doc) != new:
            raise ValidationError("A script may not change docstatus during the operation")
        if old == 1:
            _check_allowed_after_submit(doc, stored, cancelling=new == 2)
        _validate_fields(doc)
        now = _now()
        doc._data.update({"modified": now, "modified_by": user, "owner": stored.owner or user,
                          "creation": stored.creation or now})
        _stamp_children(doc, user, now, stored)
        store.update_row(meta, doc.name, doc._data)
        store.replace_children(meta, doc.name, doc)
        for event in events_after:
            fire(doc, event)
    return doc


def _check_perm(meta: DocType, ptype: str, doc: Document, user: str, ignore: bool) -> None:
    if not ignore:
        permissions.check(meta.name, ptype, doc, user)


def _check_timestamp(doc: Document, stored: Document) -> None:
    mine = doc._data.get("modified")
    if mine in (None, "") or stored.modified is None:  # not given, or a Single never saved
        return
    try:
        mine_dt = to_datetime(mine)
    except ValueError:
        raise ValidationError("modified must be a date and time") from None
    if mine_dt != stored.modified:
        raise TimestampMismatchError(
            f"{doc.meta.name} {doc.name} was changed by {stored.modified_by} after you opened it "
            f"(at {stored.modified}); reload it and make your change again"
        )


def _check_allowed_after_submit(doc: Document, stored: Document, cancelling: bool) -> None:
    meta = doc.meta
    for f in meta.value_fields:
        if f.allow_on_submit:
            continue
        if f.is_table:
            mine = [r.as_dict() for r in doc._data.get(f.fieldname) or []]
            theirs = [r.as_dict() for r in stored._data.get(f.fieldname) or []]
            strip = ("modified", "modified_by", "creation", "owner", "docstatus", "doctype")
            changed = [{k: v for k, v in r.items() if k not in strip} for r in mine] != [
                {k: v for k, v in r.items() if k not in strip} for r in theirs]
        else:
            try:
                changed = coerce(f, doc._data.get(f.fieldname)) != coerce(f, stored._data.get(f.fieldname))
            except ValidationError:
                changed = True
        if changed:
            verb = "cancelling" if cancelling else "submission"
            raise ValidationError(f"Not allowed to change {f.label} after {verb}")


def submit(doc: Document, ignore_permissions: bool = False) -> Document:
    doc._data["docstatus"] = 1
    return save(doc, ignore_permissions=ignore_permissions)


def cancel(doc: Document, ignore_permissions: bool = False) -> Document:
    if doc.is_new():
        raise ValidationError("A new document cannot be cancelled")
    doc._data["docstatus"] = 2
    return save(doc, ignore_permissions=ignore_permissions)


def delete(doctype: str, name: str, ignore_permissions: bool = False) -> None:
    meta = meta_of(doctype)
    _guard_editable(meta)
    if meta.issingle:
        raise ValidationError(f"{meta.name} is a Single: its one record cannot be deleted, only changed")
    ensure_writable("delete a document")
    with transaction():
        doc = get_doc(meta.name, name, check_permission=False, for_update=True)
        if not ignore_permissions:
            permissions.check(meta.name, "delete", doc)
        if int(doc.docstatus or 0) == 1:
            raise ValidationError(f"{meta.name} {name} is submitted and cannot be deleted; cancel it first")
        fire(doc, "on_trash")
        store.delete_row(meta, doc.name)
        fire(doc, "after_delete")


def rename(doctype: str, old: str, new: str, merge: bool = False, ignore_permissions: bool = False) -> Document:
    """Frappe's rename_doc: the document takes a new name, and every Link to it follows. Fires
    Before Rename (on the document under its old name) and After Rename (under the new one), each
    with old_name, new_name and merge."""
    meta = meta_of(doctype)
    _guard_editable(meta)
    ensure_writable("rename a document")
    new = str(new or "").strip()
    old = str(old or "")
    if not meta.allow_rename:
        raise ValidationError(f"{meta.name} documents cannot be renamed")
    if merge:
        raise ValidationError("Merging one document into another is not supported: rename to a new name")
    if not new:
        raise ValidationError("The new name is empty")
    if len(new) > 140 or any(c in new for c in "\r\n\t\0"):
        raise ValidationError("A name has at most 140 characters and no line breaks or tabs")
    with transaction():
        doc = get_doc(meta.name, old, check_permission=False, for_update=True)
        if not ignore_permissions:
            permissions.check(meta.name, "write", doc)
        if new == old:
            return doc
        if store.exists(meta, new):
            raise DuplicateEntryError(f"{meta.name} {new} already exists: choose another name")
        details = {"old_name": old, "new_name": new, "merge": False}
        fire(doc, "before_rename", **details)
        now, user = _now(), acting_user()
        store.rename_row(meta, old, new)
        stamp: dict[str, Any] = {"modified": now, "modified_by": user}
        if meta.naming.startswith("field:"):  # the field the name comes from says the new name too
            stamp[meta.naming[len("field:"):]] = new
        store.update_fields(meta, new, stamp)
        store.relink(meta.name, old, new)
        renamed = get_doc(meta.name, new, check_permission=False)
        fire(renamed, "after_rename", **details)
        return renamed


def db_set(doc: Document, values: dict[str, Any], update_modified: bool = True) -> None:
    """Write fields straight to the row: no hooks, no validation beyond types (Frappe's db_set)."""
    meta = doc.meta
    _guard_editable(meta)
    if not meta.direct_writes:  # its rules live in its controller, which save() runs
        raise ValidationError(f"A {meta.name} is changed with doc.save(), which checks it; db_set is not allowed")
    ensure_writable("change a document")
    with transaction():
        clean: dict[str, Any] = {}
        for key, value in values.items():
            f = meta.get_field(key)
            if f is None or f.is_table:
                raise ValidationError(f"{meta.name} has no field {key!r} to set")
            clean[key] = coerce(f, value)
        if update_modified:
            clean["modified"] = _now()
            clean["modified_by"] = acting_user()
        if not store.update_fields(meta, doc.name, clean):
            raise DoesNotExistError(f"{meta.name} {doc.name} not found")
        doc._data.update(clean)


def set_value(doctype: str, name: str, values: dict[str, Any], ignore_permissions: bool = False) -> Document:
    """frappe.client.set_value: load, change, save with the full lifecycle."""
    with transaction():
        doc = get_doc(doctype, name, check_permission=not ignore_permissions)
        doc.update(values)
        doc._data["modified"] = None  # the caller did not read a version: no timestamp check
        return save(doc, ignore_permissions=ignore_permissions)


def check_permission(doc: Document, ptype: str = "read") -> None:
    permissions.check(doc.doctype, ptype, doc=doc)


def print_doc(doctype: str, name: str) -> Document:
    """Load for printing and fire Before Print; nothing is written."""
    with transaction():
        doc = get_doc(doctype, name)
        fire(doc, "before_print")
        return doc


# -- whole operations for the REST API, frappe.client and the desk (each one transaction) -----------
_SYSTEM_KEYS = ("owner", "creation", "modified_by", "doctype")


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    """Drop what the server owns and clients' private markers (`__islocal`, `__unsaved`...), in
    child rows too: a Document refuses names starting with `_`."""
    out = {}
    for k, v in values.items():
        if k in _SYSTEM_KEYS or str(k).startswith("_"):
            continue
        if isinstance(v, list):
            v = [_clean_values(row) if isinstance(row, dict) else row for row in v]
        out[k] = v
    return out


def list_documents(doctype: str, args: dict[str, Any]) -> list:
    """A permission-checked list from a client's arguments (the REST list and frappe.client.get_list)."""
    return get_list(
        doctype,
        fields=args.get("fields"),
        filters=args.get("filters"),
        or_filters=args.get("or_filters"),
        order_by=args.get("order_by"),
        limit_start=args.get("limit_start", 0),
        limit_page_length=args.get("limit_page_length", args.get("limit", 20)),
        as_list=str(args.get("as_list", "")).lower() in ("1", "true"),
    )


def create(doctype: str, values: dict[str, Any]) -> Document:
    """Insert a new document from a client's values (docstatus 1 inserts it submitted)."""
    if values.get("doctype") not in (None, doctype):
        raise ValidationError(f"The body's doctype {values['doctype']!r} does not match {doctype!r}")
    with transaction():
        doc = new_doc(doctype, _clean_values({k: v for k, v in values.items() if k != "modified"}))
        return insert(doc)


def update(doctype: str, name: str, values: dict[str, Any]) -> Document:
    """Change a document's fields from a client's values; docstatus 0->1 submits, 1->2 cancels."""
    with transaction():
        doc = get_doc(doctype, name)
        values = _clean_values(values)
        values.pop("name", None)
        doc.update(values)
        if "modified" not in values:
            doc._data["modified"] = None  # no version given: last write wins, as in Frappe's PUT
        return save(doc)


def save_values(values: dict[str, Any]) -> Document:
    """frappe.client.save: a document with a name is updated (its version checked when given), one
    without is inserted."""
    if not values.get("name"):
        return create(values["doctype"], values)
    with transaction():
        doc = get_doc(values["doctype"], values["name"])
        doc.update({k: v for k, v in _clean_values(values).items() if k != "name"})
        return save(doc)


def submit_values(values: dict[str, Any]) -> Document:
    """frappe.client.submit: submit a stored draft with the given changes, or insert one submitted."""
    with transaction():
        if values.get("name") and exists(values["doctype"], values["name"]):
            doc = get_doc(values["doctype"], values["name"])
            doc.update({k: v for k, v in _clean_values(values).items() if k != "name"})
        else:
            doc = new_doc(values["doctype"], {k: v for k, v in _clean_values(values).items() if k != "modified"})
        return submit(doc)


def cancel_by_name(doctype: str, name: str) -> Document:
    with transaction():
        return cancel(get_doc(doctype, name))
