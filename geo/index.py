"""An in-process spatial index: a k-d tree over unit-sphere vectors.

A radius in km becomes a chord length on the unit sphere, so the tree answers exact
great-circle questions (ARCHITECTURE.md, "Performance notes": the fastest exact index measured
on this kind of machine). Final distances come from :func:`geo.distance.haversine_km`, the same
function the database backends use, and ties are broken by id: every backend gives the same
ids in the same order.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

from geo.distance import bounding_boxes
from geo.distance import chord_from_km
from geo.distance import haversine_km
from geo.distance import unit_vectors
from geo.distance import validate_latlon

if TYPE_CHECKING:
    from numpy.typing import ArrayLike
    from numpy.typing import NDArray

# Chord lengths and haversine agree to ~1e-12 km; widen the tree's search a little so that a
# point exactly on the radius is decided by haversine alone, as in the database backends.
_CHORD_SLACK = 1e-9


@lru_cache(maxsize=256)
def _query_vector(lat: float, lon: float) -> NDArray[np.float64]:
    """:func:`unit_vectors` of one point, read-only and remembered.

    A request asks the trees about one origin several times (nearest, then within, per
    interest).
    """
    vector: NDArray[np.float64] = unit_vectors([lat], [lon])[0]
    vector.flags.writeable = False
    return vector


def order_by_distance(
    ids: NDArray[np.int64], distances_km: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Sort ``(ids, distances)`` by distance, then id: the one order every backend uses."""
    order = np.lexsort((ids, distances_km))
    return ids[order], distances_km[order]


class PointIndex:
    """Exact great-circle radius, nearest and box queries over a fixed set of points.

    Parameters
    ----------
    ids
        Integer ids, one per point.
    lat, lon
        Degrees WGS84, same length as ``ids``.

    Examples
    --------
    >>> idx = PointIndex([1, 2, 3], [53.48, 53.41, 51.51], [-2.24, -2.99, -0.13])
    >>> ids, km = idx.within((53.48, -2.24), 60.0)
    >>> ids.tolist(), [round(float(k), 1) for k in km]
    ([1, 2], [0.0, 50.3])
    >>> idx.nearest((51.5, -0.1), 1)[0].tolist()
    [3]
    """

    def __init__(self, ids: ArrayLike, lat: ArrayLike, lon: ArrayLike) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        if not (self.ids.shape == self.lat.shape == self.lon.shape) or self.ids.ndim != 1:
            msg = (
                "ids, lat and lon must be 1-d and of one length, got shapes "
                f"{self.ids.shape}, {self.lat.shape}, {self.lon.shape}"
            )
            raise ValueError(msg)
        self._tree = cKDTree(unit_vectors(self.lat, self.lon)) if len(self.ids) else None

    def __len__(self) -> int:
        """Return the number of points."""
        return int(self.ids.size)

    def _distances(self, rows: NDArray[np.intp], lat: float, lon: float) -> NDArray[np.float64]:
        return haversine_km(lat, lon, self.lat[rows], self.lon[rows])

    def within(
        self, latlon: tuple[float, float], radius_km: float, *, ordered: bool = True
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Ids and distances (km) of all points within ``radius_km``, nearest first.

        Parameters
        ----------
        latlon
            Centre ``(lat, lon)``.
        radius_km
            Inclusive radius in km.
        ordered
            Sort by distance then id (``False``: in no particular order, for callers that
            sort or score the rows themselves).

        Returns
        -------
        tuple of numpy.ndarray
            ``(ids, distances_km)`` sorted by distance then id.
        """
        lat, lon = validate_latlon(*latlon)
        if self._tree is None or radius_km < 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        query = _query_vector(lat, lon)
        rows = np.asarray(
            self._tree.query_ball_point(query, chord_from_km(radius_km) + _CHORD_SLACK),
            dtype=np.intp,
        )
        dist = self._distances(rows, lat, lon)
        keep = dist <= radius_km
        if not ordered:
            return self.ids[rows[keep]], dist[keep]
        return order_by_distance(self.ids[rows[keep]], dist[keep])

    def nearest_unordered(
        self, latlon: tuple[float, float], k: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Some ``k`` nearest points in no particular order (ties at the k-th undecided).

        Cheaper than :meth:`nearest`: one tree query. Every point not returned is at least as
        far as the farthest one returned.
        """
        lat, lon = validate_latlon(*latlon)
        if self._tree is None or k <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        _, rows = self._tree.query(_query_vector(lat, lon), k=min(k, len(self)))
        rows = np.atleast_1d(rows).astype(np.intp)
        return self.ids[rows], self._distances(rows, lat, lon)

    def nearest(
        self, latlon: tuple[float, float], k: int, *, max_km: float | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The ``k`` nearest points (optionally no farther than ``max_km``), nearest first.

        Ties at the k-th distance are broken by id, as in the database backends.
        """
        lat, lon = validate_latlon(*latlon)
        if self._tree is None or k <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        query = _query_vector(lat, lon)
        kk = min(k, len(self))
        chords, rows = self._tree.query(query, k=kk)
        rows = np.atleast_1d(rows)
        # Everything as close as the k-th point, so that ties are decided by id.
        radius = float(np.atleast_1d(chords)[-1]) + _CHORD_SLACK
        rows = np.asarray(self._tree.query_ball_point(query, radius), dtype=np.intp)
        ids, dist = order_by_distance(self.ids[rows], self._distances(rows, lat, lon))
        if max_km is not None:
            keep = dist <= max_km
            ids, dist = ids[keep], dist[keep]
        return ids[:k], dist[:k]

    def within_many(
        self, lat: ArrayLike, lon: ArrayLike, radius_km: float
    ) -> NDArray[np.bool_]:
        """For each query point, whether any indexed point lies within ``radius_km``."""
        if self._tree is None:
            return np.zeros(np.asarray(lat).shape, dtype=bool)
        dist, _ = self.nearest_many(lat, lon)
        return dist <= radius_km

    def nearest_many(
        self, lat: ArrayLike, lon: ArrayLike, *, workers: int = 1
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Distance (km) to, and id of, the nearest indexed point for many query points."""
        qlat = np.asarray(lat, dtype=np.float64)
        qlon = np.asarray(lon, dtype=np.float64)
        if self._tree is None:
            return np.full(qlat.shape, np.inf), np.full(qlat.shape, -1, dtype=np.int64)
        _, rows = self._tree.query(unit_vectors(qlat, qlon), k=1, workers=workers)
        dist = haversine_km(qlat, qlon, self.lat[rows], self.lon[rows])
        return dist, self.ids[rows]

    def in_bbox(
        self, west: float, south: float, east: float, north: float
    ) -> NDArray[np.int64]:
        """Ids of points inside a lon/lat box (edges included), sorted by id.

        A box with ``west > east`` crosses the antimeridian.
        """
        in_lat = (self.lat >= south) & (self.lat <= north)
        if west <= east:
            in_lon = (self.lon >= west) & (self.lon <= east)
        else:
            in_lon = (self.lon >= west) | (self.lon <= east)
        return np.sort(self.ids[in_lat & in_lon])


__all__ = ["PointIndex", "bounding_boxes", "order_by_distance"]
