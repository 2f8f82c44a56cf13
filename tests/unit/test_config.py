import json
import os
import time

from webapp.config import SITE_CONFIG_DEFAULTS, SiteConfig, build_config, parse_config_value


def test_site_config_defaults_and_reload_on_change(tmp_path):
    conf = SiteConfig(str(tmp_path / "site_config.json"))
    assert conf.get("server_script_enabled") is False
    assert conf.get("server_script_timeout") == 5
    conf.set("server_script_enabled", True)
    assert conf.get("server_script_enabled") is True
    # Another process writes the file: the next read sees it.
    time.sleep(0.01)
    (tmp_path / "site_config.json").write_text(json.dumps({"server_script_enabled": False, "x": 1}))
    assert conf.get("server_script_enabled") is False and conf.get("x") == 1


def test_broken_site_config_keeps_last_good_values(tmp_path):
    path = tmp_path / "site_config.json"
    conf = SiteConfig(str(path))
    conf.set("server_script_timeout", 3)
    assert conf.get("server_script_timeout") == 3
    path.write_text("{not json")
    assert conf.get("server_script_timeout") == 3


def test_parse_config_value():
    assert parse_config_value("true") is True
    assert parse_config_value("5") == 5
    assert parse_config_value("abc") == "abc"


def test_secret_key_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = build_config(str(tmp_path))
    second = build_config(str(tmp_path))
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) >= 32
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'site.sqlite3'}"
    assert oct(os.stat(tmp_path / "secret_key").st_mode & 0o777) == "0o600"


def test_env_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "abc")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h:5432/d")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    cfg = build_config(str(tmp_path))
    assert cfg["SECRET_KEY"] == "abc"
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_defaults_match_contract():
    # (the suite's inline run sets the isolation default itself: tests/conftest.py)
    isolation = os.environ.get("TEST_SCRIPT_ISOLATION") or "process"
    assert SITE_CONFIG_DEFAULTS == {"server_script_enabled": False, "server_script_timeout": 5,
                                    "server_script_max_memory_mb": 128, "server_script_isolation": isolation}
