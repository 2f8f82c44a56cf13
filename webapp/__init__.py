"""The application factory: a table of contents, no logic and no I/O at import time."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the package itself imports nothing: the script host imports parts of it alone
    from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    from flask import Flask

    from webapp.config import SiteConfig, build_config, instance_path

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=instance_path(),
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    from webapp.json_provider import FrappeJSONProvider

    app.json_provider_class = FrappeJSONProvider
    app.json = FrappeJSONProvider(app)
    app.config.update(build_config(app.instance_path, overrides))
    app.config.setdefault("MIGRATIONS_DIR", os.path.join(root, "migrations"))
    app.extensions["site_config"] = SiteConfig(os.path.join(app.instance_path, "site_config.json"))

    _init_extensions(app)
    _init_blueprints(app)

    from webapp.error_handlers import register_error_handlers

    register_error_handlers(app)

    from webapp.cli import register_cli

    register_cli(app)

    from webapp.templating import init_templating

    init_templating(app)
    _init_hooks(app)
    return app


def _init_hooks(app: Flask) -> None:
    """Who reacts to what (webapp/hooks.py): every behaviour wired into another module's work."""
    from webapp import hooks
    from webapp.customize import (
        importer,  # noqa: F401 - declares doctype.import
        registry_cache,
    )
    from webapp.customize.controllers import CustomFieldController, DocTypeController, PropertySetterController
    from webapp.doctypes import registry
    from webapp.documents.document import Document
    from webapp.runtime import api, logs, permission_query, script_jobs, scripts, transport
    from webapp.runtime.server_script import ServerScriptController
    from webapp.script_api import parent
    from webapp.services import (
        client,  # noqa: F401 - declares frappe.client.* and ping
        documents,
    )
    from webapp.services.roles import RoleController

    wiring = hooks.init_app(app)
    wiring.controllers["Server Script"] = ServerScriptController()
    wiring.controllers["Role"] = RoleController()
    wiring.controllers["DocType"] = DocTypeController()
    wiring.controllers["Custom Field"] = CustomFieldController()
    wiring.controllers["Property Setter"] = PropertySetterController()
    wiring.doctype_source = registry_cache.current  # user doctypes and customizations, per app
    wiring.doc_listeners.append(scripts.on_document_event)
    wiring.permission_queries.append(permission_query.conditions_for)
    wiring.before_read["Server Script Log"] = logs.flush_for_read
    wiring.method_fallbacks.append(api.handle)
    wiring.script_ops.update(run_script=api.run_script_op, call=api.call_op, enqueue=script_jobs.enqueue_op)
    # Process-wide and the same for every app: what a document's save() hands over to, and how the
    # script side's calls reach the app when scripts run in this worker.
    Document.use_lifecycle(documents, registry.get)
    parent.connect(transport.inline_call)


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
    from webapp.blueprints.auth.blueprint import bp as auth_bp
    from webapp.blueprints.desk.blueprint import bp as desk_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(api_bp)
