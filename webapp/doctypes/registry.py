"""Doctype registry (filled in by the documents layer)."""


def sync_tables() -> None:
    from webapp.extensions import db

    db.metadata.create_all(db.engine, checkfirst=True)
