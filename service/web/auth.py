"""Staff sign-in pages, the signed-in user, roles, and the bearer token of a request.

Sessions are Flask-Login's; a session names the user and a fingerprint of the password
hash, so changing a password, or suspending the user, signs the user out everywhere. With
``REDIS_URL`` a session also has a server-side id (:mod:`service.web.shared`), checked on
every request, so signing out ends it on every worker. The
set-up of sessions, CSRF, the sign-in rate limit and cookie flags is
:mod:`service.web.security`; passwords and tokens are :mod:`service.usecases.accounts`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user

from domain.status import ROLES
from service.context import get_store
from service.usecases.accounts import DEMO_ACCOUNTS
from service.usecases.accounts import ROLE_LABELS
from service.usecases.accounts import verify_password
from service.usecases.errors import UnauthorizedError
from service.web.shared import SESSION_KEY
from service.web.shared import SharedStateError
from service.web.shared import sessions_for
from store.users import demo_users
from store.users import find_user_by_email
from store.users import get_user

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask.typing import ResponseReturnValue

    from store.users import StaffUser

bp = Blueprint("auth", __name__)


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


def load_user(session_id: str) -> CurrentUser | None:
    """The signed-in user of a session id, or ``None`` (Flask-Login's user loader)."""
    user_id, _, fingerprint = str(session_id).partition(":")
    if not user_id.isdigit():
        return None
    user = get_user(get_store(), int(user_id))
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


def unauthorized() -> ResponseReturnValue:
    """Not signed in: a 401 under ``/api``, else a redirect to the sign-in page."""
    if request.path.startswith("/api/"):
        msg = "sign in, or send Authorization: Bearer <token>"
        raise UnauthorizedError(msg)
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
    stored = {u.email for u in demo_users(get_store()) if u.active}
    return [a | {"label": ROLE_LABELS[a["role"]]} for a in DEMO_ACCOUNTS if a["email"] in stored]


def render_login(status: int = 200, **context: Any) -> ResponseReturnValue:
    """The sign-in page, with the demo accounts that are stored."""
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
        return render_login()
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")
    user = find_user_by_email(get_store(), email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        g.login_failed = True
        current_app.logger.info("failed sign-in for an account (%s)",
                                "known" if user else "unknown")
        return render_login(401, email=email,
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


__all__ = [
    "CurrentUser",
    "bearer_token",
    "bp",
    "enforce_role",
    "home_for",
    "load_user",
    "render_login",
    "role_required",
    "safe_next",
    "unauthorized",
]
