"""Template globals: the current user, CSRF token and navigation."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user


def init_templating(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict:
        return {"current_user": current_user, "site_config": app.extensions["site_config"]}
