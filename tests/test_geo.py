"""geo/: distances, projection, postcodes, gazetteer, and the index against brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.distance import EARTH_RADIUS_KM
from geo.distance import bounding_boxes
from geo.distance import chord_from_km
from geo.distance import haversine_km
from geo.distance import km_from_chord
from geo.distance import validate_latlon
from geo.errors import InvalidCoordinateError
from geo.errors import InvalidPostcodeError
from geo.errors import PlaceNotFoundError
from geo.gazetteer import Gazetteer
from geo.index import PointIndex
from geo.postcode import find_postcode
from geo.postcode import is_postcode
from geo.postcode import parse_postcode
from geo.projection import bng_to_lonlat
from geo.projection import lonlat_to_bng
from geo.projection import transform_lonlat


def test_haversine_known_distances() -> None:
    # A quarter of a great circle along the equator and along a meridian.
    quarter = math.pi * EARTH_RADIUS_KM / 2
    assert float(haversine_km(0, 0, 0, 90)) == pytest.approx(quarter, rel=1e-12)
    assert float(haversine_km(0, 0, 90, 0)) == pytest.approx(quarter, rel=1e-12)
    # London - Manchester is about 262 km as the crow flies.
    assert float(haversine_km(51.5074, -0.1278, 53.4808, -2.2426)) == pytest.approx(262, abs=2)


def test_haversine_is_vectorised_and_symmetric() -> None:
    rng = np.random.default_rng(1)
    lat1, lat2 = rng.uniform(-80, 80, (2, 1000))
    lon1, lon2 = rng.uniform(-180, 180, (2, 1000))
    d = haversine_km(lat1, lon1, lat2, lon2)
    assert d.shape == (1000,)
    np.testing.assert_allclose(d, haversine_km(lat2, lon2, lat1, lon1), rtol=1e-12)
    assert (d >= 0).all()
    assert (d <= math.pi * EARTH_RADIUS_KM + 1e-9).all()


@pytest.mark.parametrize("km", [0.0, 0.001, 1.0, 25.0, 500.0, 10_000.0])
def test_chord_round_trip(km: float) -> None:
    assert float(km_from_chord(chord_from_km(km))) == pytest.approx(km, abs=1e-9)


@pytest.mark.parametrize(
    ("lat", "lon", "fragment"),
    [(91, 0, "latitude must be between"), (0, 181, "longitude must be between"),
     ("abc", 0, "must be numbers"), (float("nan"), 0, "must be finite")],
)
def test_validate_latlon_rejects(lat: object, lon: object, fragment: str) -> None:
    with pytest.raises(InvalidCoordinateError, match=fragment):
        validate_latlon(lat, lon)  # type: ignore[arg-type]


def test_bounding_boxes_contain_the_cap() -> None:
    rng = np.random.default_rng(2)
    for lat, lon, r in [(53.5, -2.2, 25.0), (0.0, 179.9, 50.0), (89.9, 10.0, 30.0),
                        (-45.0, -179.95, 10.0)]:
        boxes = bounding_boxes((lat, lon), r)
        # Sample points inside the cap; each must fall in some box.
        brg = rng.uniform(0, 2 * np.pi, 500)
        dist = r * np.sqrt(rng.uniform(0, 1, 500)) / EARTH_RADIUS_KM
        phi1, lmb1 = np.radians(lat), np.radians(lon)
        phi2 = np.arcsin(np.sin(phi1) * np.cos(dist) + np.cos(phi1) * np.sin(dist) * np.cos(brg))
        lmb2 = lmb1 + np.arctan2(np.sin(brg) * np.sin(dist) * np.cos(phi1),
                                 np.cos(dist) - np.sin(phi1) * np.sin(phi2))
        plat = np.degrees(phi2)
        plon = (np.degrees(lmb2) + 540) % 360 - 180
        inside = np.zeros(500, bool)
        for w, s, e, n in boxes:
            inside |= (plat >= s) & (plat <= n) & (plon >= w) & (plon <= e)
        assert inside.all(), (lat, lon, r, boxes)


def test_projection_round_trip_and_known_point() -> None:
    # Ordnance Survey's worked example (Caister water tower): E 651409.903, N 313177.270.
    # Without the OSTN15 grid file PROJ uses a Helmert transform, good to a few metres.
    e, n = lonlat_to_bng(1.716073973, 52.658007833)
    assert float(e) == pytest.approx(651409.9, abs=5)
    assert float(n) == pytest.approx(313177.3, abs=5)
    lon, lat = bng_to_lonlat(e, n)
    assert float(lon) == pytest.approx(1.716073973, abs=1e-7)
    assert float(lat) == pytest.approx(52.658007833, abs=1e-7)
    _x, y = transform_lonlat([651409.9], [313177.3], src_crs="EPSG:27700")
    assert float(y[0]) == pytest.approx(52.658, abs=1e-3)


@pytest.mark.parametrize(
    ("text", "normalised", "kind", "district", "area"),
    [("m15 4ab", "M15 4AB", "full", "M15", "M"), ("SW1A1AA", "SW1A 1AA", "full", "SW1A", "SW"),
     (" ec1a  1bb ", "EC1A 1BB", "full", "EC1A", "EC"), ("M32", "M32", "district", "M32", "M"),
     ("sw1a", "SW1A", "district", "SW1A", "SW"), ("wa", "WA", "area", None, "WA")],
)
def test_parse_postcode(text: str, normalised: str, kind: str, district: str | None,
                        area: str) -> None:
    pc = parse_postcode(text)
    assert (pc.text, pc.kind, pc.district, pc.area) == (normalised, kind, district, area)


@pytest.mark.parametrize("text", ["NOT A CODE", "", "12345", "QQ1 1AA", "M15 4A", "Manchester"])
def test_parse_postcode_rejects_with_message(text: str) -> None:
    with pytest.raises(InvalidPostcodeError, match="is not a UK postcode: expected"):
        parse_postcode(text)


def test_parse_postcode_respects_allowed_kinds() -> None:
    with pytest.raises(InvalidPostcodeError, match="a full postcode like"):
        parse_postcode("M15", allow=("full",))
    assert is_postcode("M15 4AB")
    assert not is_postcode("WA")  # an area alone is not taken as a postcode in free text


def test_find_postcode_in_address() -> None:
    pc = find_postcode("Stretford Library, Kingsway, Stretford, M32 0AB, UK")
    assert pc is not None
    assert pc.text == "M32 0AB"
    assert find_postcode("no code here") is None


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_geonames("GB")


def test_gazetteer_resolves_towns(gazetteer: Gazetteer) -> None:
    assert len(gazetteer) > 5000
    man = gazetteer.resolve("  MANCHESTER ")
    assert man.name == "Manchester"
    assert man.population > 300_000
    assert man.nation == "England"
    assert gazetteer.resolve("Wigan").nation == "England"
    assert gazetteer.resolve("Cardiff").nation == "Wales"
    assert gazetteer.resolve("Glasgow").nation == "Scotland"


def test_gazetteer_unknown_place_suggests(gazetteer: Gazetteer) -> None:
    with pytest.raises(PlaceNotFoundError, match="'Manchestr' is not in the gazetteer"):
        gazetteer.resolve("Manchestr")
    with pytest.raises(PlaceNotFoundError, match="did you mean"):
        gazetteer.resolve("Manchestr")


def test_gazetteer_nearest(gazetteer: Gazetteer) -> None:
    place, km = gazetteer.nearest((53.5448, -2.6318))  # Wigan town centre
    assert place.name == "Wigan"
    assert km < 3


def _brute_within(lat: np.ndarray, lon: np.ndarray, ids: np.ndarray, q: tuple[float, float],
                  r: float) -> list[int]:
    d = haversine_km(q[0], q[1], lat, lon)
    order = np.lexsort((ids, d))
    return [int(ids[i]) for i in order if d[i] <= r]


def test_point_index_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    lat = rng.uniform(50, 58, n).round(4)
    lon = rng.uniform(-6, 2, n).round(4)
    ids = rng.permutation(n) + 100
    # Duplicated positions make ties that only the id can break.
    lat[:50], lon[:50] = lat[50:100], lon[50:100]
    idx = PointIndex(ids, lat, lon)
    for _ in range(30):
        q = (float(rng.uniform(50, 58)), float(rng.uniform(-6, 2)))
        r = float(rng.uniform(1, 60))
        got_ids, got_km = idx.within(q, r)
        assert got_ids.tolist() == _brute_within(lat, lon, ids, q, r)
        assert (np.diff(got_km) >= 0).all()
        k = int(rng.integers(1, 40))
        expect = _brute_within(lat, lon, ids, q, 1e9)[:k]
        assert idx.nearest(q, k)[0].tolist() == expect


def test_point_index_bbox_and_empty() -> None:
    idx = PointIndex([1, 2, 3], [10.0, 20.0, 30.0], [179.5, -179.5, 0.0])
    assert idx.in_bbox(179.0, 0, -179.0, 25).tolist() == [1, 2]  # across the antimeridian
    assert idx.in_bbox(-1, 29, 1, 31).tolist() == [3]
    empty = PointIndex([], [], [])
    assert len(empty.within((0, 0), 10)[0]) == 0
    assert len(empty.nearest((0, 0), 3)[0]) == 0


def test_point_index_rejects_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="must be 1-d and of one length"):
        PointIndex([1, 2], [1.0], [1.0, 2.0])
