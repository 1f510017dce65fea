"""Partner and admin writes: opportunities scoped to one association, statuses, ingest runs.

Scoping is done in the query: every read or write of an opportunity names both its id and
the association that asks (``WHERE id = :id AND association_id = :mine``), so a partner can
never reach another association's record, whatever the page or API does. A record that
exists but belongs to someone else raises :class:`ForbiddenError` (403); one that does not
exist raises :class:`~store.errors.NotFoundError` (404).

Values are validated here, with every problem of a record collected and reported at once
(:class:`OpportunityError`), so the partner pages and the partner API say the same things.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import func
from sqlalchemy import select

from geo.distance import validate_latlon
from store.errors import NotFoundError
from store.errors import StoreError
from store.models import OPPORTUNITY_STATUSES
from store.models import ORG_STATUSES
from store.models import PRECISIONS
from store.models import Association
from store.models import IngestRun
from store.models import Opportunity
from store.models import PeerOrganisation

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Mapping

    from store import Store

#: Fields a partner may set, by the names of ARCHITECTURE.md.
EDITABLE = (
    "title", "description", "interests", "skills", "weekdays", "start_time", "end_time",
    "flexible", "commitment", "accessibility", "capacity", "places_taken", "status",
    "starts_on", "ends_on", "lat", "lon", "postcode", "address", "location_precision",
)
_TEXT_LIMITS = {"title": 200, "description": 5000, "commitment": 200, "postcode": 10,
                "address": 500}
_LIST_LIMITS = {"skills": (20, 80), "accessibility": (20, 80)}
MAX_CAPACITY = 10_000


class OpportunityError(StoreError, ValueError):
    """Values an opportunity cannot take; ``problems`` maps each field to what is wrong."""

    status = 400
    code = "invalid_opportunity"

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.problems.items()))


class ForbiddenError(StoreError, PermissionError):
    """A record that exists but belongs to another association."""

    status = 403
    code = "forbidden"


class StatusError(StoreError, ValueError):
    """A status outside the allowed ones."""

    status = 400
    code = "invalid_status"


# ---------------------------------------------------------------------------- validation


def _text(name: str, value: Any, problems: dict[str, str], *, required: bool = False) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems[name] = "is required"
        return None
    if not isinstance(value, str):
        problems[name] = f"must be text, got {value!r}"
        return None
    text = value.strip()
    if "\x00" in text:
        problems[name] = "must not contain NUL characters (\\x00)"
    elif len(text) > _TEXT_LIMITS[name]:
        problems[name] = f"must be at most {_TEXT_LIMITS[name]} characters, got {len(text)}"
    return text


def _strings(name: str, value: Any, problems: dict[str, str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        problems[name] = f"must be a list of text, got {value!r}"
        return []
    items = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    most, longest = _LIST_LIMITS.get(name, (50, 80))
    if any("\x00" in v for v in items):
        problems[name] = "must not contain NUL characters (\\x00)"
    elif len(items) > most:
        problems[name] = f"at most {most} items, got {len(items)}"
    elif any(len(v) > longest for v in items):
        problems[name] = f"each item at most {longest} characters"
    return items


def _whole(name: str, value: Any, problems: dict[str, str], *, high: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 0 <= number <= high:
        problems[name] = f"must be a whole number from 0 to {high}, got {value!r}"
        return None
    return number


def _time(name: str, value: Any, problems: dict[str, str]) -> dt.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value
    try:
        parsed = dt.time.fromisoformat(str(value).strip())
    except ValueError:
        problems[name] = f"must be a time like '18:30', got {value!r}"
        return None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def _date(name: str, value: Any, problems: dict[str, str]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems[name] = f"must be a date like '2025-03-31', got {value!r}"
        return None


def _bool(name: str, value: Any, problems: dict[str, str]) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    problems[name] = f"must be true or false, got {value!r}"
    return False


def _weekdays(value: Any, problems: dict[str, str]) -> list[int]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    days: list[int] = []
    for item in items:
        day = _whole("weekdays", item, problems, high=6)
        if day is None:
            problems["weekdays"] = (f"must be numbers 0 (Sunday) to 6 (Saturday), "
                                    f"got {value!r}")
            return []
        days.append(day)
    return sorted(set(days))


def _status(name: str, value: Any, problems: dict[str, str]) -> str:
    status = value or "open"
    if status not in OPPORTUNITY_STATUSES:
        problems[name] = (f"{status!r} is not a status; choose one of "
                          f"{', '.join(OPPORTUNITY_STATUSES)}")
    return str(status)


def _precision(value: Any, problems: dict[str, str]) -> Any:
    if value not in PRECISIONS:
        problems["location_precision"] = (f"{value!r} is not known; choose one of "
                                          f"{', '.join(PRECISIONS)}")
    return value


_CLEANERS: dict[str, Any] = {
    "title": lambda n, v, p: _text(n, v, p, required=True),
    "description": _text, "commitment": _text, "postcode": _text, "address": _text,
    "interests": _strings, "skills": _strings, "accessibility": _strings,
    "weekdays": lambda _n, v, p: _weekdays(v, p),
    "start_time": _time, "end_time": _time, "starts_on": _date, "ends_on": _date,
    "flexible": _bool, "status": _status,
    "capacity": lambda n, v, p: _whole(n, v, p, high=MAX_CAPACITY),
    "places_taken": lambda n, v, p: _whole(n, v, p, high=MAX_CAPACITY) or 0,
}


def clean_opportunity(
    values: Mapping[str, Any], *, interests: Collection[str], partial: bool = False,
) -> dict[str, Any]:
    """Check and convert an opportunity's values (JSON-like: text, numbers, lists).

    Parameters
    ----------
    values
        Field -> value, fields among :data:`EDITABLE`. Numbers may be given as text,
        times as ``"HH:MM"``, dates as ``"YYYY-MM-DD"``, lists of text as a comma-separated
        string.
    interests
        The interest slugs allowed (the store's taxonomy).
    partial
        ``True`` for an update: only the given fields are checked and returned, and
        ``title`` is not required.

    Returns
    -------
    dict
        The converted values, ready for the model.

    Raises
    ------
    OpportunityError
        With every problem found, field by field.
    """
    problems: dict[str, str] = {}
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        problems["fields"] = (f"unknown or read-only field(s) {', '.join(map(repr, unknown))}; "
                              f"allowed: {', '.join(EDITABLE)}")
    wanted = [n for n in EDITABLE if not partial or n in values]
    out: dict[str, Any] = {}
    for name in wanted:
        if name in _CLEANERS:
            out[name] = _CLEANERS[name](name, values.get(name), problems)
    if "interests" in wanted:
        wrong = [t for t in out["interests"] if t not in interests]
        if wrong:
            problems["interests"] = (f"{', '.join(map(repr, wrong))} not in the taxonomy; "
                                     f"allowed: {', '.join(sorted(interests))}")
    if "places_taken" in out and "places_taken" not in values:
        del out["places_taken"]  # only set when given, also on create
    if "location_precision" in values:
        out["location_precision"] = _precision(values["location_precision"], problems)
    _check_location(values, out, problems)
    _check_pairs(out, problems)
    if problems:
        raise OpportunityError(problems)
    return out


def _check_location(values: Mapping[str, Any], out: dict[str, Any],
                    problems: dict[str, str]) -> None:
    lat, lon = values.get("lat"), values.get("lon")
    if lat is None and lon is None:
        return
    if lat is None or lon is None or isinstance(lat, bool) or isinstance(lon, bool):
        problems["location"] = f"give both lat and lon as numbers, got lat={lat!r}, lon={lon!r}"
        return
    try:
        out["lat"], out["lon"] = validate_latlon(lat, lon, name="location")
    except ValueError as exc:
        problems["location"] = str(exc)


def _check_pairs(out: dict[str, Any], problems: dict[str, str]) -> None:
    start, end = out.get("start_time"), out.get("end_time")
    if start and end and end <= start:
        problems["end_time"] = f"must be after start_time {start:%H:%M}, got {end:%H:%M}"
    first, last = out.get("starts_on"), out.get("ends_on")
    if first and last and last < first:
        problems["ends_on"] = f"must be on or after starts_on {first}, got {last}"
    capacity, taken = out.get("capacity"), out.get("places_taken")
    if capacity is not None and taken is not None and taken > capacity:
        problems["places_taken"] = f"must be at most capacity {capacity}, got {taken}"


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
        a = s.get(Association, int(association_id))
        if a is None:
            msg = f"association_id={association_id!r} is not an association"
            raise NotFoundError(msg)
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


def _owned(s: Any, association_id: int, opportunity_id: int) -> Opportunity:
    found = s.scalars(select(Opportunity).where(
        Opportunity.id == int(opportunity_id),
        Opportunity.association_id == int(association_id),
    )).first()
    if found is not None:
        return found  # type: ignore[no-any-return]
    if s.get(Opportunity, int(opportunity_id)) is not None:
        msg = f"opportunity {opportunity_id} belongs to another association"
        raise ForbiddenError(msg)
    msg = f"opportunity {opportunity_id} does not exist"
    raise NotFoundError(msg)


def get_opportunity(store: Store, association_id: int, opportunity_id: int) -> dict[str, Any]:
    """One of the association's opportunities.

    Raises
    ------
    ForbiddenError
        When it belongs to another association.
    NotFoundError
        When it does not exist.
    """
    with store.sessions() as s:
        return _opportunity_dict(_owned(s, association_id, opportunity_id))


def create_opportunity(
    store: Store, association_id: int, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Add an opportunity to the association.

    Without ``lat``/``lon`` it is placed at the association's own position.

    Raises
    ------
    OpportunityError
        With every problem of ``values``.
    NotFoundError
        When the association does not exist.
    """
    clean = clean_opportunity(values, interests=set(store.interest_slugs()))
    with store.session() as s:
        assoc = s.get(Association, int(association_id))
        if assoc is None:
            msg = f"association_id={association_id!r} is not an association"
            raise NotFoundError(msg)
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
    store: Store, association_id: int, opportunity_id: int, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Change the given fields of one of the association's opportunities.

    Raises
    ------
    OpportunityError, ForbiddenError, NotFoundError
        See :func:`clean_opportunity` and :func:`get_opportunity`.
    """
    clean = clean_opportunity(values, interests=set(store.interest_slugs()), partial=True)
    with store.session() as s:
        opp = _owned(s, association_id, opportunity_id)
        merged = {"start_time": opp.start_time, "end_time": opp.end_time,
                  "starts_on": opp.starts_on, "ends_on": opp.ends_on,
                  "capacity": opp.capacity, "places_taken": opp.places_taken} | clean
        problems: dict[str, str] = {}
        _check_pairs(merged, problems)
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
        record = s.get(model, int(record_id))
        if record is None:
            msg = f"{what} {record_id} does not exist"
            raise NotFoundError(msg)
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
        run = s.get(IngestRun, int(run_id))
        if run is None:
            msg = f"ingest run {run_id} does not exist"
            raise NotFoundError(msg)
        return {c.name: getattr(run, c.name) for c in IngestRun.__table__.columns}


__all__ = [
    "EDITABLE",
    "ForbiddenError",
    "OpportunityError",
    "StatusError",
    "association_choices",
    "association_summary",
    "clean_opportunity",
    "create_opportunity",
    "get_ingest_run",
    "get_opportunity",
    "list_associations",
    "list_ingest_runs",
    "list_opportunities",
    "set_association_status",
    "set_opportunity_status",
    "set_organisation_status",
    "update_opportunity",
]
