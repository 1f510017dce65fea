"""Single-use, expiring account tokens (email verification, password reset), stored hashed.

This module never sees a token: the service makes a random token, emails it, and hands
only its SHA-256 digest here. Spending a token is one conditional ``UPDATE ... WHERE
used_at IS NULL``, so two requests racing with the same token cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy import update

from domain.status import TOKEN_PURPOSES
from store.errors import NotFoundError
from store.errors import StoreError
from store.models import AccountToken
from store.models import User

if TYPE_CHECKING:
    from store import Store


class TokenError(StoreError, ValueError):
    """A token that cannot be used; ``reason`` is ``unknown``, ``used`` or ``expired``."""

    status = 400
    code = "invalid_token"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the link is {reason}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _check_purpose(purpose: str) -> None:
    if purpose not in TOKEN_PURPOSES:
        msg = f"purpose {purpose!r} is not known; choose one of {', '.join(TOKEN_PURPOSES)}"
        raise ValueError(msg)


def add_token(store: Store, user_id: int, purpose: str, token_hash: str, *,
              expires_at: dt.datetime) -> None:
    """Store the digest of a new token of ``user_id`` for ``purpose`` (naive UTC expiry)."""
    _check_purpose(purpose)
    with store.session() as s:
        if s.get(User, int(user_id)) is None:
            msg = f"user_id={user_id!r} is not a user"
            raise NotFoundError(msg)
        s.add(AccountToken(user_id=int(user_id), purpose=purpose, token_hash=token_hash,
                           expires_at=expires_at))


def check_token(store: Store, token_hash: str, purpose: str, *,
                now: dt.datetime | None = None) -> int:
    """The user id of a token that can still be spent (nothing is changed).

    Raises
    ------
    TokenError
        ``unknown`` (no such token for that purpose), ``used`` or ``expired``.
    """
    _check_purpose(purpose)
    with store.sessions() as s:
        row = s.execute(select(AccountToken.user_id, AccountToken.used_at,
                               AccountToken.expires_at)
                        .where(AccountToken.token_hash == token_hash,
                               AccountToken.purpose == purpose)).first()
    if row is None:
        reason = "unknown"
    elif row.used_at is not None:
        reason = "used"
    elif row.expires_at <= (now or _now()):
        reason = "expired"
    else:
        return int(row.user_id)
    raise TokenError(reason)


def _spend(s: object, token_hash: str, purpose: str, now: dt.datetime) -> int:
    found = s.execute(  # type: ignore[attr-defined]
        update(AccountToken)
        .where(AccountToken.token_hash == token_hash, AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now)
        .returning(AccountToken.user_id)).first()
    if found is None:
        reason = "unknown"  # the caller checked first: a race or a replay
        raise TokenError(reason)
    return int(found[0])


def verify_email(store: Store, token_hash: str, *, now: dt.datetime | None = None) -> int:
    """Spend a verification token and mark its user's email verified; returns the user id.

    Raises
    ------
    TokenError
        When the token is unknown, used or expired.
    """
    moment = now or _now()
    check_token(store, token_hash, "verify_email", now=moment)
    with store.session() as s:
        user_id = _spend(s, token_hash, "verify_email", moment)
        s.execute(update(User).where(User.id == user_id).values(email_verified=True))
    return user_id


def reset_password(store: Store, token_hash: str, password_hash: str, *,
                   now: dt.datetime | None = None) -> int:
    """Spend a reset token: new password, every session ended, other reset links void.

    Following a reset link also proves the address, so the email counts as verified.

    Returns
    -------
    int
        The user id.

    Raises
    ------
    TokenError
        When the token is unknown, used or expired.
    """
    if not password_hash:
        msg = "password_hash is empty: hash the password first"
        raise ValueError(msg)
    moment = now or _now()
    check_token(store, token_hash, "reset_password", now=moment)
    with store.session() as s:
        user_id = _spend(s, token_hash, "reset_password", moment)
        user = s.get(User, user_id)
        assert user is not None  # noqa: S101 - a token's user cannot be deleted
        user.password_hash = password_hash
        user.session_version = int(user.session_version or 0) + 1
        user.email_verified = True
        s.execute(update(AccountToken)
                  .where(AccountToken.user_id == user_id,
                         AccountToken.purpose == "reset_password",
                         AccountToken.used_at.is_(None))
                  .values(used_at=moment))
    return user_id


def count_tokens(store: Store, user_id: int, purpose: str, *, since: dt.datetime) -> int:
    """How many tokens of ``purpose`` were made for ``user_id`` since ``since``."""
    _check_purpose(purpose)
    with store.sessions() as s:
        return len(s.scalars(select(AccountToken.id).where(
            AccountToken.user_id == int(user_id), AccountToken.purpose == purpose,
            AccountToken.created_at >= since)).all())


__all__ = ["TokenError", "add_token", "check_token", "count_tokens", "reset_password",
           "verify_email"]
