"""What coverage, site suggestion and the growth tree read from the store, as data frames.

Batch coverage runs in-process on both backends (ARCHITECTURE.md, "Performance notes"): these
functions pull the few columns once, in one query each, and :mod:`matching.coverage` computes
with its k-d tree. On PostGIS nothing spatial is pushed down here on purpose.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlalchemy import select

from store.models import Association
from store.models import DataVersion
from store.models import Meeting
from store.models import Opportunity
from store.models import PeerOrganisation
from store.models import Region
from store.models import Volunteer
from store.replicas import replica_read

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator
    from collections.abc import Sequence

    from sqlalchemy import Connection

    from store import Store

MEETING_COLUMNS = ("id", "name", "organisation_id", "lat", "lon", "attendance", "active",
                   "venue", "location_precision")
ORGANISATION_COLUMNS = ("id", "name", "status", "is_hotspot", "parent_id", "founded_on",
                        "region_id", "region", "town", "lat", "lon")
IN_PERSON = ("in_person", "hybrid")


def _frame(rows: Sequence[object], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))  # type: ignore[arg-type]
    for name in ("lat", "lon"):
        if name in frame.columns:
            frame[name] = frame[name].astype("float64")
    for name in ("organisation_id", "parent_id", "region_id"):
        if name in frame.columns:
            frame[name] = frame[name].astype("Int64")
    return frame


@replica_read
def meetings_frame(
    store: Store, *, active_only: bool = True, attendance: Sequence[str] | None = IN_PERSON,
) -> pd.DataFrame:
    """Meetings with a position, by id.

    Parameters
    ----------
    store
        The store.
    active_only
        Only meetings flagged active.
    attendance
        Only these attendance modes (default: ``in_person`` and ``hybrid``, the meetings
        that bring people into a room); ``None`` for all.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MEETING_COLUMNS`.
    """
    m = Meeting
    stmt = (select(m.id, m.name, m.organisation_id, m.lat, m.lon, m.attendance, m.active,
                   m.venue, m.location_precision)
            .where(m.lat.is_not(None), m.lon.is_not(None)).order_by(m.id))
    if active_only:
        stmt = stmt.where(m.active.is_(True))
    if attendance is not None:
        stmt = stmt.where(m.attendance.in_(list(attendance)))
    with store.router.connect() as conn:
        rows = conn.execute(stmt).all()
    return _frame(rows, MEETING_COLUMNS)


def serving_meetings_frame(store: Store, *, on: dt.date) -> pd.DataFrame:
    """The meetings that serve people on ``on``, filtered in SQL (one query, few columns).

    The rule of :func:`matching.coverage.serving_meetings` (the tests check both agree):
    active, in a room, with a position, of an approved organisation that has a volunteer
    whose licence is valid on ``on``.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``organisation_id``, ``lat``, ``lon``, ``attendance``, ``active``, by id.
    """
    with store.engine.connect() as conn:
        return _serving_meetings(conn, on)


def _serving_meetings(conn: Connection, on: dt.date, *, lean: bool = False) -> pd.DataFrame:
    """The serving meetings; ``lean``: only ``id``, ``organisation_id``, ``lat``, ``lon``."""
    m, o, v = Meeting, PeerOrganisation, Volunteer
    licensed = (select(v.id).where(v.organisation_id == o.id, v.licence_valid_until >= on)
                .exists())
    columns = ("id", "organisation_id", "lat", "lon") + (() if lean else ("attendance",
                                                                          "active"))
    stmt = (select(*(getattr(m, c) for c in columns))
            .join(o, m.organisation_id == o.id)
            .where(m.active.is_(True), m.attendance.in_(list(IN_PERSON)),
                   m.lat.is_not(None), m.lon.is_not(None), o.status == "approved", licensed)
            .order_by(m.id))
    if not lean:
        return _frame(conn.execute(stmt).all(), columns)
    # Straight to arrays: coverage of 20,000 meetings should not wait on row objects (plain
    # integers and floats, which need no result processing on either backend).
    result = conn.execute(stmt)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    ids, orgs, lat, lon = (np.array(c) for c in zip(*rows, strict=True)) if rows else \
        (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
    return pd.DataFrame({"id": ids.astype(np.int64),
                         "organisation_id": pd.array(orgs.astype(np.int64), dtype="Int64"),
                         "lat": lat.astype(np.float64), "lon": lon.astype(np.float64)})


@replica_read
def organisations_frame(store: Store) -> pd.DataFrame:
    """Every peer organisation with its parent, status, founding date and region, by id.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ORGANISATION_COLUMNS` (``region`` is the region's name,
        ``founded_on`` a :class:`datetime.date` or ``None``).
    """
    with store.router.connect() as conn:
        return _organisations(conn)


def _organisations(conn: Connection) -> pd.DataFrame:
    o = PeerOrganisation
    stmt = (select(o.id, o.name, o.status, o.is_hotspot, o.parent_id, o.founded_on,
                   o.region_id, Region.name, o.town, o.lat, o.lon)
            .outerjoin(Region, o.region_id == Region.id).order_by(o.id))
    rows = conn.execute(stmt).all()
    frame = _frame(rows, ORGANISATION_COLUMNS)
    frame["is_hotspot"] = frame["is_hotspot"].astype(bool)
    return frame


def volunteers_frame(store: Store) -> pd.DataFrame:
    """Each volunteer's organisation and licence end date, no names.

    Columns ``organisation_id`` and ``licence_valid_until`` (a date or ``None``).
    """
    stmt = select(Volunteer.organisation_id, Volunteer.licence_valid_until).order_by(Volunteer.id)
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return _frame(rows, ("organisation_id", "licence_valid_until"))


def coverage_fingerprint(store: Store) -> tuple[Any, ...]:
    """A cheap value that changes whenever what coverage reads changes.

    The trigger-maintained change counters of ``meetings`` and ``peer_organisations``, and
    count / id sum / latest ``updated_at`` of ``volunteers`` and count / id sum / text length of
    ``regions`` (those two have no counter). One small query, no table scan beyond the two
    small tables' aggregates. Always asked of the primary; an answer cached under it is
    computed from :func:`coverage_snapshot` (the same fingerprint and the data, read together
    on the primary), so it is never kept under a key its data does not match.
    """
    with store.engine.connect() as conn:
        return _fingerprint(conn)


def _fingerprint(conn: Connection) -> tuple[Any, ...]:
    v, r = Volunteer, Region

    def version(table: str) -> Any:
        return (select(DataVersion.version).where(DataVersion.table_name == table)
                .scalar_subquery())

    def of(table: Any, *aggregates: Any) -> list[Any]:
        return [select(a).select_from(table).scalar_subquery() for a in aggregates]

    row = conn.execute(select(  # one round trip
        version("meetings"), version("peer_organisations"),
        *of(v, func.count(), func.sum(v.id), func.max(v.updated_at),
            func.max(v.licence_valid_until)),
        *of(r, func.count(), func.sum(r.id), func.sum(func.length(r.name)),
            func.sum(func.length(func.coalesce(r.boundary_geojson, "")))))).one()
    values = tuple(row)
    return ((("meetings", values[0]), ("peer_organisations", values[1])), values[2:6],
            values[6:10])


@dataclass(frozen=True)
class CoverageSnapshot:
    """What a coverage answer reads, and the fingerprint of exactly that data."""

    fingerprint: tuple[Any, ...]
    meetings: pd.DataFrame
    """The meetings that serve people on the day asked: ``id``, ``organisation_id``, ``lat``,
    ``lon`` (the rule of :func:`serving_meetings_frame`)."""
    organisations: pd.DataFrame
    regions: pd.DataFrame


@contextlib.contextmanager
def _one_snapshot(store: Store) -> Iterator[Connection]:
    """One connection to the primary whose reads all see the same committed state.

    PostgreSQL: a ``REPEATABLE READ`` transaction (one snapshot for every statement). SQLite:
    one read transaction (the store begins one on the first statement; in WAL mode it sees
    one state until it ends).
    """
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")  # noqa: PLW2901
        try:
            yield conn
        finally:
            conn.rollback()


def coverage_snapshot(store: Store, *, on: dt.date) -> CoverageSnapshot:
    """The coverage fingerprint and the frames coverage needs, read in one snapshot.

    Read on the primary, in one transaction, so the fingerprint describes exactly the data
    returned: a cache keyed by a fingerprint read earlier (or elsewhere) compares the two
    and does not keep an answer whose data is not its key's. Never read from a replica: a
    lagging replica would hand old rows to a key that names newer ones.
    """
    with _one_snapshot(store) as conn:
        return CoverageSnapshot(fingerprint=_fingerprint(conn),
                                meetings=_serving_meetings(conn, on, lean=True),
                                organisations=_organisations(conn),
                                regions=_regions(conn))


@replica_read
def regions_frame(store: Store) -> pd.DataFrame:
    """Every region: ``id``, ``name``, ``boundary_geojson`` (text or ``None``), by name."""
    with store.router.connect() as conn:
        return _regions(conn)


def _regions(conn: Connection) -> pd.DataFrame:
    stmt = select(Region.id, Region.name, Region.boundary_geojson).order_by(Region.name)
    return _frame(conn.execute(stmt).all(), ("id", "name", "boundary_geojson"))


@replica_read
def opportunity_rows(store: Store, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Opportunities by id, in the order given, with what a map popup shows.

    Each row: ``id``, ``title``, ``association``, ``category``, ``lat``, ``lon``,
    ``location_precision``, ``address``, ``weekdays``, ``start_time``, ``end_time``,
    ``flexible``, ``commitment``, ``status``. Unknown ids are left out.
    """
    wanted = [int(i) for i in ids]
    if not wanted:
        return []
    o = Opportunity
    stmt = (select(o.id, o.title, Association.name, Association.category, o.lat, o.lon,
                   o.location_precision, o.address, o.weekdays, o.start_time, o.end_time,
                   o.flexible, o.commitment, o.status)
            .join(Association, o.association_id == Association.id).where(o.id.in_(wanted)))
    keys = ("id", "title", "association", "category", "lat", "lon", "location_precision",
            "address", "weekdays", "start_time", "end_time", "flexible", "commitment",
            "status")
    with store.router.connect() as conn:
        found = {int(r[0]): dict(zip(keys, r, strict=True)) for r in conn.execute(stmt)}
    return [found[i] for i in wanted if i in found]


__all__ = [
    "IN_PERSON",
    "MEETING_COLUMNS",
    "ORGANISATION_COLUMNS",
    "CoverageSnapshot",
    "coverage_fingerprint",
    "coverage_snapshot",
    "meetings_frame",
    "opportunity_rows",
    "organisations_frame",
    "regions_frame",
    "serving_meetings_frame",
    "volunteers_frame",
]
