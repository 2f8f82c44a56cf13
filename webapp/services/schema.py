"""Doctype tables (`tab<DocType>`) built from the doctype declarations, like Frappe's migrate.

The app's own tables (users, roles, credentials, scripts) come from Alembic migrations; doctype
tables follow the declarations in webapp/doctypes so that adding a doctype is a declaration only.
"""

from __future__ import annotations


def sync_doctype_tables() -> None:
    """Create missing doctype tables and columns, then the read-only role scripts' SQL runs as."""
    from webapp.doctypes import registry

    registry.sync_tables()
    _grant_script_reader()


def _grant_script_reader() -> None:
    """PostgreSQL: the role frappe.db.sql runs as may read the `tab*` tables, nothing else."""
    from webapp.extensions import db
    from webapp.script_api.sql import ensure_reader_role

    ensure_reader_role(db.session.connection())
    db.session.commit()
