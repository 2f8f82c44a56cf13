"""Doctype tables (`tab<DocType>`) built from the doctype declarations, like Frappe's migrate.

The app's own tables (users, roles, credentials, scripts) come from Alembic migrations; doctype
tables follow the declarations in webapp/doctypes so that adding a doctype is a declaration only.
"""

from __future__ import annotations

from webapp.doctypes import registry
from webapp.extensions import db
from webapp.services.readonly_sql import ensure_reader_role


def sync_doctype_tables() -> None:
    """Create missing doctype tables and columns, then the read-only role scripts' SQL runs as
    (PostgreSQL: it may read the `tab*` tables, nothing else)."""
    registry.sync_tables()
    ensure_reader_role(db.session.connection())
    db.session.commit()
