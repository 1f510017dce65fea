"""The candidate-source protocol: what matching needs from a store, and nothing more.

``matching`` defines it; ``store.candidates.StoreCandidates`` implements it for SQLite and
PostGIS; ``service`` hands one to :class:`matching.recommend.Recommender`. Tests may implement
it over plain frames. Every spatial answer is ``(ids, km)`` nearest first, ties by id, with
great-circle km computed the same way on every backend, so two sources over the same data
give the same recommendations to the last bit.

Frames
------
``opportunities()`` returns one row per opportunity (every status), sorted by ``id``, with
the columns of :data:`OPPORTUNITY_COLUMNS`: the stored fields of ``Opportunity`` plus
``association`` (name) and ``category`` of its association. ``weekdays`` use 0 = Sunday;
``start_time``/``end_time`` are :class:`datetime.time` or ``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Protocol
from typing import runtime_checkable

import numpy as np
import pandas as pd

from geo.distance import haversine_km
from geo.index import PointIndex
from geo.index import order_by_distance

if TYPE_CHECKING:
    from collections.abc import Hashable

    from numpy.typing import NDArray

OPPORTUNITY_COLUMNS = (
    "id", "association_id", "association", "category", "title", "description", "interests",
    "skills", "weekdays", "start_time", "end_time", "flexible", "capacity", "places_taken",
    "status", "lat", "lon",
)
"""Columns of :meth:`CandidateSource.opportunities`."""
OPTIONAL_COLUMNS = ("starts_on", "ends_on", "commitment", "accessibility")
"""Columns a source may add: dates (``datetime.date`` or ``None``; without them every listing
runs), commitment (text) and accessibility (list of text)."""
MEETING_COLUMNS = ("id", "name", "organisation_id", "organisation", "lat", "lon",
                   "distance_km")
"""Columns of :meth:`CandidateSource.meetings_within` (and ``meetings_of``, without km)."""
ASSOCIATION_COLUMNS = ("id", "name", "category", "status", "lat", "lon", "distance_km")
"""Columns of :meth:`CandidateSource.associations_within`."""
LINK_COLUMNS = ("organisation_id", "association_id", "active")
"""Columns of :meth:`CandidateSource.links`."""


@runtime_checkable
class CandidateSource(Protocol):
    """Where recommendations get their candidates (implemented by ``store.candidates``).

    A source may also have ``in_process = True``: its own radius answers are an in-process
    k-d tree over the very ``lat``/``lon`` that :meth:`opportunities` returns, so the
    recommender may answer them from its catalogue instead (same listings, same km).

    A source whose radius answers cost a round trip (PostGIS) may also have
    ``versioned_within(latlon, radius_km, *, also=None) -> (version, ids, km)``:
    :meth:`version` and :meth:`opportunities_within` read together (one statement). The
    recommender then checks its catalogue with the token of that answer instead of asking
    for the version first.
    """

    def version(self) -> Hashable:
        """A token that changes whenever :meth:`opportunities` would answer differently.

        Cheap (one primary-key lookup): it is checked on every request, and the in-process
        vectors are rebuilt only when it changes.
        """
        ...

    def opportunities(self) -> pd.DataFrame:
        """Every opportunity with its association's name and category (see module doc)."""
        ...

    def opportunities_within(
        self, latlon: tuple[float, float], radius_km: float, *,
        also: NDArray[np.int64] | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Ids and km of the *open* opportunities within ``radius_km``, nearest first.

        ``also``: ids wanted too wherever they are (the open ones among them, with their km).
        """
        ...

    def linked_associations(self, organisation_id: int) -> frozenset[int]:
        """Associations with an *active* mutual-interest link to the organisation."""
        ...

    def meetings_within(self, latlon: tuple[float, float], radius_km: float) -> pd.DataFrame:
        """Active meetings within ``radius_km`` (:data:`MEETING_COLUMNS`), nearest first."""
        ...

    def meetings_of(self, organisation_id: int) -> pd.DataFrame:
        """The active meetings of one organisation (:data:`MEETING_COLUMNS` but km)."""
        ...

    def associations_within(
        self, latlon: tuple[float, float], radius_km: float
    ) -> pd.DataFrame:
        """Associations within ``radius_km`` (:data:`ASSOCIATION_COLUMNS`), nearest first."""
        ...

    def links(
        self, *, organisation_ids: list[int] | None = None,
        association_ids: list[int] | None = None,
    ) -> pd.DataFrame:
        """Mutual-interest links, active or not (:data:`LINK_COLUMNS`).

        Optionally only those of some organisations or some associations.
        """
        ...

    def organisation(self, organisation_id: int) -> dict[str, object] | None:
        """``{"id", "name", "status", "lat", "lon"}`` of an organisation, or ``None``."""
        ...


class FrameCandidates:
    """A read-only :class:`CandidateSource` over an opportunities frame (evaluation, tests).

    ``in_process`` is true: the recommender answers radius questions from its catalogue.
    There are no meetings, links or organisations.

    Parameters
    ----------
    frame
        Rows with :data:`OPPORTUNITY_COLUMNS` (extra columns are dropped, so that nothing
        else, such as an evaluation label, can reach the engine).
    """

    in_process = True

    def __init__(self, frame: pd.DataFrame) -> None:
        keep = [*OPPORTUNITY_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in frame.columns)]
        self._frame = frame[keep].sort_values("id").reset_index(drop=True)

    def version(self) -> Hashable:
        """Always the same: the frame never changes."""
        return 0

    def opportunities(self) -> pd.DataFrame:
        """The frame (a copy)."""
        return self._frame.copy()

    def opportunities_within(
        self, latlon: tuple[float, float], radius_km: float, *,
        also: NDArray[np.int64] | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Open rows within ``radius_km``, and those of ``also``, nearest first (ties by id)."""
        f = self._frame[self._frame["status"] == "open"]
        index = PointIndex(f["id"], f["lat"], f["lon"])
        ids, km = index.within(latlon, radius_km)
        if also is None or not len(also):
            return ids, km
        more = f[f["id"].isin(np.setdiff1d(also, ids))]
        extra = haversine_km(latlon[0], latlon[1], more["lat"].to_numpy(np.float64),
                             more["lon"].to_numpy(np.float64))
        return order_by_distance(np.concatenate([ids, more["id"].to_numpy(np.int64)]),
                                 np.concatenate([km, extra]))

    def linked_associations(self, organisation_id: int) -> frozenset[int]:
        """None."""
        del organisation_id
        return frozenset()

    def meetings_within(self, latlon: tuple[float, float], radius_km: float) -> pd.DataFrame:
        """None."""
        del latlon, radius_km
        return pd.DataFrame(columns=list(MEETING_COLUMNS))

    def meetings_of(self, organisation_id: int) -> pd.DataFrame:
        """None."""
        del organisation_id
        return pd.DataFrame(columns=list(MEETING_COLUMNS[:-1]))

    def associations_within(
        self, latlon: tuple[float, float], radius_km: float
    ) -> pd.DataFrame:
        """None."""
        del latlon, radius_km
        return pd.DataFrame(columns=list(ASSOCIATION_COLUMNS))

    def links(
        self, *, organisation_ids: list[int] | None = None,
        association_ids: list[int] | None = None,
    ) -> pd.DataFrame:
        """None."""
        del organisation_ids, association_ids
        return pd.DataFrame(columns=list(LINK_COLUMNS))

    def organisation(self, organisation_id: int) -> dict[str, object] | None:
        """None."""
        del organisation_id
        return None


__all__ = ["ASSOCIATION_COLUMNS", "LINK_COLUMNS", "MEETING_COLUMNS", "OPPORTUNITY_COLUMNS",
           "OPTIONAL_COLUMNS", "CandidateSource", "FrameCandidates"]
