"""Spatial questions answered the same way by both backends.

* SQLite: an in-process :class:`geo.index.PointIndex` (k-d tree on unit-sphere vectors) built
  from the table's ``lat``/``lon`` and rebuilt when the table changes (a cheap change token is
  checked on every call, so many processes stay correct without any shared state).
* PostGIS: the GiST index on ``geom`` pre-filters with the lon/lat boxes that bound the search
  cap (:func:`geo.distance.bounding_boxes`); ``<->`` on ``geometry(Point, 4326)`` orders by
  degrees, so it is never used to rank.

In both, the final distance and the radius cut are :func:`geo.distance.haversine_km` over the
stored ``lat``/``lon`` floats, and ties are broken by id: the same ids, in the same order, with
the same distances to the last bit.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from geo.distance import bounding_boxes
from geo.distance import haversine_km
from geo.distance import validate_latlon
from geo.index import PointIndex
from geo.index import order_by_distance
from store._fast import fetch_one
from store._fast import within_sql
from store.errors import UnknownTableError
from store.models import LOCATED_MODELS
from store.models import DataVersion
from store.replicas import replica_read

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from sqlalchemy.sql.elements import ColumnElement

    from store.replicas import ReadRouter

Filters = Mapping[str, Any]
Hits = tuple["NDArray[np.int64]", "NDArray[np.float64]"]
Versions = tuple[tuple[str, int], ...]
"""Change counters of some tables, ``((table, version), ...)`` sorted by table."""
_EMPTY: tuple[NDArray[np.int64], NDArray[np.float64]] = (
    np.empty(0, np.int64), np.empty(0, np.float64)
)


def model_for(table: str) -> Any:
    """The located model called ``table`` (``"meetings"``, ``"opportunities"``, ...)."""
    try:
        return LOCATED_MODELS[table]
    except KeyError:
        msg = f"table {table!r} has no positions; choose one of {sorted(LOCATED_MODELS)}"
        raise UnknownTableError(msg) from None


def _conditions(model: Any, filters: Filters | None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [model.lat.is_not(None), model.lon.is_not(None)]
    for name, value in (filters or {}).items():
        column = getattr(model, name, None)
        if column is None:
            msg = f"filter {name!r} is not a column of {model.__tablename__}"
            raise UnknownTableError(msg)
        if isinstance(value, (list, tuple, set, frozenset)):
            conds.append(column.in_(list(value)))
        else:
            conds.append(column == value)
    return conds


class SpatialBackend:
    """The interface: radius, nearest and box queries over a located table."""

    def __init__(self, router: ReadRouter) -> None:
        # Reads only: ``engine.connect()`` picks a replica or the primary (store.replicas).
        self.router = router
        self.engine = router

    def within(
        self, table: str, latlon: tuple[float, float], radius_km: float, *,
        filters: Filters | None = None, also: NDArray[np.int64] | None = None,
    ) -> Hits:
        """Ids and km of rows within ``radius_km`` of ``latlon``, nearest first (ties by id).

        ``also``: ids of rows wanted too, at any distance (when they match ``filters``).
        """
        raise NotImplementedError

    @replica_read
    def versions(self, tables: tuple[str, ...]) -> Versions:
        """The change counters of ``tables`` (one primary-key lookup), sorted by table."""
        stmt = select(DataVersion.table_name, DataVersion.version).where(
            DataVersion.table_name.in_(tables))
        with self.engine.connect() as conn:
            return tuple(sorted((str(t), int(v)) for t, v in conn.execute(stmt)))

    @replica_read
    def within_versioned(
        self, table: str, latlon: tuple[float, float], radius_km: float, *,
        versions: tuple[str, ...], filters: Filters | None = None,
        also: NDArray[np.int64] | None = None,
    ) -> tuple[Versions, Hits]:
        """:meth:`versions` of ``versions`` and :meth:`within`, read together.

        Here one after the other (the change counters first); PostGIS reads both in one
        statement, so in one round trip and from the same snapshot.
        """
        token = self.versions(versions)
        return token, self.within(table, latlon, radius_km, filters=filters, also=also)

    def nearest(
        self, table: str, latlon: tuple[float, float], k: int, *,
        max_km: float | None = None, filters: Filters | None = None,
    ) -> Hits:
        """The ``k`` nearest rows (ids, km), nearest first, ties by id."""
        raise NotImplementedError

    def in_bbox(
        self, table: str, west: float, south: float, east: float, north: float, *,
        filters: Filters | None = None,
    ) -> NDArray[np.int64]:
        """Ids of rows inside a lon/lat box (edges included), by id."""
        raise NotImplementedError

    @replica_read
    def points(
        self, table: str, *, filters: Filters | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """All ``(ids, lat, lon)`` of a table, sorted by id: for batch work done in-process."""
        model = model_for(table)
        stmt = (
            select(model.id, model.lat, model.lon)
            .where(and_(*_conditions(model, filters)))
            .order_by(model.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return np.empty(0, np.int64), np.empty(0), np.empty(0)
        arr = np.asarray(rows, dtype=np.float64)
        return arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2]


class IndexedBackend(SpatialBackend):
    """SQLite (or any store): an in-process k-d tree, rebuilt when the table changes."""

    def __init__(self, router: ReadRouter) -> None:
        super().__init__(router)
        self._cache: dict[tuple[str, str], tuple[int | None, PointIndex]] = {}
        self._lock = threading.Lock()

    def _token(self, model: Any) -> int | None:
        # One primary-key lookup: the counter that triggers bump on every write (0002).
        stmt = select(DataVersion.version).where(DataVersion.table_name == model.__tablename__)
        with self.engine.connect() as conn:
            return conn.execute(stmt).scalar()

    def index(self, table: str, *, filters: Filters | None = None) -> PointIndex:
        """The current index of ``table`` (rows matching ``filters``)."""
        model = model_for(table)
        cache_key = (table, repr(sorted((filters or {}).items())))
        token = self._token(model)
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached is not None and cached[0] == token:
                return cached[1]
        ids, lat, lon = self.points(table, filters=filters)
        idx = PointIndex(ids, lat, lon)
        with self._lock:
            self._cache[cache_key] = (token, idx)
        return idx

    def within(
        self, table: str, latlon: tuple[float, float], radius_km: float, *,
        filters: Filters | None = None, also: NDArray[np.int64] | None = None,
    ) -> Hits:
        """See :meth:`SpatialBackend.within`."""
        index = self.index(table, filters=filters)
        ids, km = index.within(latlon, radius_km)
        if also is None or not len(also):
            return ids, km
        lat, lon = validate_latlon(*latlon)
        more = np.setdiff1d(np.asarray(also, dtype=np.int64), ids)
        at = np.searchsorted(index.ids, more)
        at = at[(at < len(index)) & (index.ids[np.minimum(at, len(index) - 1)] == more)]
        extra_km = haversine_km(lat, lon, index.lat[at], index.lon[at])
        return order_by_distance(np.concatenate([ids, index.ids[at]]),
                                 np.concatenate([km, extra_km]))

    def nearest(
        self, table: str, latlon: tuple[float, float], k: int, *,
        max_km: float | None = None, filters: Filters | None = None,
    ) -> Hits:
        """See :meth:`SpatialBackend.nearest`."""
        return self.index(table, filters=filters).nearest(latlon, k, max_km=max_km)

    def in_bbox(
        self, table: str, west: float, south: float, east: float, north: float, *,
        filters: Filters | None = None,
    ) -> NDArray[np.int64]:
        """See :meth:`SpatialBackend.in_bbox`."""
        return self.index(table, filters=filters).in_bbox(west, south, east, north)


class PostgisBackend(SpatialBackend):
    """PostGIS: GiST pre-filter on ``geom``, exact great-circle cut and order in Python."""

    #: First search radius of a nearest-neighbour query, grown 4x until k rows are inside.
    first_radius_km = 10.0

    def _candidates(
        self, model: Any, latlon: tuple[float, float], radius_km: float,
        filters: Filters | None, *, also: NDArray[np.int64] | None = None,
        versions: tuple[str, ...] = (),
    ) -> tuple[Versions, Hits]:
        lat, lon = latlon
        boxes = bounding_boxes(latlon, radius_km)
        params: dict[str, Any] = {}
        for i, box in enumerate(boxes):
            params.update(zip((f"w{i}", f"s{i}", f"e{i}", f"n{i}"), box, strict=True))
        wanted = np.unique(np.asarray(also, dtype=np.int64)) if also is not None else None
        by_id = wanted is not None and bool(len(wanted))
        if wanted is not None and by_id:
            # Rows asked for by id: the primary key's index, in the same scan (BitmapOr).
            # As one text literal: psycopg's list dumper cost ~1 ms per thousand ids.
            params["ids"] = "{" + ",".join(map(str, wanted.tolist())) + "}"
        shape = []
        for name, value in (filters or {}).items():
            if name not in model.__table__.c:
                msg = f"filter {name!r} is not a column of {model.__tablename__}"
                raise UnknownTableError(msg)
            many = isinstance(value, (list, tuple, set, frozenset))
            params[f"f_{name}"] = list(value) if many else value
            shape.append((name, many))
        if versions:
            params["tables"] = list(versions)
        # Three arrays in one row: far cheaper to move and convert than 10k+ row tuples.
        sql = within_sql(model.__tablename__, len(boxes), by_id, tuple(shape), bool(versions))
        row = fetch_one(self.router.pick(), sql, params)
        assert row is not None  # noqa: S101 - an aggregate always answers one row
        agg_ids, agg_lat, agg_lon, *counters = row
        token: Versions = ()
        if versions:
            names, numbers = counters
            token = tuple(sorted(zip(map(str, names or ()), map(int, numbers or ()),
                                     strict=True)))
        if not agg_ids:
            return token, _EMPTY
        ids = np.asarray(agg_ids, dtype=np.int64)
        dist = haversine_km(lat, lon, np.asarray(agg_lat, np.float64),
                            np.asarray(agg_lon, np.float64))
        keep = dist <= radius_km
        if wanted is not None and len(wanted):
            keep |= np.isin(ids, wanted)
        return token, order_by_distance(ids[keep], dist[keep])

    @replica_read
    def within(
        self, table: str, latlon: tuple[float, float], radius_km: float, *,
        filters: Filters | None = None, also: NDArray[np.int64] | None = None,
    ) -> Hits:
        """See :meth:`SpatialBackend.within`."""
        latlon = validate_latlon(*latlon)
        if radius_km < 0:
            return _EMPTY
        return self._candidates(model_for(table), latlon, radius_km, filters, also=also)[1]

    @replica_read
    def within_versioned(
        self, table: str, latlon: tuple[float, float], radius_km: float, *,
        versions: tuple[str, ...], filters: Filters | None = None,
        also: NDArray[np.int64] | None = None,
    ) -> tuple[Versions, Hits]:
        """See :meth:`SpatialBackend.within_versioned`: one statement, one round trip."""
        latlon = validate_latlon(*latlon)
        if radius_km < 0:
            return self.versions(versions), _EMPTY
        return self._candidates(model_for(table), latlon, radius_km, filters, also=also,
                                versions=tuple(versions))

    @replica_read
    def nearest(
        self, table: str, latlon: tuple[float, float], k: int, *,
        max_km: float | None = None, filters: Filters | None = None,
    ) -> Hits:
        """See :meth:`SpatialBackend.nearest`."""
        latlon = validate_latlon(*latlon)
        model = model_for(table)
        if k <= 0:
            return _EMPTY
        limit = max_km if max_km is not None else 20_016.0  # half the circumference
        radius = min(self.first_radius_km, limit)
        while True:
            _, (ids, dist) = self._candidates(model, latlon, radius, filters)
            # Every row within ``radius`` is here, so the first k are the k nearest.
            if len(ids) >= k or radius >= limit:
                return ids[:k], dist[:k]
            radius = min(radius * 4.0, limit)

    @replica_read
    def in_bbox(
        self, table: str, west: float, south: float, east: float, north: float, *,
        filters: Filters | None = None,
    ) -> NDArray[np.int64]:
        """See :meth:`SpatialBackend.in_bbox`."""
        model = model_for(table)
        boxes = [(west, south, east, north)] if west <= east else [
            (west, south, 180.0, north), (-180.0, south, east, north)
        ]
        within_box = or_(*[
            and_(model.lat >= s, model.lat <= n, model.lon >= w, model.lon <= e)
            for w, s, e, n in boxes
        ])
        geom_box = or_(*[
            model.geom.op("&&")(func.ST_MakeEnvelope(w, s, e, n, 4326)) for w, s, e, n in boxes
        ])
        stmt = (
            select(model.id)
            .where(geom_box, within_box, *_conditions(model, filters))
            .order_by(model.id)
        )
        with self.engine.connect() as conn:
            return np.asarray(conn.execute(stmt).scalars().all(), dtype=np.int64)


def backend_for(router: ReadRouter) -> SpatialBackend:
    """The spatial backend that fits the router's database."""
    if router.dialect.name == "postgresql":
        return PostgisBackend(router)
    return IndexedBackend(router)
