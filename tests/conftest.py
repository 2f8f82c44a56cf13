"""Shared fixtures: `app`, `client`, `db`, `login_as`, factories.

The suite runs on SQLite by default, and on PostgreSQL + Redis when TEST_DATABASE_URL and
REDIS_URL are set (CI sets both). Each xdist worker gets its own SQLite file, PostgreSQL schema
and Redis database, so workers never see each other's rows or counters.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_NO = int(re.sub(r"\D", "", WORKER) or 0)
# One id per pytest run, inherited by its xdist workers: two runs on one machine never share a schema.
RUN_ID = os.environ.setdefault("TEST_RUN_ID", str(os.getpid()))

if os.environ.get("TEST_SCRIPT_ISOLATION"):  # the suite on the other path (scripts/test.sh: "inline")
    from webapp.config import SITE_CONFIG_DEFAULTS

    SITE_CONFIG_DEFAULTS["server_script_isolation"] = os.environ["TEST_SCRIPT_ISOLATION"]


def _database_url(tmp_root: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root}/test-{WORKER}.sqlite3"
    schema = f"test_{RUN_ID}_{WORKER}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    # Databases from the URL's own number + 1 on, one per xdist worker: two suites run at once on
    # one machine do not share counters when their REDIS_URLs name different numbers (/0, /8).
    found = re.search(r"/(\d+)$", url)
    base = url[:found.start()] if found else url.rstrip("/")
    first = int(found.group(1)) if found else 0
    return f"{base}/{first + WORKER_NO + 1}"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def app(instance_dir: str):
    os.environ["WEBAPP_INSTANCE_PATH"] = instance_dir
    os.environ["DATABASE_URL"] = _database_url(instance_dir)
    redis_url = _redis_url()
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    os.environ.setdefault("SECRET_KEY", "test-secret")
    from webapp import create_app

    app = create_app({"TESTING": True, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        from webapp.cli import init_db

        init_db()
    yield app
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from webapp.extensions import db as _db

        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "test_{RUN_ID}_{WORKER}" CASCADE'))
        engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts from the seeded database: roles and Administrator only."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from webapp.customize import registry_cache
    from webapp.doctypes import registry
    from webapp.doctypes.builtin import BUILTIN_DOCTYPES
    from webapp.extensions import db, limiter
    from webapp.models.user import ADMINISTRATOR
    from webapp.runtime import cache, logs
    from webapp.services import versioned

    with app.app_context():
        _drop_jobs(app)
        db.session.rollback()
        logs.flush()  # this test's log rows, before the tables are emptied (not into the next test)
        doctypes_changed = versioned.read_version(registry_cache.VERSION_KEY) != 0
        keep = {"tabRole", "alembic_version"}
        orm_tables = {t.name for t in db.metadata.sorted_tables}
        doctype_tables = [registry.table(dt) for dt in registry.all_doctypes()
                          if dt.table_name not in orm_tables and not dt.issingle]
        for table in [*doctype_tables, *reversed(db.metadata.sorted_tables)]:
            if table.name in keep:
                continue
            if table.name in {"tabUser", "__Auth", "tabHas Role"}:
                col = "user" if table.name == "__Auth" else ("parent" if table.name == "tabHas Role" else "name")
                db.session.execute(table.delete().where(table.c[col] != ADMINISTRATOR))
            elif table.name in {"tabDocType", "tabDocField", "tabDocPerm"}:  # init-db's rows of the built-ins
                col = table.c["name" if table.name == "tabDocType" else "parent"]
                db.session.execute(table.delete().where(col.not_in([dt.name for dt in BUILTIN_DOCTYPES])))
            else:
                db.session.execute(table.delete())
        db.session.commit()
        if doctypes_changed:
            _drop_user_schema(db)
        cache.reset()
        registry_cache.reset()
        limiter.reset()
        config = app.extensions["site_config"]
        if os.path.exists(config.path):
            os.remove(config.path)


def _drop_user_schema(db) -> None:
    """What a test's doctypes made: tables of doctypes users defined, and columns Custom Fields added
    to built-in tables (those tables are empty by now: they are made again from their declaration)."""
    import sqlalchemy as sa

    from webapp.doctypes import registry
    from webapp.doctypes.builtin import BUILTIN_DOCTYPES

    conn = db.session.connection()
    inspector = sa.inspect(conn)
    builtin_tables = {dt.table_name: dt for dt in BUILTIN_DOCTYPES}
    own = set(db.metadata.tables)
    for name in inspector.get_table_names():
        if name in own or not name.startswith("tab"):
            continue
        meta = builtin_tables.get(name)
        if meta is None:
            sa.Table(name, sa.MetaData()).drop(conn)
        elif {c["name"] for c in inspector.get_columns(name)} != set(registry.table(meta).c.keys()):
            sa.Table(name, sa.MetaData()).drop(conn)
            registry.table(meta).create(conn)
            if conn.dialect.name == "postgresql":
                from webapp.services.readonly_sql import grant_reader

                grant_reader(conn, name)
    db.session.commit()


def _drop_jobs(app) -> None:
    """No job of this test runs in the next: wait for the in-process queue, empty the Redis queues."""
    from webapp.services import jobs

    backend = app.extensions.get("job_queue")
    if isinstance(backend, jobs.LocalQueue):
        backend.wait_idle(30)
    elif isinstance(backend, jobs.RedisQueue):
        for name in jobs.QUEUES:
            backend.queue(name).empty()


@pytest.fixture
def db(app):
    from webapp.extensions import db as _db

    with app.app_context():
        yield _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """make_user("a@example.com", roles=["Employee"]) -> the user's name (password "Password-1")."""

    def make(email: str = "user@example.com", roles: list[str] | None = None, password: str = "Password-1",
             full_name: str | None = None, enabled: bool = True) -> str:
        from webapp.services import users

        with app.app_context():
            user, _ = users.save_user(email, password=password, roles=roles or [], full_name=full_name,
                                      enabled=enabled)
            return user.name

    return make


@pytest.fixture
def login_as(app, client, make_user):
    """Log `client` in through the API (a non-browser session: no CSRF token needed).

    login_as("a@example.com", roles=[...]) creates the user if needed and returns the client.
    """

    def login(email: str = "user@example.com", roles: list[str] | None = None):
        if email != "Administrator":
            make_user(email, roles=roles)
        with client.session_transaction() as sess:
            sess["_user_id"] = email
            sess["_fresh"] = True
            sess["login_via"] = "api"
        return client

    return login


@pytest.fixture
def site_config(app):
    """Set site_config.json keys for a test: site_config(server_script_enabled=True)."""

    def set_keys(**values):
        for key, value in values.items():
            app.extensions["site_config"].set(key, value)

    return set_keys


@pytest.fixture
def api_keys(app, make_user):
    """api_keys(email, roles) -> {"Authorization": "token key:secret"}."""

    def make(email: str = "api@example.com", roles: list[str] | None = None) -> dict[str, str]:
        if email != "Administrator":
            make_user(email, roles=roles)
        from webapp.services import users

        with app.app_context():
            key, secret = users.generate_keys(email)
        return {"Authorization": f"token {key}:{secret}"}

    return make


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (REQUIRE_ALL_TESTS=1) a skipped test is a failure: nothing may be skipped there, except
    the ported Frappe tests of Frappe's own internals (tests/compat), whose skip reason starts with
    NOT_APPLICABLE and says why they cannot apply here."""
    if not os.environ.get("REQUIRE_ALL_TESTS") or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [r for r in (reporter.stats.get("skipped", []) if reporter else []) if not _not_applicable(r)]
    if skipped:
        reporter.write_line(f"REQUIRE_ALL_TESTS: {len(skipped)} test(s) were skipped; CI must run them all", red=True)
        session.exitstatus = 1


NOT_APPLICABLE = "not applicable: "


def _not_applicable(report) -> bool:
    longrepr = getattr(report, "longrepr", None)
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
    return "tests/compat/" in str(getattr(report, "nodeid", "")) and str(reason).startswith(f"Skipped: {NOT_APPLICABLE}")
