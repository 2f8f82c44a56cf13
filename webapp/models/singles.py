"""The values of Single doctypes (Frappe's `tabSingles`): one row per doctype and field, as text."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class Singles(db.Model):
    __tablename__ = "tabSingles"
    doctype: Mapped[str] = mapped_column(String(140), primary_key=True)
    field: Mapped[str] = mapped_column(String(140), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
