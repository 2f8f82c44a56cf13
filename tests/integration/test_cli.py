"""The CLI as the README describes it, including bad input and exit codes."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args))

    return run


def test_init_db_is_idempotent(cli, db):
    r = cli("init-db")
    assert r.exit_code == 0, r.output
    assert "Database is up to date" in r.output
    assert "password" not in r.output  # Administrator exists already: no new password printed
    from webapp.services.users import known_roles

    assert {"System Manager", "Expense Approver", "Employee"} <= set(known_roles())


def test_init_db_creates_administrator_once_with_working_password(cli, db, client):
    from webapp.models import User, UserAuth

    db.session.delete(db.session.get(UserAuth, "Administrator"))
    db.session.delete(db.session.get(User, "Administrator"))
    db.session.commit()
    r = cli("init-db")
    assert r.exit_code == 0
    password = [line.split(":", 1)[1].strip() for line in r.output.splitlines() if "password:" in line][0]
    login = client.post("/api/method/login", data={"usr": "Administrator", "pwd": password})
    assert login.status_code == 200
    assert "password:" not in cli("init-db").output


def test_create_user_then_login(cli, client):
    r = cli("create-user", "New.Person@Example.com", "--password", "Strong-pass-1", "--role", "Employee",
            "--full-name", "New Person")
    assert r.exit_code == 0, r.output
    assert "Created user New.Person@example.com" in r.output
    assert client.post("/api/method/login", data={"usr": "New.Person@example.com", "pwd": "Strong-pass-1"}).status_code == 200


def test_create_user_updates_existing(cli, client, db):
    cli("create-user", "ann@example.com", "--password", "First-pass-1")
    r = cli("create-user", "ann@example.com", "--password", "Second-pass-2", "--role", "System Manager")
    assert r.exit_code == 0 and "Updated user" in r.output
    assert client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "First-pass-1"}).status_code == 401
    assert client.post("/api/method/login", data={"usr": "ann@example.com", "pwd": "Second-pass-2"}).status_code == 200
    from webapp.services.users import get_user

    assert get_user("ann@example.com").roles == ["System Manager"]


@pytest.mark.parametrize(
    "args,message",
    [
        (("not-an-email", "--password", "Strong-pass-1"), "Invalid email address"),
        (("ann@example.com",), "needs a password"),
        (("ann@example.com", "--password", "short"), "at least 8 characters"),
        (("ann@example.com", "--password", "Strong-pass-1", "--role", "Wizard"), "Unknown role(s): Wizard"),
    ],
)
def test_create_user_bad_input(cli, db, args, message):
    r = cli("create-user", *args)
    assert r.exit_code != 0
    assert message in r.output
    from webapp.services.users import get_user

    assert get_user("ann@example.com") is None  # nothing half-written


def test_generate_keys_prints_key_secret_last(cli, client, make_user):
    make_user("ann@example.com")
    r = cli("generate-keys", "ann@example.com")
    assert r.exit_code == 0
    keys = r.output.strip().splitlines()[-1]
    assert keys.count(":") == 1
    headers = {"Authorization": f"token {keys}"}
    assert client.get("/api/method/frappe.auth.get_logged_user", headers=headers).get_json()["message"] == "ann@example.com"


def test_generate_keys_unknown_user(cli, db):
    r = cli("generate-keys", "ghost@example.com")
    assert r.exit_code != 0 and "No user" in r.output


@pytest.mark.parametrize("raw,parsed", [("true", True), ("5", 5), ("hello", "hello"), ('{"a": 1}', {"a": 1})])
def test_set_config_reads_json_when_it_parses(cli, app, raw, parsed):
    r = cli("set-config", "some_key", raw)
    assert r.exit_code == 0
    with open(app.extensions["site_config"].path) as fh:
        assert json.load(fh)["some_key"] == parsed


def test_set_config_change_is_seen_without_restart(cli, app, client, login_as):
    login_as("boss@example.com", roles=["System Manager"])
    assert "server_script_timeout" in client.get("/app/system-settings").get_data(as_text=True)
    cli("set-config", "server_script_timeout", "9")
    assert app.extensions["site_config"].get("server_script_timeout") == 9
    assert "9" in client.get("/app/system-settings").get_data(as_text=True)


def test_every_command_has_help(app, cli):
    # Every command the app registers, not a list kept by hand: a new command without help fails.
    commands = sorted(name for name in app.cli.list_commands(None) if name not in ("routes", "shell", "run", "db"))
    assert {"init-db", "create-user", "generate-keys", "set-config", "scheduler", "worker"} <= set(commands)
    for command in commands:
        r = cli(command, "--help")
        assert r.exit_code == 0 and "Usage" in r.output, command
        summary = app.cli.get_command(None, command).get_short_help_str()
        assert summary.strip(), f"flask --app wsgi {command} has no help text"
