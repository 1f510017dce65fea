"""What coverage, site suggestion and the growth tree read from the store, as data frames.

Batch coverage runs in-process on both backends (ARCHITECTURE.md, "Performance notes"): these
functions pull the few columns once, in one query each, and :mod:`matching.coverage` computes
with its k-d tree. On PostGIS nothing spatial is pushed down here on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import pandas as pd
from sqlalchemy import select

from store.models import Association
from store.models import Meeting
from store.models import Opportunity
from store.models import PeerOrganisation
from store.models import Region
from store.replicas import replica_read

if TYPE_CHECKING:
    from collections.abc import Sequence

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


@replica_read
def organisations_frame(store: Store) -> pd.DataFrame:
    """Every peer organisation with its parent, status, founding date and region, by id.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ORGANISATION_COLUMNS` (``region`` is the region's name,
        ``founded_on`` a :class:`datetime.date` or ``None``).
    """
    o = PeerOrganisation
    stmt = (select(o.id, o.name, o.status, o.is_hotspot, o.parent_id, o.founded_on,
                   o.region_id, Region.name, o.town, o.lat, o.lon)
            .outerjoin(Region, o.region_id == Region.id).order_by(o.id))
    with store.router.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = _frame(rows, ORGANISATION_COLUMNS)
    frame["is_hotspot"] = frame["is_hotspot"].astype(bool)
    return frame


@replica_read
def regions_frame(store: Store) -> pd.DataFrame:
    """Every region: ``id``, ``name``, ``boundary_geojson`` (text or ``None``), by name."""
    stmt = select(Region.id, Region.name, Region.boundary_geojson).order_by(Region.name)
    with store.router.connect() as conn:
        rows = conn.execute(stmt).all()
    return _frame(rows, ("id", "name", "boundary_geojson"))


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
    "meetings_frame",
    "opportunity_rows",
    "organisations_frame",
    "regions_frame",
]
