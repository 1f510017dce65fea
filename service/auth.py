"""Staff sign-in: sessions, CSRF, the login rate limit, cookie flags, roles, API tokens.

:func:`init_app` (called by :func:`service.create_app`) sets up, per app:

* Flask-Login sessions, users loaded from the store on each request. A session names the
  user and a fingerprint of the password hash, so changing a password, or suspending the
  user, signs the user out everywhere.
* Flask-WTF CSRF on every unsafe request (POST, PUT, PATCH, DELETE), except JSON API calls
  authenticated by a bearer token: a browser cannot attach that header to a cross-site
  request, and those calls never read the session cookie.
* Flask-Limiter on ``POST /login``: failed attempts are counted per client address
  (``LOGIN_RATE_LIMIT``) and per account (``LOGIN_ACCOUNT_RATE_LIMIT``); past either, the
  answer is 429 with ``Retry-After``. Counters live in ``RATELIMIT_STORAGE_URI``:
  ``memory://`` (one process: development) or e.g. ``redis://host:6379`` so that every
  gunicorn worker and host shares them.
* Server-side sessions (:mod:`service.shared`): with ``REDIS_URL``, each sign-in gets a
  session id in Redis, checked on every request, so signing out ends the session on every
  worker. Redis unreachable: sessions count as signed out and sign-in answers 503 (the
  attempt counters cannot be kept, so sign-in fails closed); peers are unaffected.
* Cookie flags: ``HttpOnly``, ``SameSite=Lax``, and ``Secure`` unless the app is in debug or
  testing mode (``COMMONGROUND_SECURE_COOKIES=0`` turns it off for plain-HTTP hosts).

Settings (``app.config`` first, then the environment, then the default):

``RATELIMIT_STORAGE_URI``
    ``REDIS_URL`` when set, else ``memory://``. Where rate-limit counters live.
``COMMONGROUND_LOGIN_RATE_LIMIT``
    ``5 per minute; 20 per hour``. Failed sign-ins allowed per client address.
``COMMONGROUND_LOGIN_ACCOUNT_RATE_LIMIT``
    ``10 per hour``. Failed sign-ins allowed per account (email).
``COMMONGROUND_SECURE_COOKIES``
    ``auto``: Secure cookies unless debug/testing; ``1`` always; ``0`` never.

Passwords are hashed with werkzeug (scrypt). API tokens are random, shown once, and stored
as a SHA-256 digest (a token has 256 bits of entropy, so a slow hash adds nothing).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import secrets
import time
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_limiter import Limiter
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from service.shared import SESSION_KEY
from service.shared import SharedStateError
from service.shared import limiter_storage_options
from service.shared import sessions_for
from store.models import ROLES
from store.users import demo_users
from store.users import find_user_by_email
from store.users import get_user

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask
    from flask.typing import ResponseReturnValue

    from store import Store
    from store.users import StaffUser

bp = Blueprint("auth", __name__)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "cg"  # noqa: S105 - a label, not a secret
#: Blueprints whose views authenticate by bearer token only (never by session cookie).
TOKEN_BLUEPRINTS = frozenset({"api_partner"})
DEFAULTS = {
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", "memory://"),
    "LOGIN_RATE_LIMIT": ("COMMONGROUND_LOGIN_RATE_LIMIT", "5 per minute; 20 per hour"),
    "LOGIN_ACCOUNT_RATE_LIMIT": ("COMMONGROUND_LOGIN_ACCOUNT_RATE_LIMIT", "10 per hour"),
    "SECURE_COOKIES": ("COMMONGROUND_SECURE_COOKIES", "auto"),
}
#: The demo accounts ``commonground demo`` creates (documented in the README; demo only).
DEMO_ACCOUNTS: tuple[dict[str, str], ...] = (
    {"email": "admin@demo.commonground.example", "password": "demo-admin-pass",
     "role": "admin"},
    {"email": "hotspot@demo.commonground.example", "password": "demo-hotspot-pass",
     "role": "hotspot_lead"},
    {"email": "partner@demo.commonground.example", "password": "demo-partner-pass",
     "role": "association"},
)
ROLE_LABELS = {"admin": "Admin", "hotspot_lead": "Hotspot lead", "association": "Partner"}


# --------------------------------------------------------------------- passwords, tokens


def check_password_strength(password: str) -> None:
    """Raise :class:`ValueError` (without echoing it) unless ``password`` is acceptable."""
    # Spaces around a password do not make it stronger, so they are not counted.
    if not isinstance(password, str) or len(password.strip()) < MIN_PASSWORD_LENGTH:
        msg = (f"password is too short: use at least {MIN_PASSWORD_LENGTH} characters, "
               "not counting spaces at either end")
        raise ValueError(msg)
    if len(password) > MAX_PASSWORD_LENGTH:
        msg = f"password is too long: use at most {MAX_PASSWORD_LENGTH} characters"
        raise ValueError(msg)


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` (checked for strength first)."""
    check_password_strength(password)
    return generate_password_hash(password)


@functools.cache
def _dummy_hash() -> str:
    # Checked against when the email is unknown, so both answers take the same time.
    return generate_password_hash(secrets.token_hex(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; takes as long for a missing user as for a wrong one."""
    if not password or len(password) > MAX_PASSWORD_LENGTH:
        check_password_hash(_dummy_hash(), "x")
        return False
    return check_password_hash(password_hash or _dummy_hash(), password) and bool(password_hash)


def new_api_token(user_id: int) -> tuple[str, str]:
    """A new API token for the user and the digest to store: ``(token, token_hash)``."""
    token = f"{TOKEN_PREFIX}_{int(user_id)}_{secrets.token_urlsafe(32)}"
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_for_token(store: Store, token: str) -> StaffUser | None:
    """The active user a bearer token belongs to, or ``None``.

    The token names its user (``cg_<id>_<secret>``), so the check is one primary-key read
    and a constant-time comparison of digests.
    """
    parts = str(token or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1].isdigit():  # noqa: PLR2004
        return None
    user = get_user(store, int(parts[1]))
    if user is None or not user.active or not user.api_token_hash:
        return None
    if not hmac.compare_digest(user.api_token_hash, token_digest(token)):
        return None
    return user


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


# -------------------------------------------------------------------------- the session


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


class CurrentUser(UserMixin):
    """The signed-in staff user, as Flask-Login sees it."""

    def __init__(self, user: StaffUser) -> None:
        self.user = user
        self.id = user.id
        self.email = user.email
        self.role = user.role
        self.organisation_id = user.organisation_id
        self.association_id = user.association_id
        self.organisation = user.organisation
        self.association = user.association

    @property
    def is_active(self) -> bool:
        """Suspended users cannot sign in."""
        return self.user.active

    @property
    def role_label(self) -> str:
        """The role in plain words."""
        return ROLE_LABELS.get(self.role, self.role)

    def get_id(self) -> str:
        """``<id>:<fingerprint of the password hash>``: a new password ends old sessions."""
        return f"{self.user.id}:{_fingerprint(self.user.password_hash)}"


def _store() -> Store:
    from service import get_store  # noqa: PLC0415 - avoids an import cycle with create_app

    return get_store(current_app)


def _load_user(session_id: str) -> CurrentUser | None:
    user_id, _, fingerprint = str(session_id).partition(":")
    if not user_id.isdigit():
        return None
    user = get_user(_store(), int(user_id))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(fingerprint, _fingerprint(user.password_hash)):
        return None
    registry = sessions_for(current_app)
    if registry.shared:
        try:
            if not registry.is_valid(session.get(SESSION_KEY), user.id):
                return None  # signed out (or revoked) on some worker
        except SharedStateError:
            # Cannot confirm the session: fail closed, as signed out.
            current_app.logger.debug("session check skipped: Redis unreachable")
            return None
    return CurrentUser(user)


def _unauthorized() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        from service.views import error_body  # noqa: PLC0415

        body = error_body(401, "Unauthorized", "sign in, or send Authorization: Bearer <token>")
        return jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="commonground"'}
    target = request.full_path if request.method == "GET" else request.path
    flash("Please sign in to see that page.", "info")
    return redirect(url_for("auth.login", next=target.rstrip("?")))


def home_for(user: Any) -> str:
    """Where a user lands after signing in: their role's first page."""
    endpoints = {"admin": ("admin.index",), "association": ("partner.index",),
                 "hotspot_lead": ("hotspots.dashboard", "hotspots.index")}
    for endpoint in endpoints.get(getattr(user, "role", ""), ()):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return "/"


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else ``None`` (no open redirects).

    >>> safe_next("/partner/?status=open"), safe_next("//evil.example/"), safe_next("https://x")
    ('/partner/?status=open', None, None)
    """
    if not target or not isinstance(target, str) or len(target) > 2000:  # noqa: PLR2004
        return None
    if any(c in target for c in "\\\r\n\t") or not target.startswith("/"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


# ---------------------------------------------------------------------------- roles


def _check_roles(roles: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        msg = f"roles {roles!r}: choose one or more of {', '.join(ROLES)}"
        raise ValueError(msg)
    return roles


def enforce_role(*roles: str) -> ResponseReturnValue | None:
    """``None`` when the signed-in user has one of ``roles``; else the answer to give.

    Not signed in: a redirect to the sign-in page (401 JSON under ``/api``). Signed in with
    another role: 403. Use it as a blueprint's ``before_request`` so that every route of
    the blueprint is covered, or through :func:`role_required` on one view.
    """
    _check_roles(roles)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    if current_user.role not in roles:
        names = " or ".join(ROLE_LABELS.get(r, r) for r in roles)
        abort(403, description=f"This page is for {names} accounts; you are signed in as "
                               f"{current_user.role_label}.")
    return None


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view so that only signed-in users with one of ``roles`` reach it.

    Parameters
    ----------
    *roles
        Among ``admin``, ``hotspot_lead``, ``association``.

    Returns
    -------
    callable
        The decorator.
    """
    _check_roles(roles)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            refused = enforce_role(*roles)
            if refused is not None:
                return refused
            return view(*args, **kwargs)

        return wrapped

    return decorator


# ------------------------------------------------------------------------------- views


def _demo_accounts() -> list[dict[str, str]]:
    """Demo accounts to list on the sign-in page: only those stored, with demo data."""
    stored = {u.email for u in demo_users(_store()) if u.active}
    return [a | {"label": ROLE_LABELS[a["role"]]} for a in DEMO_ACCOUNTS if a["email"] in stored]


def _render_login(status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template("auth/login.html", demo_accounts=_demo_accounts(),
                           next=safe_next(request.values.get("next")) or "",
                           **context), status


def _warn_random_secret_key() -> None:
    app = current_app
    if app.config.get("SECRET_KEY_IS_RANDOM") and not app.testing and \
            not app.extensions.get("commonground.warned_secret_key"):
        app.extensions["commonground.warned_secret_key"] = True
        app.logger.warning(
            "SECRET_KEY is not set: sessions and CSRF tokens are signed with a key made up by "
            "this process, so staff are signed out on restart and sign-in fails across "
            "several workers. Set SECRET_KEY (the same on every worker).")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with email and password; failed attempts are rate-limited."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")) or home_for(current_user))
        return _render_login()
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")
    user = find_user_by_email(_store(), email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        g.login_failed = True
        current_app.logger.info("failed sign-in for an account (%s)",
                                "known" if user else "unknown")
        return _render_login(401, email=email,
                             error="That email and password do not match an active account.")
    _warn_random_secret_key()
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    sid = sessions_for(current_app).create(user.id, int(lifetime))
    login_user(CurrentUser(user))
    if sid:
        session[SESSION_KEY] = sid
    session.permanent = True
    flash(f"Signed in as {user.email}.", "info")
    return redirect(safe_next(request.form.get("next")) or home_for(user))


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    """Sign out (POST with the CSRF token; GET shows the button)."""
    if request.method == "GET":
        return render_template("auth/logout.html")
    sid = session.get(SESSION_KEY)
    logout_user()
    session.clear()
    try:
        sessions_for(current_app).revoke(sid)
        flash("You are signed out.", "info")
    except SharedStateError:
        flash("You are signed out here; the server could not be told, so the session ends "
              "when it expires.", "info")
    return redirect(url_for("auth.login"))


# ------------------------------------------------------------------------------ set-up


def _setting(app: Flask, name: str) -> str:
    env, default = DEFAULTS[name]
    value = app.config.get(name) or os.environ.get(env) or default
    return str(value)


def _secure_cookies(app: Flask) -> bool:
    value = _setting(app, "SECURE_COOKIES").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    if value != "auto":
        msg = f"COMMONGROUND_SECURE_COOKIES={value!r} is not known; choose auto, 1 or 0"
        raise ValueError(msg)
    return not (app.debug or app.testing)


def _account_key() -> str:
    email = request.form.get("email", "").strip().lower()[:254]
    return f"account:{email or '-'}"


def _login_failed(_response: Any) -> bool:
    return bool(g.get("login_failed"))


def _too_many(exc: RateLimitExceeded) -> ResponseReturnValue:
    limiter: Limiter = current_app.extensions["commonground.limiter"]
    limit = limiter.current_limit
    retry = max(1, int((limit.reset_at if limit else time.time() + 60) - time.time()))
    headers = {"Retry-After": str(retry)}
    if request.path.startswith("/api/"):
        from service.views import error_body  # noqa: PLC0415

        body = error_body(429, "Too Many Requests", f"try again in {retry} seconds")
        return jsonify(body), 429, headers
    minutes = max(1, round(retry / 60))
    message = (f"Too many failed sign-in attempts. Wait {minutes} minute"
               f"{'s' if minutes != 1 else ''} and try again.")
    body, status = _render_login(429, error=message, email=request.form.get("email", ""))
    current_app.logger.warning("sign-in rate limit reached: %s", exc.description)
    return body, status, headers


def _check_counters() -> None:
    # Sign-in fails closed: without counters, guessing would be unthrottled. (A storage
    # error later in the request is a 503 too: service.views.)
    if request.endpoint == "auth.login" and request.method == "POST":
        limiter: Limiter = current_app.extensions["commonground.limiter"]
        if not limiter.storage.check():
            msg = "sign-in attempt counters unreachable: sign-in is paused"
            raise SharedStateError(msg)


def _security_headers(response: Any) -> Any:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.blueprint in {"auth", "partner", "admin", "api_partner"}:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _refuse_nul() -> None:
    # PostgreSQL cannot store NUL in text, and no form needs it: refuse it up front (400),
    # rather than let it reach a query and fail there (500).
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, description=f"the value of {key.replace(chr(0), '')!r} contains a "
                                       "NUL character (\\x00), which no field accepts")


def init_app(app: Flask) -> None:
    """Sessions, CSRF, the sign-in rate limit, cookie flags and security headers for ``app``.

    Parameters
    ----------
    app
        The app made by :func:`service.create_app` (this blueprint already registered).
    """
    secure = _secure_cookies(app)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("PERMANENT_SESSION_LIFETIME") == dt.timedelta(days=31):  # Flask's
        app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=8)  # a working day
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    # On everywhere but in tests, which turn it on where they test it.
    app.config.setdefault("WTF_CSRF_ENABLED", not app.testing)
    if app.config.get("REDIS_URL") and not app.config.get("RATELIMIT_STORAGE_URI") and \
            not os.environ.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    for name in DEFAULTS:
        app.config[name] = _setting(app, name)

    manager = LoginManager()
    manager.init_app(app)
    manager.user_loader(_load_user)
    manager.unauthorized_handler(_unauthorized)
    manager.session_protection = "basic"

    csrf = CSRFProtect()
    csrf.init_app(app)
    # The default hook is replaced by one that lets token-authenticated API calls through.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def _csrf_unless_token() -> None:
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.blueprint in TOKEN_BLUEPRINTS:
            return
        if request.path.startswith("/api/") and bearer_token() is not None:
            return
        csrf.protect(apply_exemptions=True)

    storage_uri = app.config["RATELIMIT_STORAGE_URI"]
    # The storage is pluggable (any `limits` storage URI); errors of a shared one fail closed.
    limiter = Limiter(get_remote_address, storage_uri=storage_uri, headers_enabled=False,
                      storage_options=limiter_storage_options(storage_uri))
    limiter.init_app(app)
    app.extensions["commonground.limiter"] = limiter
    view = app.view_functions["auth.login"]
    view = limiter.limit(app.config["LOGIN_ACCOUNT_RATE_LIMIT"], key_func=_account_key,
                         methods=["POST"], deduct_when=_login_failed,
                         error_message="too many failed sign-ins for this account")(view)
    view = limiter.limit(app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
                         deduct_when=_login_failed,
                         error_message="too many failed sign-ins from this address")(view)
    app.view_functions["auth.login"] = view
    app.register_error_handler(RateLimitExceeded, _too_many)
    if not storage_uri.startswith("memory://"):
        app.before_request(_check_counters)
    app.before_request(_refuse_nul)
    app.after_request(_security_headers)


__all__ = [
    "DEMO_ACCOUNTS",
    "MIN_PASSWORD_LENGTH",
    "CurrentUser",
    "bearer_token",
    "bp",
    "check_password_strength",
    "enforce_role",
    "hash_password",
    "home_for",
    "init_app",
    "new_api_token",
    "role_required",
    "safe_next",
    "token_digest",
    "user_for_token",
    "verify_password",
]
