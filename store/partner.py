"""Partner and admin writes: opportunities scoped to one association, statuses, ingest runs.

Scoping is done in the query: every read or write of an opportunity names both its id and
the association that asks (``WHERE id = :id AND association_id = :mine``), so a partner can
never reach another association's record, whatever the page or API does. A record that
exists but belongs to someone else raises :class:`ForbiddenError` (403); one that does not
exist raises :class:`~store.errors.NotFoundError` (404).

Values are checked with the field rules of :mod:`domain.fields` (the very rules and words of
ingest), every problem of a record collected and reported at once (:class:`OpportunityError`),
so the partner pages, the partner API and ingest say the same things.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import func
from sqlalchemy import select

from domain import fields
from domain import records
from domain.errors import FieldError
from domain.errors import Problem
from domain.errors import RecordError
from domain.status import OPPORTUNITY_STATUSES
from domain.status import ORG_STATUSES
from geo.service_area import service_area_from_text
from store._lookup import get_or_raise
from store.errors import StoreError
from store.models import Association
from store.models import IngestRun
from store.models import Opportunity
from store.models import PeerOrganisation

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Collection
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from geo.service_area import ServiceArea
    from store import Store

#: Fields a partner may set, by the names of ARCHITECTURE.md.
EDITABLE = (
    "title", "description", "interests", "skills", "weekdays", "start_time", "end_time",
    "flexible", "commitment", "accessibility", "capacity", "places_taken", "status",
    "starts_on", "ends_on", "lat", "lon", "postcode", "address", "location_precision",
)
MAX_CAPACITY = fields.MAX_CAPACITY
_LISTS = frozenset(("interests", "skills", "accessibility", "weekdays"))
_DEFAULTS: dict[str, Any] = {"flexible": False, "status": "open"}
_GB: ServiceArea | None = None


def default_area() -> ServiceArea:
    """The service area partners' needs must be inside when none is given: Great Britain.

    The app passes its own (``COMMONGROUND_SERVICE_AREA``), as ingest does.
    """
    global _GB  # noqa: PLW0603 - built once, on first use
    if _GB is None:
        _GB = service_area_from_text("GB")
    return _GB


class OpportunityError(StoreError, RecordError):
    """Values an opportunity cannot take; ``problems`` maps each field to what is wrong.

    The reasons are those of :mod:`domain.fields`, word for word what ingest says.
    """

    status = 400
    code = "invalid_opportunity"

    def __init__(self, problems: Mapping[str, str] | Iterable[Problem]) -> None:
        items = ([Problem(k, None, v) for k, v in problems.items()]
                 if isinstance(problems, Mapping) else list(problems))
        RecordError.__init__(self, items)


class ForbiddenError(StoreError, PermissionError):
    """A record that exists but belongs to another association."""

    status = 403
    code = "forbidden"


class StatusError(StoreError, ValueError):
    """A status outside the allowed ones."""

    status = 400
    code = "invalid_status"


# ---------------------------------------------------------------------------- validation


def clean_opportunity(
    values: Mapping[str, Any], *, interests: Collection[str], partial: bool = False,
    area: ServiceArea | None = None,
) -> dict[str, Any]:
    """Check and convert an opportunity's values with the rules of :mod:`domain.fields`.

    Parameters
    ----------
    values
        Field -> value, fields among :data:`EDITABLE`. Numbers may be given as text,
        times as ``"HH:MM"`` (or ``"6:30 PM"``), dates as ``"YYYY-MM-DD"`` (or
        ``"01/05/2024"``), days as numbers (0 = Sunday) or names, lists of text as a
        comma-separated string.
    interests
        The interest slugs allowed (the store's taxonomy).
    partial
        ``True`` for an update: only the given fields are checked and returned, and
        ``title`` is not required.
    area
        The service area the position must be inside (default :func:`default_area`).

    Returns
    -------
    dict
        The converted values, ready for the model. A field given empty becomes its empty
        value (``None``, ``[]``, ``False``; status ``open``).

    Raises
    ------
    OpportunityError
        With every problem found, field by field, in the words ingest uses.
    """
    area = area or default_area()
    allowed = frozenset(interests)
    ctx = fields.Context(interest_lookup=lambda s: s if s in allowed else None,
                         strict_interests=True)
    problems = records.unknown_fields(values, EDITABLE)
    data = {k: v for k, v in values.items() if k in EDITABLE}
    parsed, _refs, found = records.check_fields("opportunities", data, ctx)
    if partial and "title" not in values:
        found = [p for p in found if p.field != "title"]
    problems += found
    wanted = [n for n in EDITABLE if not partial or n in values]
    out: dict[str, Any] = {}
    for name in wanted:
        if name in parsed:
            out[name] = parsed[name]
        elif name in records.RULES["opportunities"] or name == "address":
            out[name] = [] if name in _LISTS else _DEFAULTS.get(name)
    if "places_taken" in out and "places_taken" not in values:
        del out["places_taken"]  # only set when given, also on create
    check_location(values, out, problems, area)
    problems += fields.pair_problems(out)
    if problems:
        raise OpportunityError(problems)
    return out


def check_location(values: Mapping[str, Any], out: dict[str, Any], problems: list[Problem],
                    area: ServiceArea) -> None:
    """Check ``postcode``, ``location_precision`` and ``lat``/``lon`` into ``out``.

    The rules of :mod:`domain.fields` with the service area; problems are appended.
    """
    checks: tuple[tuple[str, Callable[[Any], Any]], ...] = (
        ("postcode", lambda v: fields.postcode(v, area)),
        ("location_precision", fields.precision))
    for name, check in checks:
        if name not in values:
            continue
        if fields.is_missing(values[name]):
            out[name] = None
            continue
        try:
            out[name] = check(values[name])
        except FieldError as exc:
            problems.append(Problem(name, values[name], str(exc)))
    lat, lon = values.get("lat"), values.get("lon")
    if fields.is_missing(lat) and fields.is_missing(lon):
        return
    latlon, found = fields.coordinates(lat, lon, area)
    problems.extend(found)
    if latlon is not None:
        out["lat"], out["lon"] = latlon


# --------------------------------------------------------------------- opportunities


def _opportunity_dict(o: Opportunity) -> dict[str, Any]:
    return {
        "id": o.id, "association_id": o.association_id, "title": o.title,
        "description": o.description, "interests": list(o.interests or []),
        "skills": list(o.skills or []), "weekdays": list(o.weekdays or []),
        "start_time": o.start_time, "end_time": o.end_time, "flexible": bool(o.flexible),
        "commitment": o.commitment, "accessibility": list(o.accessibility or []),
        "capacity": o.capacity, "places_taken": o.places_taken or 0, "status": o.status,
        "starts_on": o.starts_on, "ends_on": o.ends_on, "lat": o.lat, "lon": o.lon,
        "postcode": o.postcode, "address": o.address,
        "location_precision": o.location_precision, "source": o.source,
        "is_demo": bool(o.is_demo), "created_at": o.created_at, "updated_at": o.updated_at,
    }


def association_summary(store: Store, association_id: int) -> dict[str, Any]:
    """The association a partner acts for: id, name, status, category, place, demo flag.

    Raises
    ------
    NotFoundError
        When there is no such association.
    """
    with store.sessions() as s:
        a = get_or_raise(s, Association, association_id, what="association")
        return {"id": a.id, "name": a.name, "status": a.status, "category": a.category,
                "lat": a.lat, "lon": a.lon, "postcode": a.postcode, "address": a.address,
                "location_precision": a.location_precision, "is_demo": bool(a.is_demo)}


def list_opportunities(
    store: Store, association_id: int, *, status: str | None = None
) -> list[dict[str, Any]]:
    """The association's opportunities (optionally of one status): open first, newest first."""
    if status is not None and status not in OPPORTUNITY_STATUSES:
        msg = f"status {status!r} is not known; choose one of {', '.join(OPPORTUNITY_STATUSES)}"
        raise StatusError(msg)
    order = {s: i for i, s in enumerate(OPPORTUNITY_STATUSES)}
    stmt = select(Opportunity).where(Opportunity.association_id == int(association_id))
    if status is not None:
        stmt = stmt.where(Opportunity.status == status)
    with store.sessions() as s:
        rows = [_opportunity_dict(o) for o in s.scalars(stmt.order_by(Opportunity.id.desc()))]
    return sorted(rows, key=lambda r: order.get(r["status"], len(order)))


def owned_opportunity(s: Session, association_id: int, opportunity_id: int, *,
                      refusal: str | None = None) -> Opportunity:
    """The association's opportunity, asked for by both ids (``WHERE id AND association_id``).

    Parameters
    ----------
    s
        An open session.
    association_id
        The association that asks.
    opportunity_id
        The opportunity it asks for.
    refusal
        The :class:`ForbiddenError` message when it is another association's (default:
        ``"opportunity N belongs to another association"``).

    Raises
    ------
    ForbiddenError
        When it belongs to another association.
    NotFoundError
        When it does not exist.
    """
    found = s.scalars(select(Opportunity).where(
        Opportunity.id == int(opportunity_id),
        Opportunity.association_id == int(association_id),
    )).first()
    if found is not None:
        return found
    get_or_raise(s, Opportunity, opportunity_id, what="opportunity")
    msg = refusal or f"opportunity {opportunity_id} belongs to another association"
    raise ForbiddenError(msg)


def get_opportunity(store: Store, association_id: int, opportunity_id: int) -> dict[str, Any]:
    """One of the association's opportunities.

    Raises
    ------
    ForbiddenError, NotFoundError
        See :func:`owned_opportunity`.
    """
    with store.sessions() as s:
        return _opportunity_dict(owned_opportunity(s, association_id, opportunity_id))


def create_opportunity(
    store: Store, association_id: int, values: Mapping[str, Any], *,
    area: ServiceArea | None = None,
) -> dict[str, Any]:
    """Add an opportunity to the association.

    Without ``lat``/``lon`` it is placed at the association's own position. ``area`` is the
    service area its position must be inside (see :func:`clean_opportunity`).

    Raises
    ------
    OpportunityError
        With every problem of ``values``.
    NotFoundError
        When the association does not exist.
    """
    clean = clean_opportunity(values, interests=set(store.interest_slugs()), area=area)
    with store.session() as s:
        assoc = get_or_raise(s, Association, association_id, what="association")
        if clean.get("lat") is None:
            clean.update(lat=assoc.lat, lon=assoc.lon,
                         location_precision=assoc.location_precision or "exact")
            clean["postcode"] = clean.get("postcode") or assoc.postcode
            clean["address"] = clean.get("address") or assoc.address
        opp = Opportunity(association_id=assoc.id, source="partner", **clean)
        s.add(opp)
        s.flush()
        opp.source_id = f"partner-{opp.id}"
        return _opportunity_dict(opp)


def update_opportunity(
    store: Store, association_id: int, opportunity_id: int, values: Mapping[str, Any], *,
    area: ServiceArea | None = None,
) -> dict[str, Any]:
    """Change the given fields of one of the association's opportunities.

    Raises
    ------
    OpportunityError, ForbiddenError, NotFoundError
        See :func:`clean_opportunity` and :func:`get_opportunity`.
    """
    clean = clean_opportunity(values, interests=set(store.interest_slugs()), partial=True,
                              area=area)
    with store.session() as s:
        opp = owned_opportunity(s, association_id, opportunity_id)
        merged = {"start_time": opp.start_time, "end_time": opp.end_time,
                  "starts_on": opp.starts_on, "ends_on": opp.ends_on,
                  "capacity": opp.capacity, "places_taken": opp.places_taken} | clean
        problems = fields.pair_problems(merged)
        if problems:
            raise OpportunityError(problems)
        for name, value in clean.items():
            setattr(opp, name, value)
        s.flush()
        return _opportunity_dict(opp)


def set_opportunity_status(
    store: Store, association_id: int, opportunity_id: int, status: str
) -> dict[str, Any]:
    """Open, pause, fill or close one of the association's opportunities."""
    return update_opportunity(store, association_id, opportunity_id, {"status": status})


# ----------------------------------------------------------------------------- admin


def _set_status(
    store: Store, model: Any, record_id: int, status: str, what: str
) -> dict[str, Any]:
    if status not in ORG_STATUSES:
        msg = f"status {status!r} is not known; choose one of {', '.join(ORG_STATUSES)}"
        raise StatusError(msg)
    with store.session() as s:
        record = get_or_raise(s, model, record_id, what=what)
        before = record.status
        record.status = status
        return {"id": record.id, "name": record.name, "status": status, "was": before}


def set_organisation_status(store: Store, organisation_id: int, status: str) -> dict[str, Any]:
    """Approve, suspend or return to pending a peer organisation; returns id, name, status."""
    return _set_status(store, PeerOrganisation, organisation_id, status, "organisation")


def set_association_status(store: Store, association_id: int, status: str) -> dict[str, Any]:
    """Approve, suspend or return to pending an association; returns id, name, status."""
    return _set_status(store, Association, association_id, status, "association")


def list_associations(
    store: Store, *, status: str | None = None, name_contains: str | None = None,
    limit: int = 100, offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of associations by name, and how many match in all.

    ``name_contains`` is matched case-insensitively as plain text (``%`` and ``_`` are not
    wildcards).
    """
    if status is not None and status not in ORG_STATUSES:
        msg = f"status {status!r} is not known; choose one of {', '.join(ORG_STATUSES)}"
        raise StatusError(msg)
    n_opps = (select(func.count(Opportunity.id))
              .where(Opportunity.association_id == Association.id)
              .correlate(Association).scalar_subquery())
    conds: list[Any] = []
    if status is not None:
        conds.append(Association.status == status)
    if name_contains:
        needle = name_contains.strip().lower()
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(func.lower(Association.name).like(f"%{escaped}%", escape="\\"))
    with store.sessions() as s:
        total = int(s.scalar(select(func.count(Association.id)).where(*conds)) or 0)
        rows = s.execute(
            select(Association, n_opps).where(*conds)
            .order_by(func.lower(Association.name), Association.id)
            .limit(max(1, int(limit))).offset(max(0, int(offset)))
        ).all()
        out = [{"id": a.id, "name": a.name, "category": a.category, "status": a.status,
                "postcode": a.postcode, "website": a.website, "is_demo": bool(a.is_demo),
                "opportunities": int(n or 0)} for a, n in rows]
    return out, total


def association_choices(store: Store) -> list[tuple[int, str]]:
    """``(id, name)`` of every association, by name: for forms that link a user."""
    with store.sessions() as s:
        return [(i, n) for i, n in s.execute(
            select(Association.id, Association.name).order_by(func.lower(Association.name)))]


def list_ingest_runs(store: Store, *, limit: int = 200) -> list[dict[str, Any]]:
    """The newest ingest runs (without their rejected rows), newest first."""
    columns = [c for c in IngestRun.__table__.columns if c.name != "rejected"]
    with store.sessions() as s:
        rows = s.execute(
            select(*columns).order_by(IngestRun.started_at.desc(), IngestRun.id.desc())
            .limit(max(1, int(limit)))
        ).all()
    return [dict(r._mapping) for r in rows]


def get_ingest_run(store: Store, run_id: int) -> dict[str, Any]:
    """One ingest run with its rejected rows (``row``, ``id``, ``field``, ``reason``, ...).

    Raises
    ------
    NotFoundError
        When there is no such run.
    """
    with store.sessions() as s:
        run = get_or_raise(s, IngestRun, run_id, what="ingest run")
        return {c.name: getattr(run, c.name) for c in IngestRun.__table__.columns}


__all__ = [
    "EDITABLE",
    "ForbiddenError",
    "OpportunityError",
    "StatusError",
    "association_choices",
    "association_summary",
    "check_location",
    "clean_opportunity",
    "create_opportunity",
    "get_ingest_run",
    "get_opportunity",
    "list_associations",
    "list_ingest_runs",
    "list_opportunities",
    "owned_opportunity",
    "set_association_status",
    "set_opportunity_status",
    "set_organisation_status",
    "update_opportunity",
]
