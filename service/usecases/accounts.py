"""Accounts: staff passwords, partner API tokens and the demo accounts.

Passwords are hashed with werkzeug (scrypt). API tokens are random, shown once, and stored
as a SHA-256 digest (a token has 256 bits of entropy, so a slow hash adds nothing). Used by
the sign-in pages, the partner API, the admin pages and ``commonground create-user``,
``create-token`` and ``demo``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING
from typing import Any

from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from store.users import demo_link_targets
from store.users import find_user_by_email
from store.users import get_user
from store.users import set_password_hash
from store.users import upsert_demo_user

if TYPE_CHECKING:
    from store import Store
    from store.users import StaffUser

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "cg"  # noqa: S105 - a label, not a secret
DEMO_ACCOUNTS: tuple[dict[str, str], ...] = (
    {"email": "admin@demo.commonground.example", "password": "demo-admin-pass",
     "role": "admin"},
    {"email": "hotspot@demo.commonground.example", "password": "demo-hotspot-pass",
     "role": "hotspot_lead"},
    {"email": "partner@demo.commonground.example", "password": "demo-partner-pass",
     "role": "association"},
)
ROLE_LABELS = {"admin": "Admin", "hotspot_lead": "Hotspot lead", "association": "Partner"}


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


def create_demo_users(store: Store) -> list[dict[str, Any]]:
    """Create the demo accounts, one per role, with their documented passwords (idempotent).

    The admin is linked to nothing, the hotspot lead to the first approved demo hotspot, the
    partner to a demo association linked to that hotspot (see
    :func:`store.users.demo_link_targets`). A second run changes nothing unless an account
    was altered, and then puts it back.

    Parameters
    ----------
    store
        A store that holds the demo data set (``commonground demo``).

    Returns
    -------
    list of dict
        Per account: ``email``, ``password``, ``role``, ``linked_to`` (a name or ``None``)
        and ``outcome`` (``inserted``, ``updated`` or ``unchanged``).

    Raises
    ------
    ValueError
        When the store holds no demo hotspot or demo association to link to.
    """
    targets = demo_link_targets(store)
    if targets["organisation"] is None or targets["association"] is None:
        msg = ("the store holds no approved demo hotspot or demo association: load the demo "
               "data set first (`commonground demo`)")
        raise ValueError(msg)
    links = {
        "admin": {},
        "hotspot_lead": {"organisation_id": targets["organisation"]["id"]},
        "association": {"association_id": targets["association"]["id"]},
    }
    names = {"admin": None, "hotspot_lead": targets["organisation"]["name"],
             "association": targets["association"]["name"]}
    done = []
    for account in DEMO_ACCOUNTS:
        role = account["role"]
        existing = find_user_by_email(store, account["email"])
        password_ok = existing is not None and verify_password(existing.password_hash,
                                                               account["password"])
        password_hash = (hash_password(account["password"]) if existing is None
                         else existing.password_hash)
        outcome, user = upsert_demo_user(store, email=account["email"],
                                         password_hash=password_hash, role=role, **links[role])
        if existing is not None and not password_ok:
            set_password_hash(store, user.id, hash_password(account["password"]))
            outcome = "updated"
        done.append({"email": account["email"], "password": account["password"], "role": role,
                     "linked_to": names[role], "outcome": outcome})
    return done


__all__ = [
    "DEMO_ACCOUNTS",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "ROLE_LABELS",
    "TOKEN_PREFIX",
    "check_password_strength",
    "create_demo_users",
    "hash_password",
    "new_api_token",
    "token_digest",
    "user_for_token",
    "verify_password",
]
