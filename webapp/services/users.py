"""Users: creation, authentication, API keys. Owns its transactions."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.errors import AuthenticationError, ValidationError
from webapp.extensions import db
from webapp.models.user import ADMINISTRATOR, BUILTIN_ROLES, HasRole, Role, User, UserAuth

MIN_PASSWORD_LENGTH = 8
# Werkzeug's scrypt hash is deliberately slow; a dummy hash keeps the time of a login with an
# unknown user close to one with a wrong password (no user enumeration by timing).
_DUMMY_HASHES: dict[str, str] = {}


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]


def normalize_email(email: str) -> str:
    email = (email or "").strip()
    if email == ADMINISTRATOR:
        return email
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(f"Invalid email address {email!r}: {exc}") from None


def known_roles() -> list[str]:
    return list(db.session.scalars(select(Role.name).order_by(Role.name)))


def ensure_builtin_roles() -> None:
    have = set(known_roles())
    for role in BUILTIN_ROLES:
        if role not in have:
            db.session.add(Role(name=role, role_name=role, owner=ADMINISTRATOR, modified_by=ADMINISTRATOR))


def get_user(name: str) -> User | None:
    if not name:
        return None
    return db.session.get(User, name)


def _hash_secret(secret: str) -> str:
    # API secrets are 30 random characters (high entropy), so a fast keyed digest is safe and keeps
    # token auth cheap on every request; passwords get the slow scrypt hash instead.
    return hashlib.sha256(secret.encode()).hexdigest()


def _auth_row(user: User) -> UserAuth:
    row = db.session.get(UserAuth, user.name)
    if row is None:
        row = UserAuth(user=user.name)
        db.session.add(row)
    return row


def save_user(
    email: str,
    password: str | None = None,
    roles: list[str] | tuple[str, ...] | None = None,
    full_name: str | None = None,
    enabled: bool | None = None,
    actor: str = ADMINISTRATOR,
) -> tuple[User, bool]:
    """Create the user, or update password, roles and name of an existing one. Returns (user, created)."""
    name = normalize_email(email)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long")
    roles = list(dict.fromkeys(roles or []))
    if roles:
        unknown = sorted(set(roles) - set(known_roles()))
        if unknown:
            raise ValidationError(
                f"Unknown role(s): {', '.join(unknown)}. Known roles: {', '.join(known_roles())}"
            )
    try:
        user = get_user(name)
        created = user is None
        if created:
            if password is None:
                raise ValidationError("A new user needs a password (--password)")
            user = User(name=name, email=name, full_name=full_name or name.split("@")[0],
                        enabled=1, owner=actor, modified_by=actor)
            db.session.add(user)
            db.session.flush()
        else:
            user.modified_by = actor
        if full_name:
            user.full_name = full_name
        if enabled is not None:
            user.enabled = int(bool(enabled))
        if roles:
            user.role_rows = [
                HasRole(name=secrets.token_hex(5), parent=user.name, role=r, idx=i + 1, owner=actor)
                for i, r in enumerate(roles)
            ]
        if password is not None:
            _auth_row(user).password_hash = _hash_password(password)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user, created


def authenticate(usr: str, pwd: str) -> User:
    """The user for these credentials, or AuthenticationError (same message for every failure)."""
    usr = (usr or "").strip()
    user = get_user(usr) if usr else None
    if user is None and usr and "@" in usr:
        user = get_user(usr.lower())
    auth = db.session.get(UserAuth, user.name) if user else None
    ok = check_password_hash(auth.password_hash if auth and auth.password_hash else _dummy_hash(), pwd or "")
    if not (user and auth and auth.password_hash and ok):
        raise AuthenticationError("Invalid login credentials")
    if not user.enabled:
        raise AuthenticationError("User disabled or missing")
    return user


def generate_keys(name: str) -> tuple[str, str]:
    """New API key and secret for the user (the secret is shown once, stored hashed)."""
    user = get_user(normalize_email(name) if name != ADMINISTRATOR else name)
    if user is None:
        raise ValidationError(f"No user {name!r}; create it first with create-user")
    try:
        row = _auth_row(user)
        if not row.api_key:
            row.api_key = secrets.token_hex(8)[:15]
        secret = secrets.token_hex(8)[:15]
        row.api_secret_hash = _hash_secret(secret)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return row.api_key, secret


def user_for_token(api_key: str, api_secret: str) -> User:
    row = db.session.scalar(select(UserAuth).where(UserAuth.api_key == api_key)) if api_key else None
    expected = row.api_secret_hash if row and row.api_secret_hash else _hash_secret(secrets.token_hex(8))
    if not (row and hmac.compare_digest(expected, _hash_secret(api_secret or ""))):
        raise AuthenticationError("Invalid API key or secret")
    user = get_user(row.user)
    if user is None or not user.enabled:
        raise AuthenticationError("User disabled or missing")
    return user


def ensure_administrator() -> str | None:
    """Create Administrator if missing; returns its generated password (to print once) or None."""
    if get_user(ADMINISTRATOR) is not None:
        return None
    password = secrets.token_urlsafe(12)
    try:
        user = User(name=ADMINISTRATOR, email="admin@localhost", full_name="Administrator", enabled=1,
                    owner=ADMINISTRATOR, modified_by=ADMINISTRATOR)
        db.session.add(user)
        db.session.flush()
        user.role_rows = [HasRole(name=secrets.token_hex(5), parent=ADMINISTRATOR, role="System Manager", idx=1)]
        _auth_row(user).password_hash = _hash_password(password)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return password
