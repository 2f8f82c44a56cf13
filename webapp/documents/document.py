"""The Document object, which behaves like Frappe's.

Scripts use it directly through the sandbox, so everything internal starts with `_` (the sandbox
refuses such names) and every method that changes data goes through the documents service.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from webapp.attrdict import AttrDict
from webapp.doctypes.meta import CHILD_FIELDS, DocType
from webapp.errors import DoesNotExistError

_dict = AttrDict  # the name scripts know it by

_METHODS = frozenset({
    "get", "set", "append", "as_dict", "is_new", "get_doc_before_save", "has_value_changed", "save", "insert", "rename",
    "submit", "cancel", "delete", "reload", "db_set", "flags", "meta", "run_method", "update", "get_title",
    "check_permission", "is_submittable",
})


class Document:
    # Where lifecycle calls go and where metadata comes from: set once per process for this class
    # (`Document.use_lifecycle`), and for the script side's own subclass (script_api/document.py).
    _operations: ClassVar[Lifecycle | None] = None
    _meta_source: ClassVar[Callable[[str], DocType | None] | None] = None

    @classmethod
    def use_lifecycle(cls, operations: Lifecycle, meta_source: Callable[[str], DocType | None]) -> None:
        """What `doc.save()` and the other methods call, and where a doctype's metadata comes from
        (the app factory: the documents service and the registry)."""
        cls._operations = operations
        cls._meta_source = meta_source

    @classmethod
    def _meta_for(cls, name: str) -> DocType | None:
        source = cls.__dict__.get("_meta_source") or Document._meta_source
        if source is None:
            raise RuntimeError("Documents have no metadata yet: create the app first (webapp.create_app)")
        return source(name)

    def _lifecycle(self) -> Lifecycle:
        operations = type(self)._operations
        if operations is None:
            raise RuntimeError("Documents have no lifecycle yet: create the app first (webapp.create_app)")
        return operations

    def __init__(self, doctype: str | DocType, data: dict[str, Any] | None = None) -> None:
        meta = doctype if isinstance(doctype, DocType) else self._meta_for(doctype)
        if meta is None:
            raise DoesNotExistError(f"DocType {doctype} not found")
        object.__setattr__(self, "_meta", meta)
        object.__setattr__(self, "_data", {"doctype": meta.name})
        object.__setattr__(self, "_flags", AttrDict())
        object.__setattr__(self, "_before", None)
        object.__setattr__(self, "_new", True)
        for f in meta.table_fields:
            self._data[f.fieldname] = []
        if data:
            self.update(data)

    # -- attribute access --------------------------------------------------------------------------
    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        data = self.__dict__["_data"]
        if key in data:
            return data[key]
        meta = self.__dict__["_meta"]
        if meta.has_field(key):
            return None  # an unset field reads as None
        raise AttributeError(f"{meta.name} has no field or attribute {key!r}")

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_") or key in _METHODS or key == "doctype":
            raise AttributeError(f"Cannot set {key!r} on a document")
        self.set(key, value)

    def __delattr__(self, key: str) -> None:
        raise AttributeError("Cannot delete document attributes")

    def __repr__(self) -> str:
        return f"<{self._meta.name}: {self._data.get('name') or 'new'}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Document) and other._meta is self._meta and other._data.get("name") == self._data.get(
            "name") and self._data.get("name") is not None

    __hash__ = object.__hash__

    @property
    def doctype(self) -> str:
        return self._meta.name

    @property
    def meta(self) -> DocType:
        return self._meta

    @property
    def flags(self) -> AttrDict:
        return self._flags

    # -- values ------------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        if isinstance(key, dict):  # Frappe's doc.get({"fieldname": ...}) filter form on child tables
            raise TypeError("doc.get() takes a field name")
        value = self._data.get(key, default)
        return default if value is None and default is not None else value

    def set(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or key.startswith("_") or key == "doctype":
            raise AttributeError(f"Cannot set {key!r} on a document")
        f = self._meta.get_field(key)
        if f is not None and f.is_table:
            rows = []
            for i, row in enumerate(value or [], start=1):
                rows.append(self._make_child(f.fieldname, row, i))
            self._data[key] = rows
        else:
            self._data[key] = value

    def update(self, values: dict[str, Any]) -> Document:
        for key, value in (values or {}).items():
            if key == "doctype":
                continue
            self.set(key, value)
        return self

    def _make_child(self, fieldname: str, row: Any, idx: int) -> Document:
        f = self._meta.get_field(fieldname)
        child_meta = self._meta_for(f.options) if f else None
        if child_meta is None:
            raise AttributeError(f"{self._meta.name} has no table field {fieldname!r}")
        child = row if isinstance(row, Document) else type(self)(child_meta, dict(row or {}))
        if child._meta is not child_meta:
            raise TypeError(f"A row of {fieldname} must be a {child_meta.name}")
        child._data.update({"parentfield": fieldname, "parenttype": self._meta.name, "idx": idx})
        if self._data.get("name"):
            child._data["parent"] = self._data["name"]
        return child

    def append(self, fieldname: str, row: dict[str, Any] | None = None) -> Document:
        rows = self._data.get(fieldname)
        f = self._meta.get_field(fieldname)
        if f is None or not f.is_table:
            raise AttributeError(f"{self._meta.name} has no table field {fieldname!r}")
        child = self._make_child(fieldname, row or {}, len(rows or []) + 1)
        self._data.setdefault(fieldname, []).append(child)
        return child

    def as_dict(self, no_nulls: bool = False) -> AttrDict:
        out = AttrDict()
        meta = self._meta
        for key in ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx"):
            out[key] = self._data.get(key)
        if meta.istable:
            for key in CHILD_FIELDS:
                out[key] = self._data.get(key)
        for f in meta.value_fields:
            value = self._data.get(f.fieldname)
            out[f.fieldname] = [r.as_dict(no_nulls) for r in value or []] if f.is_table else value
        for key, value in self._data.items():  # attributes a script set beyond the fields
            if key not in out and key != "doctype":
                out[key] = value
        out["doctype"] = meta.name
        if no_nulls:
            return AttrDict({k: v for k, v in out.items() if v is not None})
        return out

    def get_title(self) -> str:
        return str(self._data.get(self._meta.title_of) or self._data.get("name") or "")

    def is_new(self) -> bool:
        return self._new

    def is_submittable(self) -> bool:
        return self._meta.is_submittable

    def get_doc_before_save(self) -> Document | None:
        return self._before

    def has_value_changed(self, fieldname: str) -> bool:
        before = self._before
        if before is None:
            return True
        return before._data.get(fieldname) != self._data.get(fieldname)

    def _snapshot(self) -> Document:
        clone = type(self)(self._meta)
        clone._data.clear()
        clone._data.update(copy.deepcopy(self._data))
        object.__setattr__(clone, "_new", self._new)
        return clone

    def _load(self, data: dict[str, Any]) -> None:
        """Replace the values with stored ones (after a read or write)."""
        self._data.clear()
        self._data["doctype"] = self._meta.name
        for f in self._meta.table_fields:
            self._data[f.fieldname] = []
        for key, value in data.items():
            f = self._meta.get_field(key)
            if f is not None and f.is_table:
                rows = []
                for row in value or []:
                    child = row if isinstance(row, Document) else type(self)(self._meta_for(f.options), {})
                    if not isinstance(row, Document):
                        child._data.update(row)
                        object.__setattr__(child, "_new", False)
                    rows.append(child)
                self._data[key] = rows
            else:
                self._data[key] = value
        object.__setattr__(self, "_new", False)

    # -- lifecycle (all through the documents service, see use_lifecycle) -------------------------
    def insert(self, ignore_permissions: bool = False, ignore_mandatory: bool = False) -> Document:
        return self._lifecycle().insert(self, ignore_permissions=ignore_permissions, ignore_mandatory=ignore_mandatory)

    def save(self, ignore_permissions: bool = False) -> Document:
        return self._lifecycle().save(self, ignore_permissions=ignore_permissions)

    def submit(self, ignore_permissions: bool = False) -> Document:
        return self._lifecycle().submit(self, ignore_permissions=ignore_permissions)

    def cancel(self, ignore_permissions: bool = False) -> Document:
        return self._lifecycle().cancel(self, ignore_permissions=ignore_permissions)

    def delete(self, ignore_permissions: bool = False) -> None:
        self._lifecycle().delete(self.doctype, self.name, ignore_permissions=ignore_permissions)

    def rename(self, name: str, merge: bool = False) -> Document:
        """Frappe's doc.rename(): this document takes the new name (links follow)."""
        renamed = self._lifecycle().rename(self.doctype, self.name, name, merge=merge)
        self._load(renamed._data)
        return self

    def reload(self) -> Document:
        fresh = self._lifecycle().get_doc(self.doctype, self.name, check_permission=False)
        self._load(fresh._data)
        return self

    def db_set(self, fieldname: str | dict[str, Any], value: Any = None, update_modified: bool = True) -> None:
        values = fieldname if isinstance(fieldname, dict) else {fieldname: value}
        self._lifecycle().db_set(self, values, update_modified=update_modified)

    def check_permission(self, ptype: str = "read") -> None:
        self._lifecycle().check_permission(self, ptype)


class Lifecycle(Protocol):
    """The operations a document's methods hand over to (the documents service)."""

    def insert(self, doc: Document, ignore_permissions: bool = ..., ignore_mandatory: bool = ...) -> Document: ...
    def save(self, doc: Document, ignore_permissions: bool = ...) -> Document: ...
    def submit(self, doc: Document, ignore_permissions: bool = ...) -> Document: ...
    def cancel(self, doc: Document, ignore_permissions: bool = ...) -> Document: ...
    def delete(self, doctype: str, name: str, ignore_permissions: bool = ...) -> None: ...
    def get_doc(self, doctype: str, name: Any = ..., *, check_permission: bool = ...) -> Document: ...
    def db_set(self, doc: Document, values: dict[str, Any], update_modified: bool = ...) -> None: ...
    def rename(self, doctype: str, old: str, new: str, merge: bool = ...) -> Document: ...
    def check_permission(self, doc: Document, ptype: str = ...) -> None: ...
