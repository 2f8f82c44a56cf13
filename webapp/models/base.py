"""Frappe's standard columns, shared by every `tab<DocType>` table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    # Naive local time, as Frappe stores it.
    return datetime.now()


class StandardColumns:
    name: Mapped[str] = mapped_column(String(140), primary_key=True)
    creation: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False, index=True)
    modified_by: Mapped[str | None] = mapped_column(String(140))
    owner: Mapped[str | None] = mapped_column(String(140))
    docstatus: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    idx: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
