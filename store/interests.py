"""Peers' "I'm interested": record one, a partner's inbox, handling it, and the purge.

A peer has no account. What is kept of an interest is the need, how the peer asked to be
reached (``email`` or ``phone`` with the address or number, or ``meeting`` with only the
meeting), when, and its status in the partner's inbox. The contact is wiped as soon as the
partner handles the interest (any status but ``new``) or when it is older than the
retention period (:func:`purge_expired`), whichever comes first.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import select
from sqlalchemy import update

from domain.status import CONTACT_METHODS
from domain.status import INTEREST_STATUSES
from store._lookup import get_or_raise
from store.errors import StoreError
from store.models import Association
from store.models import ExpressedInterest
from store.models import Meeting
from store.models import Opportunity
from store.models import PeerOrganisation
from store.models import User
from store.outcomes import count_taking_part
from store.partner import owned_opportunity

if TYPE_CHECKING:
    from store import Store


class InterestError(StoreError, ValueError):
    """An interest that cannot be stored as given."""

    status = 400
    code = "invalid_interest"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _staff_emails(s: Any, column: Any, value: int | None) -> list[str]:
    if value is None:
        return []
    rows = s.scalars(select(User.email).where(column == value, User.active.is_(True))
                     .order_by(User.id))
    return list(rows)


def record_interest(store: Store, opportunity_id: int, *, method: str,
                    contact: str | None = None, meeting_id: int | None = None
                    ) -> dict[str, Any]:
    """Store one interest; return who is to be told (emails) and what to tell them.

    Returns
    -------
    dict
        ``opportunity`` (id, title), ``association`` (id, name, contact_email),
        ``association_emails`` (its public contact and its partner users),
        ``organisation`` (name) and ``organisation_emails`` (the meeting's peer organisation's
        staff) when ``method`` is ``meeting``.

    Raises
    ------
    InterestError
        On an unknown method, a missing contact, or a meeting that is not active.
    NotFoundError
        When the need does not exist.
    """
    if method not in CONTACT_METHODS:
        msg = f"method {method!r} is not known; choose one of {', '.join(CONTACT_METHODS)}"
        raise InterestError(msg)
    with store.session() as s:
        opp = get_or_raise(s, Opportunity, opportunity_id, what="opportunity")
        assoc = s.get(Association, opp.association_id)
        org = None
        meeting = None
        if method == "meeting":
            meeting = s.get(Meeting, int(meeting_id)) if meeting_id else None
            if meeting is None or not meeting.active:
                msg = ("Your meeting is not chosen, or does not meet any more. Choose the "
                       "meeting you go to from the list.")
                raise InterestError(msg)
            org = s.get(PeerOrganisation, meeting.organisation_id) \
                if meeting.organisation_id else None
            contact = None  # nothing about the peer at all
        elif not contact:
            msg = f"give the {'email address' if method == 'email' else 'phone number'} to use"
            raise InterestError(msg)
        s.add(ExpressedInterest(opportunity_id=opp.id, contact_method=method, contact=contact,
                                meeting_id=meeting.id if meeting else None))
        assoc_emails = _staff_emails(s, User.association_id, opp.association_id)
        if assoc is not None and assoc.contact_email:
            assoc_emails = [assoc.contact_email, *[e for e in assoc_emails
                                                   if e != assoc.contact_email]]
        return {
            "opportunity": {"id": opp.id, "title": opp.title},
            "association": {"id": assoc.id, "name": assoc.name,
                            "contact_email": assoc.contact_email,
                            "contact_phone": assoc.contact_phone} if assoc else None,
            "association_emails": assoc_emails,
            "meeting": {"id": meeting.id, "name": meeting.name} if meeting else None,
            "organisation": {"id": org.id, "name": org.name} if org else None,
            "organisation_emails": _staff_emails(s, User.organisation_id,
                                                 org.id if org else None),
        }


def purge_expired(store: Store, *, older_than: dt.datetime) -> int:
    """Wipe the contact of every interest made before ``older_than``; return how many."""
    with store.session() as s:
        result = s.execute(
            update(ExpressedInterest)
            .where(ExpressedInterest.created_at < older_than,
                   ExpressedInterest.contact.is_not(None))
            .values(contact=None, contact_deleted_at=_now()))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def list_interests(store: Store, association_id: int) -> list[dict[str, Any]]:
    """The association's inbox: every interest in its needs, new first, newest first."""
    stmt = (select(ExpressedInterest, Opportunity.title, Meeting.name, PeerOrganisation.name)
            .join(Opportunity, Opportunity.id == ExpressedInterest.opportunity_id)
            .outerjoin(Meeting, Meeting.id == ExpressedInterest.meeting_id)
            .outerjoin(PeerOrganisation, PeerOrganisation.id == Meeting.organisation_id)
            .where(Opportunity.association_id == int(association_id))
            .order_by(ExpressedInterest.created_at.desc(), ExpressedInterest.id.desc()))
    with store.sessions() as s:
        rows = s.execute(stmt).all()
    out = [{"id": i.id, "opportunity_id": i.opportunity_id, "opportunity": title,
            "contact_method": i.contact_method, "contact": i.contact, "meeting": meeting,
            "organisation": org, "status": i.status, "created_at": i.created_at,
            "handled_at": i.handled_at, "contact_deleted_at": i.contact_deleted_at}
           for i, title, meeting, org in rows]
    out.sort(key=lambda r: r["status"] != "new")  # stable: new first, then by date
    return out


def set_interest_status(store: Store, association_id: int, interest_id: int,
                        status: str) -> dict[str, Any]:
    """Mark an interest; any status but ``new`` wipes the contact; ``taking_part`` takes a place.

    Marking ``taking_part`` also counts one peer taking part in the need this month in the
    inbox's outcome counter (:func:`store.outcomes.count_taking_part`); undoing it takes the
    count back.

    Raises
    ------
    InterestError
        On an unknown status.
    NotFoundError, ForbiddenError
        When there is no such interest, or it is about another association's need.
    """
    if status not in INTEREST_STATUSES:
        msg = f"status {status!r} is not known; choose one of {', '.join(INTEREST_STATUSES)}"
        raise InterestError(msg)
    with store.session() as s:
        interest = get_or_raise(s, ExpressedInterest, interest_id, what="interest")
        opp = owned_opportunity(s, association_id, interest.opportunity_id,
                                refusal="That interest is about another association's need.")
        before = interest.status
        if (before == "taking_part") != (status == "taking_part"):
            delta = 1 if status == "taking_part" else -1
            opp.places_taken = max(0, (opp.places_taken or 0) + delta)
            # One peer taking part this month, for the impact figures (nothing about them).
            meeting = s.get(Meeting, interest.meeting_id) if interest.meeting_id else None
            count_taking_part(s, opp, meeting.organisation_id if meeting else None,
                              on=_now().date(), delta=delta)
        interest.status = status
        if status != "new":
            interest.handled_at = interest.handled_at or _now()
            if interest.contact is not None:
                interest.contact = None
                interest.contact_deleted_at = _now()
        return {"id": interest.id, "status": status, "opportunity_id": opp.id,
                "places_taken": opp.places_taken, "capacity": opp.capacity}


def count_new(store: Store, association_id: int) -> int:
    """How many interests in the association's needs are still ``new``."""
    return sum(1 for r in list_interests(store, association_id) if r["status"] == "new")


__all__ = [
    "InterestError",
    "count_new",
    "list_interests",
    "purge_expired",
    "record_interest",
    "set_interest_status",
]
