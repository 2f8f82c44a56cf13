"""Configuration: environment variables, the instance folder and its `site_config.json`.

Nothing here runs at import time; `build_config()` is called by the factory.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

SITE_CONFIG_DEFAULTS: dict[str, Any] = {
    "server_script_enabled": False,
    "server_script_timeout": 5,
    "server_script_max_memory_mb": 128,
    "server_script_isolation": "process",
}


class Config:
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # CSRF is checked explicitly for browser sessions only (see blueprints/auth/csrf.py), as in Frappe.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_HEADERS = ["X-Frappe-CSRF-Token", "X-CSRFToken"]
    WTF_CSRF_TIME_LIMIT = None
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_RATE_LIMIT = "10 per minute"
    TRUSTED_PROXIES = 0
    # Werkzeug's default (scrypt) in production; tests use a cheap method to stay fast.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password
    JSON_SORT_KEYS = False


def instance_path() -> str:
    return os.path.abspath(os.environ.get("WEBAPP_INSTANCE_PATH") or "instance")


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting together agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return path.read_text().strip()


def build_config(instance: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    inst = Path(instance)
    inst.mkdir(parents=True, exist_ok=True)
    cfg: dict[str, Any] = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    cfg["SECRET_KEY"] = _secret_key(inst)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{inst / 'site.sqlite3'}"
    cfg["SQLALCHEMY_DATABASE_URI"] = url
    redis_url = os.environ.get("REDIS_URL") or None
    cfg["REDIS_URL"] = redis_url
    if redis_url:
        cfg["RATELIMIT_STORAGE_URI"] = redis_url
    cfg["TRUSTED_PROXIES"] = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    cfg.update(overrides or {})
    if str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # One connection per thread and a busy timeout: SQLite serialises writers.
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    return cfg


class SiteConfig:
    """`site_config.json` in the instance folder, re-read when its mtime changes.

    A `set-config` in one process is seen by every worker on its next request without a restart;
    the cost per request is one stat() call.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._data: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return {}
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            with self._lock:
                try:
                    with open(self.path, encoding="utf-8") as fh:
                        data = json.load(fh)
                except (OSError, ValueError):
                    # A half-written or hand-broken file: keep the last good values.
                    return self._data
                self._data = data if isinstance(data, dict) else {}
                self._stamp = stamp
        return self._data

    def get(self, key: str, default: Any = None) -> Any:
        data = self._load()
        if key in data:
            return data[key]
        return SITE_CONFIG_DEFAULTS.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        return {**SITE_CONFIG_DEFAULTS, **self._load()}

    def set(self, key: str, value: Any) -> None:
        data = dict(self._load())
        data[key] = value
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, self.path)  # atomic: readers never see half a file


def parse_config_value(value: str) -> Any:
    """Like `bench set-config`: JSON when it parses (`true`, `5`, `"x"`), else the plain string."""
    try:
        return json.loads(value)
    except ValueError:
        return value
