"""Doctype tables (`tab<DocType>`) built from the doctype declarations, like Frappe's migrate.

The app's own tables (users, roles, credentials, scripts) come from Alembic migrations; doctype
tables follow the declarations in webapp/doctypes so that adding a doctype is a declaration only.
"""

from __future__ import annotations


def sync_doctype_tables() -> None:
    """Create missing doctype tables and columns. Filled in by the documents layer."""
    from webapp.doctypes import registry

    registry.sync_tables()
