"""Doctypes as data: declarations in builtin.py (and elsewhere) and rows users define, looked up
through the registry."""

from webapp.doctypes.meta import ALL, DocType, Field, Perm
from webapp.doctypes.registry import all_doctypes, by_slug, get, table

__all__ = ["ALL", "DocType", "Field", "Perm", "all_doctypes", "by_slug", "get", "table"]
