"""Documents on the script side: copies of the app's documents, in plain data.

A script never holds one of the app's own document objects. `frappe.get_doc` and the `doc` of a
DocType Event script are `ScriptDocument`s built from plain data (the "wire" form below); their
`save()`, `insert()` and the other lifecycle methods send the document's data to the app
(`parent.call`), which runs its lifecycle and answers with the stored document, which the copy
then takes. The `doc` of an event carries a reference (`ref`) to the app's live document, so that
`doc.save()` saves that very document, as in Frappe. What a script changed on it is sent back as
a field diff when the run ends (`diff`).

Wire form of a document: {"doctype": str, "data": {field: value, table field: [row data, ...]},
"new": bool, "ref": int or None}. Of a doctype: `meta_to_wire`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from webapp.attrdict import AttrDict
from webapp.doctypes.meta import DocType, Field, Perm
from webapp.documents.document import Document
from webapp.script_api import parent

# -- metadata -----------------------------------------------------------------------------------
_SIMPLE = (str, int, float, bool, type(None))


def meta_to_wire(meta: DocType) -> dict[str, Any]:
    """A doctype's metadata as plain data (what the script side needs to build documents); made
    once per doctype object (a change to a doctype makes a new object), so the same wire stands
    for the same metadata."""
    cached = meta.__dict__.get("_wire")
    if cached is not None:
        return cached
    out: dict[str, Any] = {}
    for f in dataclasses.fields(meta):
        value = getattr(meta, f.name)
        if f.name == "fields":
            out["fields"] = [{k: v for k, v in dataclasses.asdict(x).items() if isinstance(v, _SIMPLE)} for x in value]
        elif f.name == "permissions":
            out["permissions"] = [dataclasses.asdict(p) for p in value]
        elif isinstance(value, _SIMPLE):
            out[f.name] = value
    meta.__dict__["_wire"] = out
    return out


def meta_from_wire(wire: dict[str, Any]) -> DocType:
    known = {f.name for f in dataclasses.fields(DocType)}
    field_names = {f.name for f in dataclasses.fields(Field)}
    values = {k: v for k, v in wire.items() if k in known and k not in ("fields", "permissions")}
    fields = [Field(**{k: v for k, v in f.items() if k in field_names}) for f in wire.get("fields") or ()]
    perms = [Perm(**p) for p in wire.get("permissions") or ()]
    return DocType(fields=fields, permissions=perms, **values)


class _Metas:
    """The doctypes the script side has been told of: sent with a run, or asked for by name. A run
    names the version of the app's doctypes it was sent at; at a new version all are forgotten."""

    def __init__(self) -> None:
        self.known: dict[str, DocType] = {}
        self.wires: dict[str, dict[str, Any]] = {}
        self.version: Any = None

    def clear(self) -> None:
        self.known.clear()
        self.wires.clear()

    def at_version(self, version: Any) -> None:
        if version != self.version:
            self.clear()
            self.version = version

    def add(self, wire: dict[str, Any]) -> DocType:
        name = wire.get("name")
        if self.wires.get(name) is wire:  # the same metadata again (in the worker, the same object)
            return self.known[name]
        meta = meta_from_wire(wire)
        self.known[meta.name] = meta
        self.wires[meta.name] = wire
        return meta

    def get(self, name: str) -> DocType | None:
        meta = self.known.get(name)
        if meta is None:
            wires = parent.call("get_metas", str(name))
            for wire in wires:
                self.add(wire)
            meta = self.known.get(name)
        return meta


METAS = _Metas()


# -- documents ----------------------------------------------------------------------------------
def plain_data(doc: Document) -> dict[str, Any]:
    """A document's values as plain data, without its doctype (rows as dicts): its wire form's
    `data`, on either side of the channel."""
    data = {}
    for key, value in doc._data.items():
        if key == "doctype":
            continue
        if type(value) is list and value and isinstance(value[0], Document):
            value = [plain_data(row) for row in value]
        data[key] = value
    return data


def to_wire(doc: Document) -> dict[str, Any]:
    return {"doctype": doc._meta.name, "data": plain_data(doc), "new": doc._new,
            "ref": doc.__dict__.get("_ref")}


def from_wire(wire: dict[str, Any]) -> ScriptDocument:
    meta = METAS.get(wire["doctype"])
    doc = ScriptDocument(meta)
    doc._load(wire["data"])
    object.__setattr__(doc, "_new", bool(wire.get("new")))
    object.__setattr__(doc, "_ref", wire.get("ref"))
    return doc


def take(doc: Document, wire: dict[str, Any]) -> None:
    """`doc` becomes the document the app answered with (after a save, insert, reload ...)."""
    doc._load(wire["data"])
    object.__setattr__(doc, "_new", bool(wire.get("new")))
    if wire.get("ref") is not None:
        object.__setattr__(doc, "_ref", wire["ref"])


def diff(doc: Document, before: dict[str, Any]) -> dict[str, Any]:
    """The fields of `doc` whose value differs from `before` (its data when the run began); a
    changed table is sent whole."""
    now = plain_data(doc)
    changed = {k: v for k, v in now.items() if before.get(k, _MISSING) != v}
    for k in before:
        if k not in now:
            changed[k] = None
    return changed


_MISSING = object()


class ScriptDocument(Document):
    """A document on the script side (see the module's docstring)."""

    def get_doc_before_save(self) -> ScriptDocument | None:
        before = self.__dict__.get("_before")
        if before is None and self.__dict__.get("_ref") is not None:
            wire = parent.call("doc_before", self.__dict__["_ref"])
            before = from_wire(wire) if wire is not None else None
            object.__setattr__(self, "_before", before)
        return before

    def has_value_changed(self, fieldname: str) -> bool:
        before = self.get_doc_before_save()
        if before is None:
            return True
        return before._data.get(fieldname) != self._data.get(fieldname)


class _ScriptLifecycle:
    """A script document's lifecycle: each operation is a call to the app with the document's data."""

    def insert(self, doc: Document, ignore_permissions: bool = False, ignore_mandatory: bool = False) -> Document:
        take(doc, parent.call("doc_insert", to_wire(doc), bool(ignore_permissions), bool(ignore_mandatory)))
        return doc

    def save(self, doc: Document, ignore_permissions: bool = False) -> Document:
        take(doc, parent.call("doc_save", to_wire(doc), bool(ignore_permissions)))
        return doc

    def submit(self, doc: Document, ignore_permissions: bool = False) -> Document:
        take(doc, parent.call("doc_submit", to_wire(doc), bool(ignore_permissions)))
        return doc

    def cancel(self, doc: Document, ignore_permissions: bool = False) -> Document:
        take(doc, parent.call("doc_cancel", to_wire(doc), bool(ignore_permissions)))
        return doc

    def delete(self, doctype: str, name: str, ignore_permissions: bool = False) -> None:
        parent.call("delete_doc", doctype, name, bool(ignore_permissions))

    def get_doc(self, doctype: str, name: Any = None, *, check_permission: bool = True) -> Document:
        return from_wire(parent.call("get_doc", doctype, name, bool(check_permission)))

    def db_set(self, doc: Document, values: dict[str, Any], update_modified: bool = True) -> None:
        doc._data.update(parent.call("doc_db_set", to_wire(doc), dict(values), bool(update_modified)))

    def rename(self, doctype: str, old: str, new: str, merge: bool = False) -> Document:
        return from_wire(parent.call("rename_doc", doctype, old, new, bool(merge), False))

    def check_permission(self, doc: Document, ptype: str = "read") -> None:
        parent.call("doc_check_permission", doc._meta.name, doc._data.get("name"), str(ptype))


ScriptDocument.use_lifecycle(_ScriptLifecycle(), METAS.get)


def as_wire_values(value: Any) -> Any:
    """A script's value on its way to the app: its documents as their data (rows of tables too)."""
    if isinstance(value, Document):
        return plain_data(value) | {"doctype": value._meta.name}
    if isinstance(value, (list, tuple)):
        return [as_wire_values(v) for v in value]
    if isinstance(value, dict):
        return {k: as_wire_values(v) for k, v in value.items()}
    return value


__all__ = ["METAS", "AttrDict", "ScriptDocument", "diff", "from_wire", "meta_to_wire", "plain_data", "take", "to_wire"]
