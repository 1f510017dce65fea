"""The store's side of :class:`matching.candidates.CandidateSource`, for SQLite and PostGIS.

Radius questions go through ``store.spatial`` (SQLite: the in-process k-d tree; PostGIS: the
GiST pre-filter), which computes the final great-circle km in Python on both backends: the
same ids in the same order with the same distances. On SQLite the source says
``in_process = True``: the store's index is an in-process k-d tree over the stored floats
anyway, so the recommender may answer radius questions from its own catalogue, which is the
same index over the same floats (one cache instead of two, no id lookup per request). The
version token is the change counters of the tables the catalogue is built from, one
primary-key lookup; on PostGIS a request reads it in the statement of its radius question
(:meth:`StoreCandidates.versioned_within`): one round trip per request.

Nothing about a query (where the peer is, what they typed) is logged or kept.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Text
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import select

from store.models import Association
from store.models import Meeting
from store.models import MutualInterestLink
from store.models import Opportunity
from store.models import PeerOrganisation
from store.reads import listed_conditions
from store.reads import public_meeting_condition
from store.replicas import replica_read

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from store import Store

#: Tables whose writes change the opportunity catalogue.
CATALOGUE_TABLES = ("opportunities", "associations")
_OPP_COLUMNS = ("id", "association_id", "title", "description", "interests", "skills",
                "weekdays", "start_time", "end_time", "flexible", "capacity", "places_taken",
                "status", "lat", "lon", "starts_on", "ends_on", "commitment", "accessibility")
_MEETING_COLUMNS = ["id", "name", "organisation_id", "organisation", "lat", "lon"]
_ASSOC_COLUMNS = ["id", "name", "category", "status", "lat", "lon"]
_LIST_COLUMNS = ("interests", "skills", "weekdays", "accessibility")
"""JSON list columns: read as text and each distinct text decoded once (listings repeat the
same few lists; decoding a million values one by one was most of the first request)."""


def _lists(texts: list[str | None]) -> list[list[Any]]:
    """Decode JSON list texts, each distinct text once (a fresh list per row)."""
    decoded: dict[str | None, list[Any]] = {}
    out = []
    for text in texts:
        value = decoded.get(text)
        if value is None:
            value = decoded[text] = list(json.loads(text) or []) if text else []
        out.append(list(value))
    return out


def _ordered(frame: pd.DataFrame, ids: NDArray[np.int64], km: NDArray[np.float64]
             ) -> pd.DataFrame:
    """``frame`` rows in the order of ``ids`` with their ``distance_km``."""
    order = pd.DataFrame({"id": np.asarray(ids, dtype=np.int64),
                          "distance_km": np.asarray(km, dtype=np.float64)})
    return order.merge(frame, on="id", how="inner", sort=False)[
        [*frame.columns, "distance_km"]].reset_index(drop=True)


class StoreCandidates:
    """Candidates from a :class:`store.Store` (implements ``CandidateSource``).

    Parameters
    ----------
    store
        A migrated store on either backend.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.router = store.router
        self.in_process = store.backend == "sqlite"

    @replica_read
    def version(self) -> tuple[tuple[str, int], ...]:
        """The change counters of :data:`CATALOGUE_TABLES` (one query)."""
        # No date here: the catalogue keeps every dated need and each query cuts by its own
        # day (``Catalogue.live``), so midnight does not rebuild it.
        return self.store.spatial.versions(CATALOGUE_TABLES)

    @replica_read
    def opportunities(self) -> pd.DataFrame:
        """Every listing of an approved association, with its name and category, by id."""
        cols = [cast(getattr(Opportunity, c), Text).label(c) if c in _LIST_COLUMNS
                else getattr(Opportunity, c) for c in _OPP_COLUMNS]
        stmt = (
            select(*cols, Association.name.label("association"), Association.category)
            .join(Association, Opportunity.association_id == Association.id)
            # Peers see the needs of approved associations only (a pending or suspended
            # partner's listings wait for an admin).
            .where(Opportunity.lat.is_not(None), Opportunity.lon.is_not(None),
                   Association.status == "approved")
            .order_by(Opportunity.id)
        )
        # Open with a place left; not cut by date: a query's own day does that
        # (``Catalogue.live``), so "what is offered on day D" is the same whatever today is.
        listed = and_(*listed_conditions(today=dt.date.min)).label("listed")
        with self.router.connect() as conn:
            rows = conn.execute(stmt.add_columns(listed)).all()
        frame = pd.DataFrame.from_records(rows, columns=[*_OPP_COLUMNS, "association",
                                                         "category", "listed"])
        # A full need is no longer offered to peers (it is not "open" to them), but stays
        # in the catalogue for questions about it (its reach).
        unlisted = (frame["status"] == "open") & ~frame["listed"].astype(bool)
        frame.loc[unlisted, "status"] = "filled"
        frame = frame.drop(columns="listed")
        for column in _LIST_COLUMNS:
            frame[column] = _lists(frame[column].tolist())
        return frame

    def opportunities_within(
        self, latlon: tuple[float, float], radius_km: float, *,
        also: NDArray[np.int64] | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Ids and km of the open opportunities within ``radius_km``, nearest first.

        ``also``: the open ones among these ids too, wherever they are (one query).
        """
        return self.store.spatial.within("opportunities", latlon, radius_km,
                                         filters={"status": "open"}, also=also)

    def versioned_within(
        self, latlon: tuple[float, float], radius_km: float, *,
        also: NDArray[np.int64] | None = None,
    ) -> tuple[tuple[tuple[str, int], ...], NDArray[np.int64], NDArray[np.float64]]:
        """:meth:`version` and :meth:`opportunities_within` read together.

        On PostGIS one statement: one round trip, and the token and the listings come from
        the same snapshot.
        """
        token, (ids, km) = self.store.spatial.within_versioned(
            "opportunities", latlon, radius_km, versions=CATALOGUE_TABLES,
            filters={"status": "open"}, also=also)
        return token, ids, km

    @replica_read
    def linked_associations(self, organisation_id: int) -> frozenset[int]:
        """Associations with an active mutual-interest link to the organisation."""
        stmt = select(MutualInterestLink.association_id).where(
            MutualInterestLink.organisation_id == int(organisation_id),
            MutualInterestLink.active.is_(True))
        with self.router.connect() as conn:
            return frozenset(int(a) for a in conn.execute(stmt).scalars())

    @replica_read
    def _meetings(self, *conditions: Any) -> pd.DataFrame:
        # Online meetings have no distance: they are never "within" anything, and a group's
        # links are measured from the rooms it meets in.
        stmt = (
            select(Meeting.id, Meeting.name, Meeting.organisation_id,
                   PeerOrganisation.name.label("organisation"), Meeting.lat, Meeting.lon)
            .outerjoin(PeerOrganisation, Meeting.organisation_id == PeerOrganisation.id)
            .where(Meeting.active.is_(True), Meeting.lat.is_not(None),
                   Meeting.attendance != "online", *conditions)
            .order_by(Meeting.id)
        )
        with self.router.connect() as conn:
            rows = conn.execute(stmt).all()
        return pd.DataFrame.from_records(rows, columns=_MEETING_COLUMNS)

    def meetings_within(self, latlon: tuple[float, float], radius_km: float) -> pd.DataFrame:
        """Active in-room meetings within ``radius_km``, nearest first, with ``distance_km``."""
        ids, km = self.store.spatial.within("meetings", latlon, radius_km,
                                            filters={"active": True})
        if not len(ids):
            return pd.DataFrame(columns=[*_MEETING_COLUMNS, "distance_km"])
        # Peers are shown the meetings of approved organisations only.
        return _ordered(self._meetings(Meeting.id.in_(ids.tolist()), public_meeting_condition()),
                        ids, km)

    def meetings_of(self, organisation_id: int) -> pd.DataFrame:
        """The active in-room (in-person or hybrid) meetings of one organisation, by id."""
        return self._meetings(Meeting.organisation_id == int(organisation_id))

    @replica_read
    def associations_within(
        self, latlon: tuple[float, float], radius_km: float
    ) -> pd.DataFrame:
        """Associations within ``radius_km``, nearest first, with ``distance_km``."""
        ids, km = self.store.spatial.within("associations", latlon, radius_km)
        if not len(ids):
            return pd.DataFrame(columns=[*_ASSOC_COLUMNS, "distance_km"])
        stmt = select(*(getattr(Association, c) for c in _ASSOC_COLUMNS)).where(
            Association.id.in_(ids.tolist()))
        with self.router.connect() as conn:
            rows = conn.execute(stmt).all()
        return _ordered(pd.DataFrame.from_records(rows, columns=_ASSOC_COLUMNS), ids, km)

    @replica_read
    def links(
        self, *, organisation_ids: list[int] | None = None,
        association_ids: list[int] | None = None,
    ) -> pd.DataFrame:
        """Mutual-interest links, active or not.

        Optionally only those of some organisations or of some associations.
        """
        stmt = select(MutualInterestLink.organisation_id, MutualInterestLink.association_id,
                      MutualInterestLink.active).order_by(MutualInterestLink.id)
        if organisation_ids is not None:
            stmt = stmt.where(MutualInterestLink.organisation_id.in_(
                [int(i) for i in organisation_ids]))
        if association_ids is not None:
            stmt = stmt.where(MutualInterestLink.association_id.in_(
                [int(i) for i in association_ids]))
        with self.router.connect() as conn:
            rows = conn.execute(stmt).all()
        return pd.DataFrame.from_records(
            rows, columns=["organisation_id", "association_id", "active"])

    @replica_read
    def organisation(self, organisation_id: int) -> dict[str, Any] | None:
        """``{"id", "name", "status", "lat", "lon"}`` of an organisation, or ``None``."""
        stmt = select(PeerOrganisation.id, PeerOrganisation.name, PeerOrganisation.status,
                      PeerOrganisation.lat, PeerOrganisation.lon).where(
            PeerOrganisation.id == int(organisation_id))
        with self.router.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else dict(row._mapping)

    @replica_read
    def meeting(self, meeting_id: int) -> dict[str, Any] | None:
        """A meeting as an origin, or ``None`` when there is no such meeting.

        Keys: ``id``, ``name``, ``organisation_id``, ``lat``, ``lon``, ``active``.
        """
        stmt = select(Meeting.id, Meeting.name, Meeting.organisation_id, Meeting.lat,
                      Meeting.lon, Meeting.active).where(Meeting.id == int(meeting_id))
        with self.router.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else dict(row._mapping)


__all__ = ["CATALOGUE_TABLES", "StoreCandidates"]
