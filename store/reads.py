"""Plain read queries: records as dicts, for the service and exports."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import String
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import aliased

from store.models import Association
from store.models import Meeting
from store.models import Opportunity
from store.models import PeerOrganisation
from store.models import Region
from store.refs import MODELS
from store.replicas import replica_read

if TYPE_CHECKING:
    from store import Store


@replica_read
def list_organisations(store: Store) -> list[dict[str, Any]]:
    """Every peer organisation with its region name, by id."""
    parent = aliased(PeerOrganisation)
    stmt = (
        select(PeerOrganisation, Region.name, parent.name)
        .outerjoin(Region, PeerOrganisation.region_id == Region.id)
        .outerjoin(parent, PeerOrganisation.parent_id == parent.id)
        .order_by(PeerOrganisation.id)
    )
    with store.read_session() as s:
        return [
            {
                "id": o.id, "name": o.name, "status": o.status, "is_hotspot": o.is_hotspot,
                "parent_id": o.parent_id, "parent": parent_name, "region": region,
                "town": o.town, "founded_on": o.founded_on, "lat": o.lat, "lon": o.lon,
                "is_demo": o.is_demo,
            }
            for o, region, parent_name in s.execute(stmt)
        ]


@replica_read
def list_meetings(store: Store, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Every meeting (optionally only active ones), by id."""
    stmt = select(Meeting).order_by(Meeting.id)
    if active_only:
        stmt = stmt.where(Meeting.active.is_(True))
    with store.read_session() as s:
        return [
            {
                "id": m.id, "name": m.name, "organisation_id": m.organisation_id,
                "weekdays": list(m.weekdays or []), "start_time": m.start_time,
                "end_time": m.end_time, "venue": m.venue, "address": m.address,
                "postcode": m.postcode, "attendance": m.attendance, "active": m.active,
                "lat": m.lat, "lon": m.lon, "location_precision": m.location_precision,
                "is_demo": m.is_demo,
            }
            for m in s.scalars(stmt)
        ]


@replica_read
def export_records(store: Store, kind: str) -> list[dict[str, Any]]:
    """Every stored field of every record of ``kind``, with the names of related records.

    ``kind`` is ``"meetings"``, ``"associations"`` or ``"opportunities"``. Meetings carry
    ``organisation`` and ``region`` names; opportunities carry ``association`` and
    ``category``. The PostGIS-only ``geom`` column is left out (``lat``/``lon`` are there).
    """
    return _export_stmt_records(store, kind, None)


@replica_read
def feed_meetings(store: Store, *, organisation_id: int | None = None) -> list[dict[str, Any]]:
    """The public meetings: active ones of approved organisations, as :func:`export_records`.

    ``organisation_id`` keeps one organisation's meetings only.
    """
    approved = select(PeerOrganisation.id).where(PeerOrganisation.status == "approved")
    where = Meeting.active.is_(True) & Meeting.organisation_id.in_(approved)
    if organisation_id is not None:
        where = where & (Meeting.organisation_id == organisation_id)
    return _export_stmt_records(store, "meetings", where)


@replica_read
def organisation_status(store: Store, organisation_id: int) -> str | None:
    """The status of a peer organisation, ``None`` when there is no such organisation."""
    with store.read_session() as s:
        return s.scalar(select(PeerOrganisation.status)
                        .where(PeerOrganisation.id == organisation_id))


@replica_read
def query_records(
    store: Store,
    kind: str,
    *,
    equals: dict[str, Any] | None = None,
    contains: dict[str, str] | None = None,
    ids: list[int] | None = None,
    association_category: str | None = None,
    association_status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """One page of ``kind`` records (as :func:`export_records` shapes them) and the total.

    Parameters
    ----------
    equals
        Column -> value that must be equal (``{"status": "open"}``).
    contains
        List column -> item it must contain (``{"interests": "gardening"}``); matched on the
        stored JSON text, the same way on both backends.
    ids
        Only these ids (e.g. the answer of a spatial query), kept in id order.
    association_category, association_status
        Opportunities only: their association's category or status.
    limit, offset
        The page.
    """
    model = MODELS[kind]
    conds = []
    for name, value in (equals or {}).items():
        conds.append(getattr(model, name) == value)
    for name, item in (contains or {}).items():
        # JSON lists are stored as text like ["a", "b"]: match the quoted item.
        quoted = '"' + str(item).replace("\\", "").replace('"', "") + '"'
        conds.append(cast(getattr(model, name), String).contains(quoted, autoescape=True))
    if ids is not None:
        conds.append(model.id.in_(ids) if ids else model.id.is_(None))

    for column, value in (("category", association_category), ("status", association_status)):
        if value is not None:
            conds.append(model.association_id.in_(
                select(Association.id).where(getattr(Association, column) == value)))
    with store.read_session() as s:
        total = int(s.scalar(select(func.count()).select_from(model).where(*conds)) or 0)
        page_ids = list(s.scalars(
            select(model.id).where(*conds).order_by(model.id).limit(limit).offset(offset)))
    if not page_ids:
        return total, []
    return total, export_records_by_ids(store, kind, page_ids)


@replica_read
def export_records_by_ids(store: Store, kind: str, ids: list[int]) -> list[dict[str, Any]]:
    """:func:`export_records` for some ids only, in id order."""
    model = MODELS[kind]
    return _export_stmt_records(store, kind, model.id.in_(ids))


@replica_read
def _export_stmt_records(store: Store, kind: str, where: Any) -> list[dict[str, Any]]:
    model = MODELS[kind]
    columns = [c for c in model.__table__.columns if c.name != "geom"]
    if kind == "meetings":
        stmt = (
            select(*columns, PeerOrganisation.name.label("organisation"),
                   Region.name.label("region"))
            .outerjoin(PeerOrganisation, Meeting.organisation_id == PeerOrganisation.id)
            .outerjoin(Region, PeerOrganisation.region_id == Region.id)
        )
    elif kind == "opportunities":
        stmt = select(*columns, Association.name.label("association"),
                      Association.category.label("category")).join(
            Association, Opportunity.association_id == Association.id)
    else:
        stmt = select(*columns)
    if where is not None:
        stmt = stmt.where(where)
    with store.read_session() as s:
        return [dict(r._mapping) for r in s.execute(stmt.order_by(model.id))]
