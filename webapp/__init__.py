"""The application factory: a table of contents, no logic and no I/O at import time."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    from webapp.config import SiteConfig, build_config, instance_path

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=instance_path(),
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    from webapp.jsonenc import FrappeJSONProvider

    app.json_provider_class = FrappeJSONProvider
    app.json = FrappeJSONProvider(app)
    app.config.update(build_config(app.instance_path, overrides))
    app.config.setdefault("MIGRATIONS_DIR", os.path.join(root, "migrations"))
    app.extensions["site_config"] = SiteConfig(os.path.join(app.instance_path, "site_config.json"))

    _init_extensions(app)
    _init_blueprints(app)

    from webapp.errors import register_error_handlers

    register_error_handlers(app)

    from webapp.cli import register_cli

    register_cli(app)

    from webapp.templating import init_templating

    init_templating(app)
    _init_runtime()
    return app


def _init_runtime() -> None:
    """Server Scripts listen to every document event, filter lists (Permission Query) and answer
    unknown /api/method names."""
    from webapp.blueprints.api import views as api_views
    from webapp.documents import store
    from webapp.runtime import events, logs, permission_query, scripts
    from webapp.services import documents

    events.subscribe(scripts.on_document_event)
    if permission_query.conditions_for not in documents.permission_query_hooks:
        documents.permission_query_hooks.append(permission_query.conditions_for)
    store.before_read["Server Script Log"] = logs.flush_for_read
    if scripts.handle_api not in api_views.fallback_handlers:
        api_views.fallback_handlers.append(scripts.handle_api)


def _init_extensions(app: Flask) -> None:
    from webapp.extensions import csrf, db, limiter, login_manager, migrate

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    import webapp.models  # noqa: F401 - register the ORM tables on the metadata

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from webapp.blueprints.auth.session import init_app as init_auth

    init_auth(app)


def _tune_sqlite(engine) -> None:
    """WAL lets readers run beside the one writer; synchronous=NORMAL is durable in WAL mode except
    for the last commits on power loss, and makes a commit cheap (no fsync per commit)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def _init_blueprints(app: Flask) -> None:
    from webapp.blueprints.api import bp as api_bp
    from webapp.blueprints.auth import bp as auth_bp
    from webapp.blueprints.desk import bp as desk_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(api_bp)
