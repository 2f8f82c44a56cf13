"""Role permissions on doctypes (read, write, create, delete, submit, cancel)."""

from __future__ import annotations

from webapp.doctypes import registry
from webapp.doctypes.meta import PTYPES
from webapp.errors import PermissionError, ValidationError
from webapp.services.context import acting_user
from webapp.services.users import roles_of

GUEST = "Guest"


def has_permission(doctype: str, ptype: str = "read", doc=None, user: str | None = None) -> bool:
    if ptype not in PTYPES:
        raise ValidationError(f"Unknown permission type {ptype!r}; use one of {', '.join(PTYPES)}")
    meta = registry.get(doctype)
    if meta is None:
        return False
    if meta.istable:
        return False  # child rows are reached through their parent only
    user = user or acting_user()
    if user == "Administrator":
        return not (meta.read_only and ptype != "read")
    roles = roles_of(user)
    owner = _owner(doc)
    return any(getattr(p, ptype) and (not p.if_owner or owner in (None, "", user))
               for p in meta.permissions if p.role in roles)


def _owner(doc) -> str | None:
    """The document's owner (None: a doctype-level question, or a document not saved yet)."""
    if doc is None:
        return None
    return doc.get("owner") if hasattr(doc, "get") else getattr(doc, "owner", None)


def owner_only(doctype: str, ptype: str, user: str) -> bool:
    """True when `user` has `ptype` on `doctype` only through "Only If Creator" rows: lists show
    them their own documents."""
    meta = registry.get(doctype)
    if meta is None or user == "Administrator":
        return False
    roles = roles_of(user)
    rows = [p for p in meta.permissions if p.role in roles and getattr(p, ptype)]
    return bool(rows) and all(p.if_owner for p in rows)


def check(doctype: str, ptype: str = "read", doc=None, user: str | None = None) -> None:
    user = user or acting_user()
    if not has_permission(doctype, ptype, doc, user):
        what = f"{doctype} {doc.name}" if doc is not None and getattr(doc, "name", None) else doctype
        raise PermissionError(f"Not permitted: {user} cannot {ptype} {what}")


def allowed_doctypes(ptype: str = "read", user: str | None = None) -> list[str]:
    return [dt.name for dt in registry.all_doctypes() if has_permission(dt.name, ptype, user=user)]
