"""Staff accounts: create, find and change them. Peers have no accounts.

Passwords and API tokens arrive here already hashed (``service.auth`` hashes them): this
module never sees a secret. Every function owns its own short transaction.

A user's role decides what it must be linked to: an ``association`` user to exactly one
association, a ``hotspot_lead`` to exactly one peer organisation, an ``admin`` to neither.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from store.errors import NotFoundError
from store.errors import StoreError
from store.models import ROLES
from store.models import Association
from store.models import MutualInterestLink
from store.models import Opportunity
from store.models import PeerOrganisation
from store.models import User

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session

    from store import Store

_NOT_IN_EMAIL = r"@\s<>\"'(),;:\\\[\]\x00"
_EMAIL = re.compile(rf"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]+$")
MAX_EMAIL = 254


class UserError(StoreError, ValueError):
    """A user that cannot be stored as given (bad email, role or link)."""

    status = 400
    code = "invalid_user"


class UserExistsError(StoreError, ValueError):
    """A user with that email exists already."""

    status = 409
    code = "user_exists"


@dataclasses.dataclass(frozen=True)
class StaffUser:
    """A staff account as the service sees it (hashes hidden from ``repr``)."""

    id: int
    email: str
    role: str
    organisation_id: int | None
    association_id: int | None
    active: bool
    is_demo: bool
    created_at: dt.datetime | None
    password_hash: str = dataclasses.field(repr=False)
    api_token_hash: str | None = dataclasses.field(repr=False, default=None)
    session_version: int = 0
    """Bumped on sign-out and password change: sessions made before are refused."""
    email_verified: bool = True
    """False for a self-registered account until its verification email is followed."""
    organisation: str | None = None
    """Name of the linked peer organisation."""
    association: str | None = None
    """Name of the linked association."""

    @property
    def has_token(self) -> bool:
        """Whether an API token is set."""
        return bool(self.api_token_hash)


def normalise_email(email: str) -> str:
    """``email`` trimmed and lower-cased, or :class:`UserError` when it is not an address."""
    text = str(email or "").strip().lower()
    if not text or len(text) > MAX_EMAIL or not _EMAIL.match(text):
        msg = (f"email {str(email)[:80]!r} is not an email address: expected name@domain.tld, "
               f"at most {MAX_EMAIL} characters")
        raise UserError(msg)
    return text


def _check_links(
    s: Session, role: str, organisation_id: int | None, association_id: int | None
) -> None:
    if role not in ROLES:
        msg = f"role {role!r} is not known: choose one of {', '.join(ROLES)}"
        raise UserError(msg)
    if role == "association":
        if association_id is None or organisation_id is not None:
            msg = (f"an association user needs association_id and no organisation_id, got "
                   f"association_id={association_id!r}, organisation_id={organisation_id!r}")
            raise UserError(msg)
        if s.get(Association, association_id) is None:
            msg = f"association_id={association_id!r} is not an association: pick an existing id"
            raise UserError(msg)
    elif role == "hotspot_lead":
        if organisation_id is None or association_id is not None:
            msg = (f"a hotspot_lead user needs organisation_id and no association_id, got "
                   f"organisation_id={organisation_id!r}, association_id={association_id!r}")
            raise UserError(msg)
        if s.get(PeerOrganisation, organisation_id) is None:
            msg = (f"organisation_id={organisation_id!r} is not a peer organisation: "
                   "pick an existing id")
            raise UserError(msg)
    elif organisation_id is not None or association_id is not None:
        msg = (f"an admin user is linked to nothing, got organisation_id={organisation_id!r}, "
               f"association_id={association_id!r}")
        raise UserError(msg)


def _select_users() -> Any:
    return (
        select(User, PeerOrganisation.name, Association.name)
        .outerjoin(PeerOrganisation, User.organisation_id == PeerOrganisation.id)
        .outerjoin(Association, User.association_id == Association.id)
    )


def _staff(row: Any) -> StaffUser:
    user, org_name, assoc_name = row
    return StaffUser(
        id=user.id, email=user.email, role=user.role, organisation_id=user.organisation_id,
        association_id=user.association_id, active=bool(user.active),
        is_demo=bool(user.is_demo), created_at=user.created_at,
        password_hash=user.password_hash, api_token_hash=user.api_token_hash,
        session_version=int(user.session_version or 0),
        email_verified=bool(user.email_verified),
        organisation=org_name, association=assoc_name,
    )


def create_user(
    store: Store,
    *,
    email: str,
    password_hash: str,
    role: str,
    organisation_id: int | None = None,
    association_id: int | None = None,
    is_demo: bool = False,
) -> StaffUser:
    """Store a new staff user.

    Parameters
    ----------
    store
        The store.
    email
        Sign-in name; stored lower-case.
    password_hash
        A hash made by ``service.auth.hash_password`` (never a password).
    role
        ``admin``, ``hotspot_lead`` or ``association``.
    organisation_id, association_id
        The record the user belongs to (see the module docstring).
    is_demo
        Marks the demo accounts.

    Returns
    -------
    StaffUser
        The new user.

    Raises
    ------
    UserError
        For a bad email, role or link, naming the value.
    UserExistsError
        When the email is taken.
    """
    address = normalise_email(email)
    if not password_hash:
        msg = "password_hash is empty: hash the password with service.auth.hash_password"
        raise UserError(msg)
    try:
        with store.session() as s:
            _check_links(s, role, organisation_id, association_id)
            if s.scalar(select(User.id).where(User.email == address)) is not None:
                msg = f"a user with email {address!r} exists already"
                raise UserExistsError(msg)
            user = User(email=address, password_hash=password_hash, role=role,
                        organisation_id=organisation_id, association_id=association_id,
                        active=True, is_demo=is_demo)
            s.add(user)
            s.flush()
            new_id = user.id
    except IntegrityError:  # a concurrent insert of the same email
        msg = f"a user with email {address!r} exists already"
        raise UserExistsError(msg) from None
    found = get_user(store, new_id)
    assert found is not None  # noqa: S101 - just written in a committed transaction
    return found


def get_user(store: Store, user_id: int) -> StaffUser | None:
    """The user with id ``user_id``, or ``None``."""
    with store.sessions() as s:
        row = s.execute(_select_users().where(User.id == int(user_id))).first()
    return _staff(row) if row is not None else None


def find_user_by_email(store: Store, email: str) -> StaffUser | None:
    """The user signed in as ``email`` (any case), or ``None`` (also for a non-address)."""
    try:
        address = normalise_email(email)
    except UserError:
        return None
    with store.sessions() as s:
        row = s.execute(_select_users().where(User.email == address)).first()
    return _staff(row) if row is not None else None


def list_users(store: Store) -> list[StaffUser]:
    """Every staff user, by role then email."""
    with store.sessions() as s:
        rows = s.execute(_select_users().order_by(User.role, User.email)).all()
    return [_staff(r) for r in rows]


def _update(store: Store, user_id: int, **values: Any) -> StaffUser:
    with store.session() as s:
        user = s.get(User, int(user_id))
        if user is None:
            msg = f"user_id={user_id!r} is not a user"
            raise NotFoundError(msg)
        for name, value in values.items():
            setattr(user, name, value)
    found = get_user(store, user_id)
    assert found is not None  # noqa: S101
    return found


def set_password_hash(store: Store, user_id: int, password_hash: str) -> StaffUser:
    """Replace a user's password hash (signs the user out everywhere, see ``service.auth``)."""
    if not password_hash:
        msg = "password_hash is empty: hash the password with service.auth.hash_password"
        raise UserError(msg)
    with store.session() as s:
        user = s.get(User, int(user_id))
        if user is not None:
            user.session_version = int(user.session_version or 0) + 1
    return _update(store, user_id, password_hash=password_hash)


def end_sessions(store: Store, user_id: int) -> int:
    """Bump the user's session version, ending every session made before; return it."""
    with store.session() as s:
        user = s.get(User, int(user_id))
        if user is None:
            msg = f"user_id={user_id!r} is not a user"
            raise NotFoundError(msg)
        user.session_version = int(user.session_version or 0) + 1
        return user.session_version


def set_user_active(store: Store, user_id: int, *, active: bool) -> StaffUser:
    """Allow (``active=True``) or stop (``False``) a user signing in and using a token."""
    return _update(store, user_id, active=bool(active))


def set_api_token_hash(store: Store, user_id: int, token_hash: str | None) -> StaffUser:
    """Store the hash of a user's new API token, or revoke it with ``None``."""
    return _update(store, user_id, api_token_hash=token_hash or None)


def has_demo_data(store: Store) -> bool:
    """Whether the store holds the demo data set (any demo organisation or association)."""
    with store.sessions() as s:
        return bool(s.scalar(select(
            exists().where(PeerOrganisation.is_demo.is_(True))
            | exists().where(Association.is_demo.is_(True))
        )))


def demo_users(store: Store) -> list[StaffUser]:
    """The demo accounts, by id; none unless the store holds demo data."""
    if not has_demo_data(store):
        return []
    with store.sessions() as s:
        rows = s.execute(_select_users().where(User.is_demo.is_(True)).order_by(User.id)).all()
    return [_staff(r) for r in rows]


def demo_link_targets(store: Store) -> dict[str, dict[str, Any] | None]:
    """What the demo accounts are linked to.

    Returns
    -------
    dict
        ``{"organisation": {"id", "name"} | None, "association": {"id", "name"} | None}``:
        the first approved demo hotspot, and the approved demo association with the most
        opportunities among those linked to that hotspot (else to any organisation; ties by
        id), so that the demo partner and the demo hotspot lead work together.
    """
    with store.sessions() as s:
        org = s.execute(
            select(PeerOrganisation.id, PeerOrganisation.name)
            .where(PeerOrganisation.is_demo.is_(True), PeerOrganisation.is_hotspot.is_(True),
                   PeerOrganisation.status == "approved")
            .order_by(PeerOrganisation.id).limit(1)
        ).first()
        n_opps = (select(func.count(Opportunity.id))
                  .where(Opportunity.association_id == Association.id)
                  .correlate(Association).scalar_subquery())
        linked = exists().where(MutualInterestLink.association_id == Association.id,
                                MutualInterestLink.active.is_(True))
        to_hotspot = exists().where(MutualInterestLink.association_id == Association.id,
                                    MutualInterestLink.active.is_(True),
                                    MutualInterestLink.organisation_id == (org[0] if org else -1))
        assoc = s.execute(
            select(Association.id, Association.name)
            .where(Association.is_demo.is_(True), Association.status == "approved")
            .order_by(to_hotspot.desc(), linked.desc(), n_opps.desc(), Association.id)
            .limit(1)
        ).first()
    return {
        "organisation": {"id": org[0], "name": org[1]} if org else None,
        "association": {"id": assoc[0], "name": assoc[1]} if assoc else None,
    }


def upsert_demo_user(
    store: Store, *, email: str, password_hash: str, role: str,
    organisation_id: int | None = None, association_id: int | None = None,
) -> tuple[str, StaffUser]:
    """Create a demo account, or bring an existing one back to the given role and links.

    The password hash is written only for a new account; ``service.staff_cli`` decides when
    an existing one needs its documented password back.

    Returns
    -------
    tuple
        ``("inserted" | "updated" | "unchanged", user)``.
    """
    existing = find_user_by_email(store, email)
    if existing is None:
        return "inserted", create_user(
            store, email=email, password_hash=password_hash, role=role,
            organisation_id=organisation_id, association_id=association_id, is_demo=True)
    wanted = {"role": role, "organisation_id": organisation_id,
              "association_id": association_id, "active": True, "is_demo": True}
    changed = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
    if not changed:
        return "unchanged", existing
    with store.session() as s:
        _check_links(s, role, organisation_id, association_id)
    return "updated", _update(store, existing.id, **changed)


__all__ = [
    "StaffUser",
    "UserError",
    "UserExistsError",
    "create_user",
    "demo_link_targets",
    "demo_users",
    "end_sessions",
    "find_user_by_email",
    "get_user",
    "has_demo_data",
    "list_users",
    "normalise_email",
    "set_api_token_hash",
    "set_password_hash",
    "set_user_active",
    "upsert_demo_user",
]
