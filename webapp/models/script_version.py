"""A version number that changes whenever any Server Script changes; every worker compares it with
the version of its cached script map once per request."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class ScriptVersion(db.Model):
    __tablename__ = "__script_version"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
