"""A throw-away instance for the desk benchmarks: a SQLite app set up like a fresh install, and a
test client logged in as Administrator."""

from __future__ import annotations

import os
import sys
import tempfile


def throwaway_app(prefix: str):
    """A new app on a SQLite file in a temporary folder, its database initialised."""
    root = tempfile.mkdtemp(prefix=prefix)
    os.environ["WEBAPP_INSTANCE_PATH"] = root
    os.environ["DATABASE_URL"] = f"sqlite:///{root}/bench.sqlite3"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from webapp import create_app

    app = create_app({"TESTING": True})
    with app.app_context():
        from webapp.cli import init_db

        init_db()
    return app


def admin_client(app):
    """A test client with an Administrator session (an API-style one: no CSRF token needed)."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "Administrator"
        sess["login_via"] = "api"
    return client
