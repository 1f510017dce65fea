"""store/: schema, upsert and spatial queries, each on SQLite and on PostGIS."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from geo.distance import haversine_km
from store import Store
from store import StoreUnavailableError
from store.models import Association
from store.models import Meeting
from store.models import Opportunity
from store.models import PeerOrganisation
from store.upsert import upsert_rows


def _seed_points(store: Store, n: int = 400, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(51.0, 55.0, n).round(5)
    lon = rng.uniform(-4.0, 0.5, n).round(5)
    if n >= 40:
        lat[:20], lon[:20] = lat[20:40], lon[20:40]  # exact duplicates: ties broken by id
    with store.session() as s:
        org = PeerOrganisation(name="Org", status="approved", lat=53.0, lon=-2.0)
        s.add(org)
        s.flush()
        s.add_all(
            Meeting(name=f"m{i}", organisation_id=org.id, lat=float(a), lon=float(b),
                    weekdays=[i % 7], active=bool(i % 5), source="t", source_id=str(i))
            for i, (a, b) in enumerate(zip(lat, lon, strict=True))
        )
    with store.sessions() as s:
        rows = s.execute(select(Meeting.id, Meeting.lat, Meeting.lon, Meeting.active)
                         .order_by(Meeting.id)).all()
    arr = np.asarray([(r[0], r[1], r[2], r[3]) for r in rows], dtype=float)
    return arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], arr[:, 3].astype(bool)


def _brute(ids: np.ndarray, lat: np.ndarray, lon: np.ndarray, q: tuple[float, float],
           r: float) -> tuple[list[int], np.ndarray]:
    d = haversine_km(q[0], q[1], lat, lon)
    order = np.lexsort((ids, d))
    keep = [i for i in order if d[i] <= r]
    return [int(ids[i]) for i in keep], d[keep]


def test_schema_is_current_and_taxonomy_seeded(store: Store) -> None:
    assert store.is_current()
    assert store.healthy()
    slugs = store.interest_slugs()
    assert {"gardening", "waterways", "outdoors"} <= set(slugs)


def test_within_radius_matches_brute_force(store: Store) -> None:
    ids, lat, lon, _ = _seed_points(store)
    for q, r in [((53.0, -2.0), 30.0), ((52.2, -1.1), 75.0), ((54.9, 0.4), 5.0),
                 ((51.5, -3.5), 0.0)]:
        got_ids, got_km = store.spatial.within("meetings", q, r)
        want_ids, want_km = _brute(ids, lat, lon, q, r)
        assert got_ids.tolist() == want_ids
        np.testing.assert_array_equal(got_km, want_km)


def test_within_applies_filters(store: Store) -> None:
    ids, lat, lon, active = _seed_points(store)
    got, _ = store.spatial.within("meetings", (53.0, -2.0), 80.0, filters={"active": True})
    want, _ = _brute(ids[active], lat[active], lon[active], (53.0, -2.0), 80.0)
    assert got.tolist() == want
    assert len(want) > 0


def test_nearest_matches_brute_force_with_ties(store: Store) -> None:
    ids, lat, lon, _ = _seed_points(store)
    for q, k in [((53.0, -2.0), 1), ((52.0, -1.0), 15), ((lat[25], lon[25]), 3),
                 ((40.0, 10.0), 5)]:
        got_ids, got_km = store.spatial.nearest("meetings", q, k)
        want_ids, want_km = _brute(ids, lat, lon, q, 1e9)
        assert got_ids.tolist() == want_ids[:k]
        np.testing.assert_array_equal(got_km, want_km[:k])
    # A cap on distance returns fewer than k.
    got_ids, got_km = store.spatial.nearest("meetings", (53.0, -2.0), 50, max_km=10.0)
    assert (got_km <= 10.0).all()
    assert got_ids.tolist() == _brute(ids, lat, lon, (53.0, -2.0), 10.0)[0][:50]


def test_bbox(store: Store) -> None:
    ids, lat, lon, _ = _seed_points(store)
    got = store.spatial.in_bbox("meetings", -2.5, 52.5, -1.5, 53.5)
    inside = (lat >= 52.5) & (lat <= 53.5) & (lon >= -2.5) & (lon <= -1.5)
    assert got.tolist() == sorted(ids[inside].tolist())


def test_index_sees_new_rows(store: Store) -> None:
    """The in-process index must not serve a stale answer after a write."""
    _seed_points(store, n=50)
    before, _ = store.spatial.within("meetings", (53.0, -2.0), 1.0)
    with store.session() as s:
        m = Meeting(name="new", lat=53.0, lon=-2.0, source="t", source_id="new")
        s.add(m)
        s.flush()
        new_id = m.id
    after, _ = store.spatial.within("meetings", (53.0, -2.0), 1.0)
    assert new_id in after.tolist()
    assert new_id not in before.tolist()
    with store.session() as s:
        s.get(Meeting, new_id).lat = 60.0  # moved away
    moved, _ = store.spatial.within("meetings", (53.0, -2.0), 1.0)
    assert new_id not in moved.tolist()


def test_unknown_table_and_filter_are_clear(store: Store) -> None:
    with pytest.raises(ValueError, match="table 'users' has no positions"):
        store.spatial.within("users", (53.0, -2.0), 1.0)
    with pytest.raises(ValueError, match="filter 'colour' is not a column of meetings"):
        store.spatial.within("meetings", (53.0, -2.0), 1.0, filters={"colour": "red"})


def _assoc_rows(n: int) -> list[dict[str, object]]:
    return [
        {"source": "csv", "source_id": f"a{i}", "name": f"Association {i}", "category": "charity",
         "lat": 53.0 + i / 100, "lon": -2.0, "postcode": "M15 4AB"}
        for i in range(n)
    ]


def test_upsert_is_idempotent_and_updates_one(store: Store) -> None:
    with store.session() as s:
        first = upsert_rows(s, Association, _assoc_rows(5))
    assert [o for o, _ in first] == ["inserted"] * 5
    with store.session() as s:
        again = upsert_rows(s, Association, _assoc_rows(5))
    assert [o for o, _ in again] == ["unchanged"] * 5
    assert [i for _, i in again] == [i for _, i in first]
    rows = _assoc_rows(5)
    rows[2]["name"] = "Renamed"
    with store.session() as s:
        changed = upsert_rows(s, Association, rows)
    assert [o for o, _ in changed] == ["unchanged", "unchanged", "updated", "unchanged",
                                       "unchanged"]
    assert store.counts()["associations"] == 5


def test_upsert_rejects_bad_rows_and_rolls_back(store: Store) -> None:
    rows = _assoc_rows(3)
    rows.append(dict(rows[0]))
    with pytest.raises(ValueError, match=r"row 3: key \('csv', 'a0'\) repeats row 0"), \
            store.session() as s:
        upsert_rows(s, Association, rows)
    assert store.counts()["associations"] == 0
    with pytest.raises(ValueError, match=r"unknown column\(s\) \['colour'\]"), \
            store.session() as s:
        upsert_rows(s, Association, [{**_assoc_rows(1)[0], "colour": "red"}])
    with pytest.raises(ValueError, match=r"key column\(s\) \['source_id'\] are required"), \
            store.session() as s:
        upsert_rows(s, Association, [{**_assoc_rows(1)[0], "source_id": None}])


def test_failed_transaction_changes_nothing(store: Store) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.session() as s:
        upsert_rows(s, Association, _assoc_rows(4))
        raise Boom
    assert store.counts()["associations"] == 0


def test_models_round_trip_all_types(store: Store) -> None:
    with store.session() as s:
        a = Association(name="Canal <b>trust</b>", category="waterway_trust", lat=53.4,
                        lon=-2.3, location_precision="district")
        s.add(a)
        s.flush()
        o = Opportunity(association_id=a.id, title="Towpath crew", interests=["waterways"],
                        skills=["dry-stone walling"], weekdays=[6], flexible=False,
                        start_time=dt.time(10, 0), end_time=dt.time(13, 30), capacity=5,
                        starts_on=dt.date(2026, 3, 1), lat=53.4, lon=-2.3)
        s.add(o)
    with store.sessions() as s:
        got = s.scalars(select(Opportunity)).one()
        assert got.interests == ["waterways"]
        assert got.skills == ["dry-stone walling"]
        assert got.weekdays == [6]
        assert got.start_time == dt.time(10, 0)
        assert got.starts_on == dt.date(2026, 3, 1)
        assert got.association.name == "Canal <b>trust</b>"
        assert got.status == "open"


def test_check_constraints_hold(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), store.session() as s:
        s.add(PeerOrganisation(name="x", status="unknown"))


def test_postgis_has_geometry_and_gist_index(postgis_store: Store) -> None:
    from sqlalchemy import text

    store = postgis_store
    _seed_points(store, n=10)
    with store.engine.connect() as conn:
        srid, gtype = conn.execute(text(
            "SELECT srid, type FROM geometry_columns WHERE f_table_name = 'meetings'")).one()
        assert (srid, gtype) == (4326, "POINT")
        idx = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_meetings_geom'")).scalar()
        assert "USING gist" in idx
        x, y, lat, lon = conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom), lat, lon FROM meetings ORDER BY id LIMIT 1")).one()
        assert (x, y) == (lon, lat)


def test_unreachable_database_is_one_clear_line() -> None:
    store = Store("postgresql+psycopg://cg:hunter2@127.0.0.1:1/cg")
    with pytest.raises(StoreUnavailableError) as info:
        store.init_db()
    message = str(info.value)
    assert "\n" not in message
    assert "hunter2" not in message
    assert "postgresql+psycopg://cg:***@127.0.0.1:1/cg" in message
