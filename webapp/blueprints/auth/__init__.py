"""Authentication: the login page, session and token auth, CSRF policy."""

from webapp.blueprints.auth import views  # noqa: F401 - each registers its routes on bp
from webapp.blueprints.auth.blueprint import bp

__all__ = ["bp"]
