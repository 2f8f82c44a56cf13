"""Users: creation, authentication, passwords, API keys and password-reset links. Every change runs in
one transaction (`context.transaction()`), and the desk and the CLI share the same rules.

The desk's functions (`create_user`, `update_user`, `set_password`, ...) act for the request's user
and check that they may: a System Manager manages users, only Administrator changes Administrator,
and nobody disables themselves or takes their own System Manager role away (no lock-out).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.doctypes.meta import ALL
from webapp.errors import (
    AuthenticationError,
    DoesNotExistError,
    DuplicateEntryError,
    PermissionError,
    ValidationError,
)
from webapp.extensions import db
from webapp.models.user import ADMINISTRATOR, BUILTIN_ROLES, SYSTEM_MANAGER, HasRole, Role, User, UserAuth
from webapp.services import mail
from webapp.services.context import acting_as, acting_user, transaction
from webapp.services.mail import normalize_email

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
# zxcvbn's score (0 too guessable ... 4 very unguessable) a password needs; Frappe's site setting
# `minimum_password_score`. The default refuses only the 0s ("password", "12345678", "aaaaaaaa").
DEFAULT_MIN_PASSWORD_SCORE = 1
RESET_SALT = "password-reset"
DEFAULT_RESET_LINK_HOURS = 24
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


def check_password_strength(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    """The one password rule (CLI, desk, reset link): 8 to 256 characters, and not too guessable by
    zxcvbn's estimate (with the user's own email and name counted as known words)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long").for_fields("password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"Password must be at most {MAX_PASSWORD_LENGTH} characters long").for_fields("password")
    from zxcvbn import zxcvbn

    try:
        needed = int(current_app.extensions["site_config"].get("minimum_password_score", DEFAULT_MIN_PASSWORD_SCORE))
    except (TypeError, ValueError):
        needed = DEFAULT_MIN_PASSWORD_SCORE
    words = [w for value in user_inputs if value for w in (value, *value.replace("@", " ").replace(".", " ").split())]
    result = zxcvbn(password, user_inputs=words)
    if result["score"] < needed:
        feedback = result["feedback"]
        advice = " ".join(x for x in [feedback.get("warning"), *feedback.get("suggestions", [])] if x)
        raise ValidationError(f"Password is too easy to guess. {advice}".strip()).for_fields("password")


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
    # API secrets are random (high entropy), so a fast digest is safe and keeps token auth cheap on
    # every request; passwords get the slow scrypt hash instead.
    return hashlib.sha256(secret.encode()).hexdigest()


def _auth_row(user: User) -> UserAuth:
    row = db.session.get(UserAuth, user.name)
    if row is None:
        row = UserAuth(user=user.name)
        db.session.add(row)
    return row


def _check_roles(roles: list[str]) -> None:
    unknown = sorted(set(roles) - set(known_roles()))
    if unknown:
        raise ValidationError(
            f"Unknown role(s): {', '.join(unknown)}. Known roles: {', '.join(known_roles())}"
        ).for_fields("roles")


def save_user(
    email: str,
    password: str | None = None,
    roles: list[str] | tuple[str, ...] | None = None,
    full_name: str | None = None,
    enabled: bool | None = None,
    actor: str = ADMINISTRATOR,
    *,
    new_only: bool = False,
    set_roles: bool = False,
    without_password: bool = False,
) -> tuple[User, bool]:
    """Create the user, or update password, roles and name of an existing one. Returns (user, created).

    Roles given replace the user's roles (no roles: unchanged, unless `set_roles`); `new_only` refuses
    an email that is taken. A new user needs a password unless `without_password` (one is then set
    through a reset link)."""
    name = normalize_email(email)
    roles = list(dict.fromkeys(roles or []))
    if roles:
        _check_roles(roles)
    if full_name is not None and len(full_name.strip()) > 140:
        raise ValidationError("Full Name may be at most 140 characters long").for_fields("full_name")
    with transaction():
        user = get_user(name)
        created = user is None
        if password is not None:
            check_password_strength(password, (name, full_name or (user.full_name if user else "") or ""))
        if not created and new_only:
            raise DuplicateEntryError(f"User {name} already exists").for_fields("email")
        if created:
            if password is None and not without_password:
                raise ValidationError("A new user needs a password (--password)").for_fields("password")
            user = User(name=name, email=name, full_name=(full_name or "").strip() or name.split("@")[0],
                        enabled=1, owner=actor, modified_by=actor)
            db.session.add(user)
            db.session.flush()
        else:
            user.modified_by = actor
        if full_name and full_name.strip():
            user.full_name = full_name.strip()
        if enabled is not None:
            user.enabled = int(bool(enabled))
        if roles or set_roles:
            user.role_rows = [
                HasRole(name=secrets.token_hex(5), parent=user.name, role=r, idx=i + 1, owner=actor)
                for i, r in enumerate(roles)
            ]
        if password is not None:
            _auth_row(user).password_hash = _hash_password(password)
        elif created:
            _auth_row(user)
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


def _existing(name: str) -> User:
    user = get_user(normalize_email(name) if name != ADMINISTRATOR else name)
    if user is None:
        raise ValidationError(f"No user {name!r}; create it first with create-user")
    return user


def generate_keys(name: str) -> tuple[str, str]:
    """New API key and secret for the user (the secret is shown once, stored hashed)."""
    with transaction():
        user = _existing(name)
        row = _auth_row(user)
        if not row.api_key:
            row.api_key = secrets.token_hex(8)[:15]
        secret = secrets.token_hex(8)[:15]
        row.api_secret_hash = _hash_secret(secret)
        key = row.api_key
    return key, secret


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
    with transaction():
        user = User(name=ADMINISTRATOR, email="admin@localhost", full_name="Administrator", enabled=1,
                    owner=ADMINISTRATOR, modified_by=ADMINISTRATOR)
        db.session.add(user)
        db.session.flush()
        user.role_rows = [HasRole(name=secrets.token_hex(5), parent=ADMINISTRATOR, role="System Manager", idx=1)]
        _auth_row(user).password_hash = _hash_password(password)
    return password


# -- managing users from the desk ----------------------------------------------------------------------
def roles_of(user: str) -> set[str]:
    """The roles `user` acts with: Guest for nobody, a disabled or unknown user; else their roles
    and All (every logged-in user, as in Frappe)."""
    if user == "Guest" or not user:
        return {"Guest"}
    u = get_user(user)
    if u is None or not u.enabled:
        return {"Guest"}
    return {*u.roles, ALL}


def can_manage_users(user: str | None = None) -> bool:
    user = user or acting_user()
    return user == ADMINISTRATOR or SYSTEM_MANAGER in roles_of(user)


def _manageable(name: str, write: bool = True) -> User:
    """The user `name`, when the acting user may manage (`write`) or see them."""
    actor = acting_user()
    if not can_manage_users(actor):
        raise PermissionError(f"Not permitted: only a System Manager may manage users ({actor} is not)")
    user = get_user(name)
    if user is None:
        raise DoesNotExistError(f"User {name} not found")
    if write and user.name == ADMINISTRATOR and actor != ADMINISTRATOR:
        raise PermissionError("Not permitted: only Administrator may change Administrator")
    return user


def user_details(name: str) -> dict[str, Any]:
    """What the user form shows: the user, their roles, whether they have a password and an API key
    (never the secret), and what the acting user may change."""
    user = _manageable(name, write=False)
    auth = db.session.get(UserAuth, user.name)
    actor = acting_user()
    return {"name": user.name, "email": user.email, "full_name": user.full_name or "", "enabled": bool(user.enabled),
            "roles": [r.role for r in user.role_rows], "all_roles": known_roles(),
            "has_password": bool(auth and auth.password_hash), "api_key": auth.api_key if auth else None,
            "has_secret": bool(auth and auth.api_secret_hash),
            "editable": user.name != ADMINISTRATOR or actor == ADMINISTRATOR, "is_self": user.name == actor,
            "creation": user.creation, "modified": user.modified, "modified_by": user.modified_by}


def create_user(email: str, full_name: str, roles: list[str], password: str | None, confirm: str | None = None, *,
                send_reset_link: bool = False, base_url: str = "") -> User:
    """A new user from the desk: a password now, or (when mail is set up) an emailed link to set one."""
    actor = acting_user()
    if not can_manage_users(actor):
        raise PermissionError(f"Not permitted: only a System Manager may create users ({actor} is not)")
    if not send_reset_link and not password:
        raise ValidationError("Set a password, or choose to email a link to set one").for_fields("password")
    if not send_reset_link and confirm is not None and password != confirm:
        raise ValidationError("The two passwords are not the same").for_fields("confirm")
    with transaction():
        user, _ = save_user(email, password=None if send_reset_link else password, roles=roles,
                            full_name=full_name, actor=actor, new_only=True, set_roles=True,
                            without_password=send_reset_link)
        if send_reset_link:
            _email_reset_link(user, base_url, welcome=True)
    return user


def update_user(name: str, full_name: str, enabled: bool, roles: list[str]) -> User:
    user = _manageable(name)
    actor = acting_user()
    if user.name == ADMINISTRATOR and not enabled:
        raise ValidationError("Administrator cannot be disabled").for_fields("enabled")
    if user.name == actor and not enabled:
        raise ValidationError("You cannot disable yourself: ask another System Manager").for_fields("enabled")
    if user.name == actor and SYSTEM_MANAGER not in roles and actor != ADMINISTRATOR:
        raise ValidationError("You cannot take the System Manager role from yourself: ask another System "
                              "Manager").for_fields("roles")
    updated, _ = save_user(user.name if user.name == ADMINISTRATOR else user.email, roles=roles,
                           full_name=full_name, enabled=enabled, actor=actor, set_roles=True)
    return updated


def set_password(name: str, password: str, confirm: str | None = None) -> None:
    """A System Manager sets a user's password (the same strength rule as everywhere)."""
    user = _manageable(name)
    _set_password(user, password, confirm)


def _set_password(user: User, password: str, confirm: str | None) -> None:
    if confirm is not None and password != confirm:
        raise ValidationError("The two passwords are not the same").for_fields("confirm")
    check_password_strength(password or "", (user.name, user.email, user.full_name or ""))
    with transaction():
        _auth_row(user).password_hash = _hash_password(password)
        user.modified_by = acting_user()


def change_own_password(name: str, new: str, confirm: str) -> None:
    """The user's own new password (the caller has checked the current one: login_guard)."""
    user = get_user(name)
    if user is None:
        raise AuthenticationError("User disabled or missing")
    _set_password(user, new, confirm)


def generate_user_keys(name: str) -> tuple[str, str]:
    """From the desk: new API key and secret (the secret is shown once); the old secret stops working."""
    user = _manageable(name)
    return generate_keys(user.name)


def revoke_keys(name: str) -> None:
    """From the desk: the user's API key and secret stop working."""
    user = _manageable(name)
    with transaction():
        row = _auth_row(user)
        row.api_key = None
        row.api_secret_hash = None


# -- password-reset links ----------------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=RESET_SALT)


def _password_stamp(user: User) -> str:
    """Changes whenever the password does: a link works until the password is set (once)."""
    auth = db.session.get(UserAuth, user.name)
    return hashlib.sha256(((auth.password_hash if auth else None) or "no password").encode()).hexdigest()[:16]


def reset_link_hours() -> int:
    try:
        return max(1, int(current_app.extensions["site_config"].get("reset_password_link_expiry_hours",
                                                                      DEFAULT_RESET_LINK_HOURS)))
    except (TypeError, ValueError):
        return DEFAULT_RESET_LINK_HOURS


def reset_token(user: User) -> str:
    """A signed, expiring token for the user's reset link."""
    return _serializer().dumps([user.name, _password_stamp(user)])


def user_for_reset_token(token: str) -> User:
    """The user a reset token is for, while it is valid: signed by this site, younger than the expiry,
    and the password unchanged since it was made."""
    try:
        name, stamp = _serializer().loads(token or "", max_age=reset_link_hours() * 3600)
    except SignatureExpired:
        raise ValidationError("This link has expired; ask a System Manager for a new one") from None
    except (BadSignature, ValueError, TypeError):
        raise ValidationError("This link is not valid; check that it was copied whole") from None
    user = get_user(str(name))
    if user is None or not user.enabled or not hmac.compare_digest(str(stamp), _password_stamp(user)):
        raise ValidationError("This link was already used or is no longer valid; ask a System Manager for a new one")
    return user


def reset_password(token: str, new: str, confirm: str) -> User:
    """Set the password through a reset link; the link then stops working."""
    user = user_for_reset_token(token)
    with acting_as(user.name):
        _set_password(user, new, confirm)
    return user


def mail_configured() -> bool:
    return mail.smtp_settings() is not None


def send_reset_link(name: str, base_url: str) -> None:
    """From the desk: email the user a link to set their password (mail must be set up)."""
    user = _manageable(name)
    with transaction():
        _email_reset_link(user, base_url, welcome=False)


def _email_reset_link(user: User, base_url: str, welcome: bool) -> None:
    if not mail_configured():
        raise ValidationError(f"Email is not set up on this site, so no link can be sent: {mail.CONFIGURE_HINT}")
    if "@" not in (user.email or ""):
        raise ValidationError(f"{user.name} has no email address to send a link to")
    host = str(current_app.extensions["site_config"].get("host_name") or "").rstrip("/") or base_url.rstrip("/")
    link = f"{host}/update-password?key={reset_token(user)}"
    hours = reset_link_hours()
    what = "Your account on Server Scripts is ready" if welcome else "Set a new password for Server Scripts"
    mail.queue_email(
        recipients=[user.email], subject=what,
        message=(f"<p>Hello {_html(user.full_name or user.name)},</p>"
                 f"<p>{'An account was created for you. ' if welcome else ''}Set your password here "
                 f"(the link works once, for {hours} hours):</p><p><a href=\"{_html(link)}\">{_html(link)}</a></p>"),
        reference_doctype="User", reference_name=user.name)


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=True)
