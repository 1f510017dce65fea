"""The two backends give the same answers over the demo data: same ids, same order, same km."""

from __future__ import annotations

import numpy as np
import pytest

from store import Store

QUERIES = [
    ((53.4808, -2.2426), 10.0),  # Manchester
    ((53.5448, -2.6318), 25.0),  # Wigan
    ((52.4862, -1.8904), 15.0),  # Birmingham
    ((51.4816, -3.1791), 40.0),  # Cardiff
    ((55.8642, -4.2518), 30.0),  # Glasgow
    ((53.8008, -1.5491), 50.0),  # Leeds
    ((50.3755, -4.1427), 5.0),  # Plymouth: likely nothing
]


@pytest.fixture
def both(demo_stores: dict[str, Store]) -> tuple[Store, Store]:
    if "postgis" not in demo_stores:
        pytest.skip("PostGIS unavailable: parity needs both backends")
    return demo_stores["sqlite"], demo_stores["postgis"]


def test_demo_loaded_identically(both: tuple[Store, Store]) -> None:
    sqlite, postgis = both
    assert sqlite.counts() == postgis.counts()
    assert sqlite.counts()["opportunities"] >= 600


@pytest.mark.parametrize("table", ["meetings", "associations", "opportunities", "organisations"])
def test_radius_parity(both: tuple[Store, Store], table: str) -> None:
    sqlite, postgis = both
    total = 0
    for latlon, r in QUERIES:
        a_ids, a_km = sqlite.spatial.within(table, latlon, r)
        b_ids, b_km = postgis.spatial.within(table, latlon, r)
        assert a_ids.tolist() == b_ids.tolist(), (table, latlon, r)
        np.testing.assert_array_equal(a_km, b_km)
        total += len(a_ids)
    assert total > 0


@pytest.mark.parametrize("table", ["meetings", "associations", "opportunities"])
@pytest.mark.parametrize("k", [1, 5, 50])
def test_nearest_parity(both: tuple[Store, Store], table: str, k: int) -> None:
    sqlite, postgis = both
    for latlon, _ in QUERIES:
        a_ids, a_km = sqlite.spatial.nearest(table, latlon, k)
        b_ids, b_km = postgis.spatial.nearest(table, latlon, k)
        assert len(a_ids) == k
        assert a_ids.tolist() == b_ids.tolist(), (table, latlon, k)
        np.testing.assert_array_equal(a_km, b_km)


def test_filtered_parity(both: tuple[Store, Store]) -> None:
    sqlite, postgis = both
    for latlon, r in QUERIES:
        a, _ = sqlite.spatial.within("opportunities", latlon, r, filters={"status": "open"})
        b, _ = postgis.spatial.within("opportunities", latlon, r, filters={"status": "open"})
        assert a.tolist() == b.tolist()
