"""Naming-series counters (Frappe's `tabSeries`): one row per prefix."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class Series(db.Model):
    __tablename__ = "tabSeries"
    name: Mapped[str] = mapped_column(String(140), primary_key=True)
    current: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
