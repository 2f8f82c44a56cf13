"""Users and roles. Secrets live in `__Auth`, a table scripts' read-only SQL cannot see (only
`tab*` tables are visible to scripts), so `frappe.get_doc("User", ...)` carries no secret."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import StandardColumns

ADMINISTRATOR = "Administrator"
GUEST = "Guest"
SYSTEM_MANAGER = "System Manager"
BUILTIN_ROLES = ("System Manager", "Expense Approver", "Employee")


class Role(StandardColumns, db.Model):
    __tablename__ = "tabRole"
    role_name: Mapped[str] = mapped_column(String(140), nullable=False)
    disabled: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    desk_access: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)


class HasRole(StandardColumns, db.Model):
    __tablename__ = "tabHas Role"
    parent: Mapped[str] = mapped_column(ForeignKey("tabUser.name", ondelete="CASCADE"), index=True)
    parenttype: Mapped[str] = mapped_column(String(140), default="User")
    parentfield: Mapped[str] = mapped_column(String(140), default="roles")
    role: Mapped[str] = mapped_column(String(140), nullable=False)


class User(StandardColumns, db.Model):
    __tablename__ = "tabUser"
    email: Mapped[str] = mapped_column(String(140), nullable=False, unique=True)
    full_name: Mapped[str | None] = mapped_column(String(140))
    enabled: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    role_rows: Mapped[list[HasRole]] = relationship(
        order_by=HasRole.idx, cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.enabled)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.name

    @property
    def roles(self) -> list[str]:
        if self.name == ADMINISTRATOR:
            return sorted({*BUILTIN_ROLES, *(r.role for r in self.role_rows), ADMINISTRATOR})
        return [r.role for r in self.role_rows]

    def has_role(self, *roles: str) -> bool:
        if self.name == ADMINISTRATOR:
            return True
        mine = set(self.roles)
        return any(r in mine for r in roles)

    @property
    def display_name(self) -> str:
        return self.full_name or self.name


class AnonymousUser:
    """The Guest user (Flask-Login's anonymous user)."""

    name = GUEST
    email = GUEST
    full_name = GUEST
    display_name = GUEST
    enabled = 1
    roles: list[str] = [GUEST]
    is_authenticated = False
    is_active = False
    is_anonymous = True

    def get_id(self) -> None:
        return None

    def has_role(self, *roles: str) -> bool:
        return GUEST in roles


class UserAuth(db.Model):
    """Password hash and API credentials (Frappe keeps these in `__Auth` too)."""

    __tablename__ = "__Auth"
    user: Mapped[str] = mapped_column(ForeignKey("tabUser.name", ondelete="CASCADE"), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    api_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    api_secret_hash: Mapped[str | None] = mapped_column(String(128))
