"""Associations that join: registration, the profile a partner edits, an admin's decisions.

Values are checked with the field rules of :mod:`domain.fields` (the rules and words of
ingest and of the partner's needs), every problem of a record collected and reported at once
(:class:`AssociationError`). A self-registered association starts ``pending`` with an
account whose email is not verified (:mod:`store.tokens` holds the verification token); an
admin approves it (``approved``) or rejects it (kept as ``suspended``), and each decision is
kept in ``association_reviews`` with its reason. Every function owns its own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import select

from domain import fields
from domain import records
from domain.categories import CATEGORY_LABELS
from domain.errors import Problem
from domain.errors import RecordError
from domain.labels import shown
from domain.status import REVIEW_DECISIONS
from store._lookup import get_or_raise
from store.errors import StoreError
from store.models import Association
from store.models import AssociationReview
from store.models import User
from store.partner import check_location
from store.partner import default_area
from store.users import UserExistsError
from store.users import normalise_email

if TYPE_CHECKING:
    from collections.abc import Iterable

    from geo.service_area import ServiceArea
    from store import Store

#: Fields of an association's profile, by the names of ARCHITECTURE.md.
PROFILE_FIELDS = (
    "name", "category", "description", "website", "contact_email", "contact_phone",
    "charity_number", "lat", "lon", "postcode", "address", "location_precision",
)
_TEXT_FIELDS = ("name", "category", "description", "website", "contact_email",
                "contact_phone", "charity_number", "address")


class AssociationError(StoreError, RecordError):
    """Values an association cannot take; ``problems`` maps each field to what is wrong."""

    status = 400
    code = "invalid_association"

    def __init__(self, problems: Mapping[str, str] | Iterable[Problem]) -> None:
        items = ([Problem(k, None, v) for k, v in problems.items()]
                 if isinstance(problems, Mapping) else list(problems))
        RecordError.__init__(self, items)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def clean_association(
    values: Mapping[str, Any], *, partial: bool = False, area: ServiceArea | None = None,
) -> dict[str, Any]:
    """Check and convert an association's profile with the rules of :mod:`domain.fields`.

    Parameters
    ----------
    values
        Field -> value, fields among :data:`PROFILE_FIELDS`.
    partial
        ``True`` for an update: only the given fields are checked and returned.
    area
        The service area the position must be inside (default Great Britain).

    Returns
    -------
    dict
        The converted values; a field given empty becomes ``None``.

    Raises
    ------
    AssociationError
        With every problem found, field by field, in the words ingest uses. A new
        association needs a name, a category and a position.
    """
    area = area or default_area()
    problems = records.unknown_fields(values, PROFILE_FIELDS)
    data = {k: v for k, v in values.items() if k in _TEXT_FIELDS}
    parsed, _refs, found = records.check_fields("associations", data, fields.Context())
    if partial and "name" not in values:
        found = [p for p in found if p.field != "name"]
    problems += found
    out: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if not partial or name in values:
            out[name] = parsed.get(name)
    category = out.get("category")
    if category is not None and category not in CATEGORY_LABELS:
        problems.append(Problem("category", category, (
            f"Category {shown(category)} is not one of the choices. Choose one of "
            f"{', '.join(CATEGORY_LABELS.values())}.")))
    elif category is None and (not partial or "category" in values):
        problems.append(Problem("category", None, "Category is missing. Choose one from "
                                "the list."))
    check_location(values, out, problems, area)
    if not partial and (out.get("lat") is None or out.get("lon") is None) and not any(
            p.field in {"lat", "lon", "lat,lon", "postcode"} for p in problems):
        problems.append(Problem("location", None, "Location is missing. Enter a postcode, "
                                "a town, or a latitude and longitude."))
    if problems:
        raise AssociationError(problems)
    return out


def _dict(a: Association) -> dict[str, Any]:
    return {
        "id": a.id, "name": a.name, "category": a.category, "description": a.description,
        "website": a.website, "contact_email": a.contact_email,
        "contact_phone": a.contact_phone, "charity_number": a.charity_number,
        "status": a.status, "lat": a.lat, "lon": a.lon, "postcode": a.postcode,
        "address": a.address, "location_precision": a.location_precision,
        "source": a.source, "is_demo": bool(a.is_demo), "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def create_association(
    store: Store, values: Mapping[str, Any], *, status: str = "pending",
    source: str = "admin", area: ServiceArea | None = None,
) -> dict[str, Any]:
    """Add an association (an admin adding one by hand); returns it.

    Raises
    ------
    AssociationError
        With every problem of ``values``.
    """
    clean = clean_association(values, area=area)
    with store.session() as s:
        assoc = Association(status=status, source=source, **clean)
        s.add(assoc)
        s.flush()
        assoc.source_id = f"{source}-{assoc.id}"
        return _dict(assoc)


def register_association(
    store: Store, values: Mapping[str, Any], *, email: str, password_hash: str,
    area: ServiceArea | None = None,
) -> dict[str, Any]:
    """A pending association and its (unverified) account, in one transaction.

    Returns
    -------
    dict
        ``association_id``, ``user_id``, ``name`` and ``email``.

    Raises
    ------
    AssociationError
        With every problem of ``values``.
    UserExistsError
        When an account with ``email`` exists (nothing is stored then).
    """
    clean = clean_association(values, area=area)
    address = normalise_email(email)
    with store.session() as s:
        if s.scalar(select(User.id).where(User.email == address)) is not None:
            msg = f"a user with email {address!r} exists already"
            raise UserExistsError(msg)
        assoc = Association(status="pending", source="registration", **clean)
        s.add(assoc)
        s.flush()
        assoc.source_id = f"registration-{assoc.id}"
        user = User(email=address, password_hash=password_hash, role="association",
                    association_id=assoc.id, active=True, is_demo=False,
                    email_verified=False)
        s.add(user)
        s.flush()
        return {"association_id": assoc.id, "user_id": user.id, "name": assoc.name,
                "email": address}


def get_association(store: Store, association_id: int) -> dict[str, Any]:
    """An association with its accounts and the admins' decisions.

    ``accounts``: ``id``, ``email``, ``email_verified``, ``active``; ``reviews``: newest
    first, ``decision``, ``reason``, ``created_at``, ``admin`` (email).

    Raises
    ------
    NotFoundError
        When there is no such association.
    """
    with store.sessions() as s:
        a = get_or_raise(s, Association, association_id, what="association")
        out = _dict(a)
        out["accounts"] = [
            {"id": u.id, "email": u.email, "email_verified": bool(u.email_verified),
             "active": bool(u.active)}
            for u in s.scalars(select(User).where(User.association_id == a.id)
                               .order_by(User.id))]
        out["reviews"] = [
            {"decision": r.decision, "reason": r.reason, "created_at": r.created_at,
             "admin": email}
            for r, email in s.execute(
                select(AssociationReview, User.email)
                .outerjoin(User, User.id == AssociationReview.admin_id)
                .where(AssociationReview.association_id == a.id)
                .order_by(AssociationReview.id.desc()))]
    return out


def update_association(
    store: Store, association_id: int, values: Mapping[str, Any], *,
    area: ServiceArea | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Change the given profile fields; returns the association and the fields that changed.

    Raises
    ------
    AssociationError, NotFoundError
        See :func:`clean_association` and :func:`get_association`.
    """
    clean = clean_association(values, partial=True, area=area)
    with store.session() as s:
        assoc = get_or_raise(s, Association, association_id, what="association")
        changed = [k for k, v in clean.items() if getattr(assoc, k) != v]
        for name in changed:
            setattr(assoc, name, clean[name])
        s.flush()
        return _dict(assoc), changed


def account_emails(store: Store, association_id: int) -> list[str]:
    """The emails of the association's active accounts, oldest account first."""
    with store.sessions() as s:
        return list(s.scalars(select(User.email).where(
            User.association_id == int(association_id), User.active.is_(True))
            .order_by(User.id)))


def review_association(
    store: Store, association_id: int, decision: str, *, reason: str | None = None,
    admin_id: int | None = None,
) -> dict[str, Any]:
    """Approve or reject an association, keeping the decision and its reason.

    ``approved`` makes it an approved partner; ``rejected`` keeps it as ``suspended`` (its
    account can sign in to read the reason, nothing more).

    Returns
    -------
    dict
        ``id``, ``name``, ``status``, ``was``, ``decision``, ``reason`` and ``emails`` (its
        active accounts, to tell).

    Raises
    ------
    AssociationError
        On an unknown decision, or a rejection without a reason.
    NotFoundError
        When there is no such association.
    """
    if decision not in REVIEW_DECISIONS:
        raise AssociationError({"decision": f"Decision {shown(decision)} is not one of the "
                                            f"choices. Choose {' or '.join(REVIEW_DECISIONS)}."})
    note = " ".join(str(reason or "").split())[:fields.MAX_TEXT] or None
    if decision == "rejected" and note is None:
        raise AssociationError({"reason": "Reason is missing. Say why: it is emailed to the "
                                          "association."})
    with store.session() as s:
        assoc = get_or_raise(s, Association, association_id, what="association")
        was = assoc.status
        assoc.status = "approved" if decision == "approved" else "suspended"
        s.add(AssociationReview(association_id=assoc.id, decision=decision, reason=note,
                                admin_id=admin_id))
        emails = list(s.scalars(select(User.email).where(
            User.association_id == assoc.id, User.active.is_(True)).order_by(User.id)))
        return {"id": assoc.id, "name": assoc.name, "status": assoc.status, "was": was,
                "decision": decision, "reason": note, "emails": emails}


def nearby_associations(
    store: Store, latlon: tuple[float, float], radius_km: float, *,
    exclude_id: int | None = None,
) -> list[dict[str, Any]]:
    """Associations within ``radius_km`` of ``latlon`` (the store's radius query).

    Nearest first: ``id``, ``name``, ``status``, ``postcode``, ``charity_number``, ``lat``,
    ``lon``, ``distance_km``.
    """
    ids, dist = store.spatial.within("associations", latlon, radius_km)
    km = {int(i): float(d) for i, d in zip(ids, dist, strict=True) if int(i) != exclude_id}
    if not km:
        return []
    with store.sessions() as s:
        rows = s.execute(select(Association.id, Association.name, Association.status,
                                Association.postcode, Association.charity_number,
                                Association.lat, Association.lon)
                         .where(Association.id.in_(list(km)))).all()
    out = [{"id": i, "name": n, "status": st, "postcode": pc, "charity_number": cn,
            "lat": la, "lon": lo, "distance_km": km[i]} for i, n, st, pc, cn, la, lo in rows]
    return sorted(out, key=lambda r: (r["distance_km"], r["id"]))


def association_with_charity_number(store: Store, number: str, *,
                                    exclude_id: int | None = None) -> list[dict[str, Any]]:
    """Associations whose charity number is ``number`` (spaces and case ignored)."""
    wanted = "".join(str(number).split()).upper()
    if not wanted:
        return []
    with store.sessions() as s:
        rows = s.execute(select(Association.id, Association.name, Association.charity_number)
                         .where(Association.charity_number.is_not(None))).all()
    return [{"id": i, "name": n} for i, n, c in rows
            if i != exclude_id and "".join(str(c).split()).upper() == wanted]


__all__ = [
    "PROFILE_FIELDS",
    "AssociationError",
    "account_emails",
    "association_with_charity_number",
    "clean_association",
    "create_association",
    "get_association",
    "nearby_associations",
    "register_association",
    "review_association",
    "update_association",
]
