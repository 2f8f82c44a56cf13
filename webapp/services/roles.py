"""The Role doctype's controller: the built-in roles stay as they are, and a disabled role is taken
away from every user who has it (as in Frappe). Renaming a role moves it with its users: their
`Has Role` rows are Links to it, which a rename follows."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.models.user import ADMINISTRATOR, BUILTIN_ROLES, HasRole

# Roles the app itself relies on: they cannot be renamed, disabled or deleted.
STANDARD_ROLES = frozenset({*BUILTIN_ROLES, ADMINISTRATOR, "Guest", "All"})


def _refuse_standard(doc, what: str) -> None:
    if doc.name in STANDARD_ROLES:
        raise ValidationError(f"{doc.name} is a standard role and cannot be {what}")


def _take_from_users(role: str) -> None:
    db.session.execute(sa.delete(HasRole).where(HasRole.role == role))


class RoleController:
    def validate(self, doc) -> None:
        doc.role_name = str(doc.role_name or "").strip()
        if doc.disabled:
            _refuse_standard(doc, "disabled")

    def on_update(self, doc) -> None:
        if doc.disabled:
            _take_from_users(doc.name)

    def before_rename(self, doc, old_name: str, new_name: str, merge: bool) -> None:
        _refuse_standard(doc, "renamed")

    def on_trash(self, doc) -> None:
        _refuse_standard(doc, "deleted")
        _take_from_users(doc.name)
