"""Migration 0006 (tabSingles) upgrades, downgrades and upgrades again on a fresh database, SQLite or
PostgreSQL, and leaves the table the model describes."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.conftest import RUN_ID, WORKER


def _fresh_database(tmp_path) -> tuple[str, str | None]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}", None
    schema = f"test_{RUN_ID}_{WORKER}_migrations"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", schema


def test_singles_migration_up_down_up(app, tmp_path):
    from flask_migrate import downgrade, upgrade

    from webapp import create_app
    from webapp.extensions import db

    url, schema = _fresh_database(tmp_path)
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    directory = other.config["MIGRATIONS_DIR"]
    try:
        with other.app_context():
            upgrade(directory=directory, revision="0005")
            assert not sa.inspect(db.engine).has_table("tabSingles")
            upgrade(directory=directory)
            inspector = sa.inspect(db.engine)
            assert inspector.get_pk_constraint("tabSingles")["constrained_columns"] == ["doctype", "field"]
            with db.engine.begin() as conn:
                conn.execute(sa.text('INSERT INTO "tabSingles" (doctype, field, value) VALUES (\'A\', \'b\', \'c\')'))
                diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert [d for d in diffs if "tabSingles" in repr(d)] == []
            downgrade(directory=directory, revision="0005")
            assert not sa.inspect(db.engine).has_table("tabSingles")
            upgrade(directory=directory)
            assert sa.inspect(db.engine).has_table("tabSingles")
            db.session.remove()
            db.engine.dispose()
    finally:
        if schema:
            engine = sa.create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
