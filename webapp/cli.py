"""`flask --app wsgi <command>`: init-db, create-user, generate-keys, set-config, import-doctypes,
worker, send-email, scheduler."""

from __future__ import annotations

import click
from flask import Flask, current_app

from webapp.config import parse_config_value
from webapp.errors import FrappeError


def _fail(exc: Exception) -> None:
    raise click.ClickException(str(exc.args[0] if isinstance(exc, FrappeError) and exc.args else exc))


def init_db() -> str | None:
    """Create or upgrade the schema and seed roles and Administrator; idempotent."""
    from flask_migrate import upgrade

    from webapp.customize import registry_cache
    from webapp.extensions import db
    from webapp.services import schema, users

    upgrade(directory=current_app.config["MIGRATIONS_DIR"])
    schema.sync_doctype_tables()
    registry_cache.write_builtin_rows()
    users.ensure_builtin_roles()
    db.session.commit()
    return users.ensure_administrator()


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create or upgrade the schema, the built-in roles and the Administrator user."""
        try:
            password = init_db()
        except Exception as exc:  # noqa: BLE001 - report any failure as a clear CLI error
            _fail(exc)
        click.echo("Database is up to date.")
        if password:
            click.echo("Created user Administrator. Log in with:")
            click.echo("  user:     Administrator")
            click.echo(f"  password: {password}")
            click.echo("(shown only once; change it in the desk, or with: "
                       ".venv/bin/flask --app wsgi create-user Administrator --password ...)")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--password", help="Password (at least 8 characters). Required for a new user.")
    @click.option("--role", "roles", multiple=True, help="Role to give (repeatable), e.g. --role 'System Manager'.")
    @click.option("--full-name", help="Full name shown in the desk.")
    def create_user_command(email: str, password: str | None, roles: tuple[str, ...], full_name: str | None) -> None:
        """Create the user EMAIL, or update password and roles of an existing one."""
        from webapp.services import users

        try:
            user, created = users.save_user(email, password=password, roles=list(roles), full_name=full_name)
        except FrappeError as exc:
            _fail(exc)
        click.echo(f"{'Created' if created else 'Updated'} user {user.name} with roles: {', '.join(user.roles) or '-'}")

    @app.cli.command("generate-keys")
    @click.argument("email")
    def generate_keys_command(email: str) -> None:
        """Print api_key:api_secret for the user (token auth); the secret is shown only now."""
        from webapp.services import users

        try:
            key, secret = users.generate_keys(email)
        except FrappeError as exc:
            _fail(exc)
        click.echo(f"{key}:{secret}")

    @app.cli.command("set-config")
    @click.argument("key")
    @click.argument("value")
    def set_config_command(key: str, value: str) -> None:
        """Write KEY into site_config.json; VALUE is JSON when it parses (true, 5), else a string."""
        if not key.strip():
            raise click.ClickException("KEY must not be empty")
        parsed = parse_config_value(value)
        current_app.extensions["site_config"].set(key, parsed)
        click.echo(f"Set {key} = {parsed!r} in {current_app.extensions['site_config'].path}")

    @app.cli.command("import-doctypes")
    @click.argument("paths", nargs=-1, required=True)
    @click.option("--dry-run", is_flag=True, help="Report what would change; keep nothing.")
    def import_doctypes_command(paths: tuple[str, ...], dry_run: bool) -> None:
        """Import Frappe's doctype JSON files and custom_field.json / property_setter.json fixtures
        (PATHS: files, or folders searched for doctype/<name>/<name>.json and those fixtures)."""
        from webapp.customize import importer
        from webapp.services.context import acting_as

        try:
            with acting_as("Administrator"):
                outcomes = importer.import_documents(importer.collect(paths), dry_run=dry_run)
        except FrappeError as exc:
            _fail(exc)
        for o in outcomes:
            click.echo(f"{o.status}: {o.doctype} {o.name}")
            if o.ignored:
                click.echo(f"  ignored (not used here): {', '.join(o.ignored)}")
            for note in o.notes:
                click.echo(f"  {note}")
        counts = {s: sum(o.status == s for o in outcomes) for s in ("created", "updated", "unchanged", "skipped")}
        click.echo(("Dry run, nothing kept: " if dry_run else "") + ", ".join(f"{n} {s}" for s, n in counts.items()))

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
    @click.option("--queue", "queues", multiple=True, type=click.Choice(["default", "short", "long"]),
                  help="Queue to take jobs from (repeatable; default: all three).")
    def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
        """Run background jobs (frappe.enqueue, email) from the Redis queue (REDIS_URL)."""
        from webapp.services import jobs

        try:
            ran = jobs.run_worker(list(queues) or None, burst=burst)
        except FrappeError as exc:
            _fail(exc)
        if burst:
            click.echo("Ran the waiting jobs." if ran else "No jobs were waiting.")

    @app.cli.command("send-email")
    def send_email_command() -> None:
        """Send queued email (Email Queue rows that are Not Sent and due) now, through the configured server."""
        from webapp.services import mail

        if mail.smtp_settings() is None:
            raise click.ClickException(f"No mail server is configured: {mail.CONFIGURE_HINT}. "
                                       f"{mail.pending_count()} email(s) waiting.")
        result = mail.send_pending()
        click.echo(f"Sent {result['sent']}, failed {result['failed']}, still waiting {mail.pending_count()}.")

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run the Scheduler Event scripts that are due now, then exit (for cron).")
    def scheduler_command(once: bool) -> None:
        """Run Scheduler Event Server Scripts when their period comes round (every minute; --once: now)."""
        from webapp.runtime import scheduler

        if once:
            _report_tick(scheduler.run_due(), quiet_when_idle=False)
            return
        import signal
        import threading

        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        click.echo("Scheduler started: checking Scheduler Event scripts every minute (Ctrl+C to stop).")
        state: dict = {"enabled": None, "skipped": set()}

        def report(tick) -> None:
            if tick.enabled != state["enabled"]:  # said once each time the switch changes
                state["enabled"] = tick.enabled
                if not tick.enabled:
                    click.echo(_disabled_message())
            fresh = [name for name in tick.skipped if name not in state["skipped"]]
            state["skipped"] = set(tick.skipped)
            tick.skipped = fresh
            _report_tick(tick, quiet_when_idle=True)

        scheduler.run_forever(report, stop)
        click.echo("Scheduler stopped.")


def _disabled_message() -> str:
    from webapp.services.script_settings import ENABLE_HINT

    return f"No Scheduler Event script runs: {ENABLE_HINT}"


def _report_tick(tick, quiet_when_idle: bool) -> None:
    if not tick.enabled:
        if not quiet_when_idle:
            click.echo(_disabled_message())
        return
    for name in tick.skipped:
        click.echo(f"Skipped {name}: it has no usable Event Frequency / Cron Format", err=True)
    for o in tick.ran:
        detail = f": {o.error}" if o.error else ""
        click.echo(f"{o.status}: {o.script} ({o.trigger}, period {o.period:%Y-%m-%d %H:%M}){detail}")
    if not tick.ran and not quiet_when_idle:
        click.echo("No Scheduler Event script was due.")
