"""Outcome records: write, change, delete and read them, scoped to who records.

Values arrive checked by :func:`domain.outcomes.clean_outcome`; this module checks what only
the database knows: that the need is the association's, that a named organisation has a
link with the association, and that the one who asks may touch the record
(:class:`Recorder`). A record that exists but is not theirs raises
:class:`store.partner.ForbiddenError` (403); one that does not exist
:class:`store.errors.NotFoundError` (404).

The partner's inbox keeps its own counters here (:func:`count_taking_part`): one row per
need, organisation (``None`` when the peer came by email or phone) and month, keyed by
``source_id``, bumped in the same transaction that marks an interest "taking part". Nothing
about the peer is kept in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from domain.errors import Problem
from domain.errors import RecordError
from store.errors import NotFoundError
from store.errors import StoreError
from store.models import Association
from store.models import MutualInterestLink
from store.models import Opportunity
from store.models import OutcomeRecord
from store.models import PeerOrganisation
from store.partner import ForbiddenError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from store import Store

INBOX_SOURCE = "inbox"
RECORD_KEYS = (
    "id", "association_id", "association", "organisation_id", "organisation",
    "opportunity_id", "opportunity", "recorded_by", "period_start", "period_unit",
    "peers_taking_part", "hours", "went_on_to_volunteer", "became_licensed", "skills",
    "is_demo", "created_at", "updated_at",
)


class OutcomeError(StoreError, RecordError):
    """Values a record cannot take here; ``problems`` maps each field to what is wrong."""

    status = 400
    code = "invalid_outcome"

    def __init__(self, problems: Mapping[str, str]) -> None:
        RecordError.__init__(self, [Problem(k, None, v) for k, v in problems.items()])


@dataclass(frozen=True)
class Recorder:
    """Who records: a partner, or the peer organisation side.

    A partner is ``side="association"`` with its ``association_id``; the peer organisation
    side is ``side="organisation"`` with the ``organisation_ids`` of a hotspot lead's tree,
    or ``None`` for an admin (every organisation).
    """

    side: str
    association_id: int | None = None
    organisation_ids: frozenset[int] | None = None

    def sees(self, association_id: int, organisation_id: int | None) -> bool:
        """Whether records about this association and organisation are theirs to read."""
        if self.side == "association":
            return association_id == self.association_id
        return self.organisation_ids is None or organisation_id in self.organisation_ids

    def may_change(self, recorded_by: str, association_id: int,
                   organisation_id: int | None) -> bool:
        """Whether a record is one of their own entries (the inbox's are nobody's)."""
        return recorded_by == self.side and self.sees(association_id, organisation_id)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _check_targets(s: Session, recorder: Recorder, association_id: int,
                   values: Mapping[str, Any]) -> None:
    """The need is the association's; a named organisation is linked and in scope."""
    problems: dict[str, str] = {}
    if s.get(Association, int(association_id)) is None:
        msg = f"There is no association {association_id}."
        raise NotFoundError(msg)
    org_id, opp_id = values.get("organisation_id"), values.get("opportunity_id")
    if opp_id is not None:
        opp = s.get(Opportunity, int(opp_id))
        if opp is None or opp.association_id != int(association_id):
            problems["opportunity_id"] = (f"opportunity_id: {opp_id} is not one of the "
                                          "association's needs; choose one from the list")
    if org_id is not None:
        linked = s.scalar(select(MutualInterestLink.id).where(
            MutualInterestLink.organisation_id == int(org_id),
            MutualInterestLink.association_id == int(association_id)))
        if linked is None:
            problems["organisation_id"] = (
                f"organisation_id: {org_id} has no link with this association; choose one of "
                "the linked organisations, or 'not known'")
    elif opp_id is None:
        problems["organisation_id"] = ("organisation_id: a record for a link names the peer "
                                       "organisation; or choose a need")
    if recorder.side == "organisation" and org_id is None:
        problems.setdefault("organisation_id", "organisation_id: choose your organisation")
    if problems:
        raise OutcomeError(problems)
    if not recorder.sees(int(association_id), org_id):
        msg = "That organisation or association is not one you record for."
        raise ForbiddenError(msg)


def create_outcome(store: Store, recorder: Recorder, association_id: int,
                   values: Mapping[str, Any], *, created_by: int | None = None
                   ) -> dict[str, Any]:
    """Add a record (values as :func:`domain.outcomes.clean_outcome` returns them)."""
    if recorder.side == "inbox":
        msg = "the inbox keeps its own counters"
        raise ForbiddenError(msg)
    with store.session() as s:
        _check_targets(s, recorder, association_id, values)
        row = OutcomeRecord(association_id=int(association_id), recorded_by=recorder.side,
                            created_by_id=created_by, source="manual",
                            **{k: v for k, v in values.items() if k in _COLUMNS})
        s.add(row)
        s.flush()
        new_id = row.id
    return get_outcome(store, new_id)


_COLUMNS = frozenset(("organisation_id", "opportunity_id", "period_start", "period_unit",
                      "peers_taking_part", "hours", "went_on_to_volunteer", "became_licensed",
                      "skills"))


def _own(s: Session, recorder: Recorder, outcome_id: int) -> OutcomeRecord:
    row = s.get(OutcomeRecord, int(outcome_id))
    if row is None:
        msg = f"There is no outcome record {outcome_id}."
        raise NotFoundError(msg)
    if not recorder.may_change(row.recorded_by, row.association_id, row.organisation_id):
        msg = (f"Outcome record {outcome_id} is not one of your entries: only who recorded it "
               "can change it.")
        raise ForbiddenError(msg)
    return row


def update_outcome(store: Store, recorder: Recorder, outcome_id: int,
                   values: Mapping[str, Any]) -> dict[str, Any]:
    """Change the given fields of one of the recorder's own records."""
    with store.session() as s:
        row = _own(s, recorder, outcome_id)
        merged = {"organisation_id": row.organisation_id, "opportunity_id": row.opportunity_id,
                  **{k: v for k, v in values.items() if k in ("organisation_id",
                                                               "opportunity_id")}}
        _check_targets(s, recorder, row.association_id, merged)
        for key, value in values.items():
            if key in _COLUMNS:
                setattr(row, key, value)
        row.updated_at = _now()
    return get_outcome(store, int(outcome_id))


def delete_outcome(store: Store, recorder: Recorder, outcome_id: int) -> None:
    """Delete one of the recorder's own records."""
    with store.session() as s:
        s.delete(_own(s, recorder, outcome_id))


def _select() -> Any:
    o = OutcomeRecord
    return (select(o, Association.name, PeerOrganisation.name, Opportunity.title)
            .join(Association, Association.id == o.association_id)
            .outerjoin(PeerOrganisation, PeerOrganisation.id == o.organisation_id)
            .outerjoin(Opportunity, Opportunity.id == o.opportunity_id))


def _as_dict(row: OutcomeRecord, association: str, organisation: str | None,
             opportunity: str | None) -> dict[str, Any]:
    return {"id": row.id, "association_id": row.association_id, "association": association,
            "organisation_id": row.organisation_id, "organisation": organisation,
            "opportunity_id": row.opportunity_id, "opportunity": opportunity,
            "recorded_by": row.recorded_by, "period_start": row.period_start,
            "period_unit": row.period_unit, "peers_taking_part": int(row.peers_taking_part),
            "hours": float(row.hours), "went_on_to_volunteer": int(row.went_on_to_volunteer),
            "became_licensed": int(row.became_licensed), "skills": list(row.skills or []),
            "is_demo": bool(row.is_demo), "created_at": row.created_at,
            "updated_at": row.updated_at}


def get_outcome(store: Store, outcome_id: int) -> dict[str, Any]:
    """One record, with the names of its association, organisation and need."""
    with store.sessions() as s:
        found = s.execute(_select().where(OutcomeRecord.id == int(outcome_id))).first()
    if found is None:
        msg = f"There is no outcome record {outcome_id}."
        raise NotFoundError(msg)
    return _as_dict(*found)


def list_outcomes(store: Store, *, association_id: int | None = None,
                  organisation_ids: Iterable[int] | None = None,
                  opportunity_id: int | None = None, organisation_id: int | None = None,
                  include_unknown: bool = True) -> list[dict[str, Any]]:
    """Records, newest period first, narrowed by association, organisations, need.

    ``organisation_ids`` keeps records of those organisations (and, with
    ``include_unknown``, those whose organisation is not known); ``None`` keeps all.
    """
    o = OutcomeRecord
    stmt = _select().order_by(o.period_start.desc(), o.id.desc())
    if association_id is not None:
        stmt = stmt.where(o.association_id == int(association_id))
    if opportunity_id is not None:
        stmt = stmt.where(o.opportunity_id == int(opportunity_id))
    if organisation_id is not None:
        stmt = stmt.where(o.organisation_id == int(organisation_id))
    if organisation_ids is not None:
        wanted = sorted({int(i) for i in organisation_ids})
        clause = o.organisation_id.in_(wanted)
        stmt = stmt.where(clause | o.organisation_id.is_(None) if include_unknown else clause)
    elif not include_unknown:
        stmt = stmt.where(o.organisation_id.is_not(None))
    with store.sessions() as s:
        return [_as_dict(*row) for row in s.execute(stmt)]


def links_of(store: Store, *, association_id: int | None = None,
             organisation_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Mutual-interest links of an association, or of some organisations (``None``: all)."""
    m = MutualInterestLink
    stmt = (select(m.id, m.organisation_id, PeerOrganisation.name, m.association_id,
                   Association.name, m.active)
            .join(PeerOrganisation, PeerOrganisation.id == m.organisation_id)
            .join(Association, Association.id == m.association_id)
            .order_by(PeerOrganisation.name, Association.name, m.id))
    if association_id is not None:
        stmt = stmt.where(m.association_id == int(association_id))
    if organisation_ids is not None:
        stmt = stmt.where(m.organisation_id.in_(sorted({int(i) for i in organisation_ids})))
    keys = ("id", "organisation_id", "organisation", "association_id", "association", "active")
    with store.sessions() as s:
        return [dict(zip(keys, row, strict=True)) for row in s.execute(stmt)]


def get_link(store: Store, link_id: int) -> dict[str, Any]:
    """One link (``NotFoundError`` when there is none)."""
    with store.sessions() as s:
        link = s.get(MutualInterestLink, int(link_id))
        if link is None:
            msg = f"There is no link {link_id}."
            raise NotFoundError(msg)
        return {"id": link.id, "organisation_id": link.organisation_id,
                "association_id": link.association_id}


# -- the inbox's counters ------------------------------------------------------------------


def _inbox_key(opportunity_id: int, organisation_id: int | None, month: dt.date) -> str:
    return f"{int(opportunity_id)}:{organisation_id if organisation_id else '-'}:{month:%Y-%m}"


def count_taking_part(s: Session, opportunity: Opportunity, organisation_id: int | None,
                      *, on: dt.date, delta: int) -> None:
    """Add ``delta`` (+1 or -1) peers taking part to the inbox's counter, in session ``s``.

    +1 counts for ``on``'s month. -1 takes the count back from the most recent month that
    has one for this need and organisation (a "taking part" undone later than its month).
    """
    o = OutcomeRecord
    if delta < 0:
        row = s.scalars(select(o).where(
            o.source == INBOX_SOURCE, o.opportunity_id == opportunity.id,
            o.organisation_id.is_(None) if organisation_id is None
            else o.organisation_id == organisation_id,
            o.peers_taking_part > 0).order_by(o.period_start.desc()).limit(1)).first()
        if row is not None:
            row.peers_taking_part = max(0, row.peers_taking_part + delta)
            row.updated_at = _now()
        return
    month = on.replace(day=1)
    key = _inbox_key(opportunity.id, organisation_id, month)
    bump = (update(o).where(o.source == INBOX_SOURCE, o.source_id == key)
            .values(peers_taking_part=o.peers_taking_part + delta, updated_at=_now()))
    if s.execute(bump).rowcount:  # type: ignore[attr-defined]
        return
    try:
        with s.begin_nested():
            s.add(OutcomeRecord(
                association_id=opportunity.association_id, organisation_id=organisation_id,
                opportunity_id=opportunity.id, recorded_by="inbox", period_start=month,
                period_unit="month", peers_taking_part=delta, hours=0.0,
                went_on_to_volunteer=0, became_licensed=0, skills=[],
                source=INBOX_SOURCE, source_id=key, is_demo=False))
    except IntegrityError:  # another request made the row first: add to it
        s.execute(bump)


__all__ = [
    "INBOX_SOURCE",
    "RECORD_KEYS",
    "OutcomeError",
    "Recorder",
    "count_taking_part",
    "create_outcome",
    "delete_outcome",
    "get_link",
    "get_outcome",
    "links_of",
    "list_outcomes",
    "update_outcome",
]
