"""Service areas, postcode tables, the offline geocoder and Nominatim (with a fake HTTP layer).

No test touches the network: Nominatim runs on a fake geopy adapter.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from geopy.adapters import AdapterHTTPError
from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderServiceError
from geopy.location import Location

from geo._postcode_areas import _POSTCODE_AREA_CENTROIDS
from geo.distance import haversine_km
from geo.gazetteer import Gazetteer
from geo.gazetteer import Place
from geo.geocode import NominatimGeocoder
from geo.geocode import OfflineGeocoder
from geo.geocode import PostcodeTable
from geo.geocode import make_geocoder
from geo.geocode import nominatim_precision
from geo.geocode import normalise_query
from geo.geocode import precision_of
from geo.postcode import POSTCODE_AREAS
from geo.service_area import AREA_NAMES
from geo.service_area import looks_swapped
from geo.service_area import service_area_from_text

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POSTCODES = DATA / "uk-postcodes"
WARRINGTON = (53.3900, -2.5970)
MANCHESTER = (53.4808, -2.2426)
# District M1 in postcode_districts.csv: easting 384383, northing 397912 <-> this lat/lon.
M1_LATLON = (53.4777, -2.23678)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(haversine_km(a[0], a[1], b[0], b[1]))


def latlon(location: Location) -> tuple[float, float]:
    return location.latitude, location.longitude


def data_file(name: str) -> Path:
    path = POSTCODES / name
    if not path.is_file():
        pytest.skip(f"shared data file {path} is absent")
    return path


def write(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


# --- service areas -----------------------------------------------------------------------

@pytest.mark.parametrize(("area", "lat", "lon", "inside"), [
    ("GB", *MANCHESTER, True),
    ("GB", 54.597, -5.930, True),  # Belfast
    ("GB", 60.155, -1.145, True),  # Lerwick
    ("GB", 49.914, -6.315, True),  # Isles of Scilly
    ("GB", 49.186, -2.107, True),  # Jersey
    ("GB", 54.150, -4.482, True),  # Isle of Man
    ("GB", 51.129, 1.310, True),  # Dover
    ("GB", 48.85, 2.35, False),  # Paris
    ("GB", 50.951, 1.858, False),  # Calais
    ("GB", 50.726, 1.613, False),  # Boulogne, inside the plain bounding box
    ("GB", 53.350, -6.260, False),  # Dublin
    ("GB", 52.370, 4.890, False),  # Amsterdam
    ("UK", *MANCHESTER, True),
    ("england", *MANCHESTER, True),
    ("england", 55.953, -3.189, False),  # Edinburgh
    ("scotland", 55.953, -3.189, True),
    ("wales", 51.481, -3.179, True),  # Cardiff
    ("wales", *MANCHESTER, False),
    ("northern-ireland", 54.597, -5.930, True),
    ("northern-ireland", *MANCHESTER, False),
    ("world", 48.85, 2.35, True),
    ("world", -33.87, 151.21, True),
    ("-10,40,10,60", 48.85, 2.35, True),
    ("-10,40,10,60", *MANCHESTER, True),
    ("-10,40,10,60", 35.0, 0.0, False),
])
def test_area_contains(area: str, lat: float, lon: float, inside: bool) -> None:
    assert service_area_from_text(area).contains(lat, lon) is inside


@pytest.mark.parametrize(("lat", "lon"), [("x", 0.0), (float("nan"), 0.0), (None, 1.0)])
def test_area_contains_rejects_non_numbers(lat: Any, lon: Any) -> None:
    assert service_area_from_text("world").contains(lat, lon) is False


@pytest.mark.parametrize(("text", "name", "uk"), [
    ("GB", "GB", True), ("gb", "GB", True), ("UK", "UK", True), ("uk", "UK", True),
    ("England", "england", True), ("Northern Ireland", "northern-ireland", True),
    ("northern_ireland", "northern-ireland", True), ("world", "world", False),
    ("-10, 40, 10, 60", "-10,40,10,60", False),
])
def test_area_names(text: str, name: str, uk: bool) -> None:
    area = service_area_from_text(text)
    assert (area.name, area.uk_postcodes) == (name, uk)


def test_gb_box_is_the_documented_one_and_holds_every_area_centroid() -> None:
    gb = service_area_from_text("GB")
    assert (gb.west, gb.south, gb.east, gb.north) == (-8.7, 49.1, 1.9, 61.0)
    assert all(gb.contains(*c) for c in _POSTCODE_AREA_CENTROIDS.values())


@pytest.mark.parametrize(("text", "fragment"), [
    ("mars", "service area 'mars' is unknown: use one of 'GB', 'UK', 'england'"),
    ("1,2,3", "neither a named area ('GB', 'UK'"),
    ("a,b,c,d", "must be four numbers"),
    ("10,40,-10,60", "west (10) must be less than east (-10)"),
    ("-10,60,10,40", "south (60) must be less than north (40)"),
    ("-200,40,10,60", "west and east must be longitudes between -180 and 180"),
    ("-10,-95,10,60", "south and north must be latitudes between -90 and 90"),
    ("-10,40,10,inf", "every value must be a finite number"),
])
def test_area_errors(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="service area") as info:
        service_area_from_text(text)
    assert fragment in str(info.value)


def test_area_error_lists_every_name() -> None:
    with pytest.raises(ValueError, match="unknown") as info:
        service_area_from_text("nowhere")
    assert all(repr(n) in str(info.value) for n in AREA_NAMES)


@pytest.mark.parametrize(("area", "lat", "lon", "swapped"), [
    ("GB", -2.24, 53.48, True),  # Manchester, lon first
    ("GB", 53.48, -2.24, False),
    ("GB", 2.35, 48.85, False),  # Paris swapped is still not GB
    ("england", -1.55, 53.80, True),  # Leeds
    ("world", -2.24, 53.48, False),  # everything is inside the world
])
def test_looks_swapped(area: str, lat: float, lon: float, swapped: bool) -> None:
    assert looks_swapped(lat, lon, service_area_from_text(area)) is swapped


def test_describe_names_the_area_and_box() -> None:
    assert service_area_from_text("wales").describe() == (
        "'wales' (west,south,east,north = -5.7,51.35,-2.6,53.45)")
    assert "an outline within" in service_area_from_text("GB").describe()


# --- postcode tables ---------------------------------------------------------------------

def test_simple_layouts_in_both_column_orders(tmp_path: Path) -> None:
    latlon_file = write(tmp_path / "a.csv", [["postcode", "lat", "lon"],
                                             ["m32 0th", 53.458999, -2.287483],
                                             ["M320TJ", 53.4600, -2.2880]])
    lonlat_file = write(tmp_path / "b.csv", [["postcode", "lon", "lat"],
                                             ["M32 0TH", -2.287483, 53.458999],
                                             ["M32 0TJ", -2.2880, 53.4600]])
    for path in (latlon_file, lonlat_file):
        table = PostcodeTable.from_csv(path)
        assert len(table) == 2
        assert table.postcode("M32 0TH") == (53.458999, -2.287483)
        assert "m32 0tj" in table
        assert not table.has_district_rows


def test_onspd_layout_skips_postcodes_without_a_grid_reference(tmp_path: Path) -> None:
    path = write(tmp_path / "onspd.csv", [
        ["pcd", "pcd2", "pcds", "dointr", "doterm", "lat", "long"],
        ["M32 0TH", "M32  0TH", "M32 0TH", "198001", "", "53.458999", "-2.287483"],
        ["M15 4AB", "M15  4AB", "M15 4AB", "198001", "", "53.465578", "-2.26046"],
        ["ZZ99 3CZ", "ZZ99 3CZ", "ZZ99 3CZ", "198001", "", "99.999999", "0.000000"],
        ["M1  1AA", "M1  1AA", "M1 1AA", "198001", "", "99.999999", "0.000000"],
    ])
    table = PostcodeTable.from_csv(path)
    assert len(table) == 2
    assert table.skipped == 2
    assert table.postcode("M15 4AB") == (53.465578, -2.26046)


def test_codepoint_open_is_reprojected_from_the_national_grid(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", [
        ["M1 1AA", 10, 384383, 397912, "E92000001", "", "", "", "E08000003", "E05011368"],
        ["M1 1AB", 90, 0, 0, "E92000001", "", "", "", "", ""],  # no coordinates
    ])
    table = PostcodeTable.from_csv(path)
    assert len(table) == 1
    assert table.skipped == 1
    position = table.postcode("M1 1AA")
    assert position is not None
    assert km(position, M1_LATLON) < 0.05


def test_easting_northing_header_is_reprojected(tmp_path: Path) -> None:
    path = write(tmp_path / "en.csv", [["postcode", "easting", "northing"],
                                       ["M1 1AA", 384383, 397912]])
    position = PostcodeTable.from_csv(path).postcode("M1 1AA")
    assert position is not None
    assert km(position, M1_LATLON) < 0.05


def test_districts_layout_skips_inactive_and_non_geographic(tmp_path: Path) -> None:
    header = ["Postcode", "Latitude", "Longitude", "Town/Area", "Active postcodes"]
    path = write(tmp_path / "d.csv", [
        header,
        ["M15", 53.4663, -2.25265, "Hulme", 1000],
        ["AB1", 57.1269, -2.13644, "Aberdeen", 0],
        ["M61", 53.4864, -2.22933, "Non-geographic", 106],
        ["BN91", "", "", "Non-geographic", 1],
    ])
    table = PostcodeTable.from_csv(path)
    assert table.has_district_rows
    assert table.districts == {"M15": (53.4663, -2.25265)}
    assert table.skipped == 3
    assert set(table.areas) == {"M"}


def test_derived_district_and_area_centroids_are_means() -> None:
    table = PostcodeTable(["M32 0TH", "M32 0TJ", "M33 7AA"], [53.0, 53.2, 53.4],
                          [-2.0, -2.0, -2.0])
    assert table.districts["M32"] == pytest.approx((53.1, -2.0), abs=1e-6)
    # Each district counts once for its area.
    assert table.areas["M"] == pytest.approx((53.25, -2.0), abs=1e-3)


def test_table_skips_text_that_is_not_a_full_postcode_and_keeps_the_first_duplicate() -> None:
    table = PostcodeTable(["M32 0TH", "nonsense", "M32 0TH"], [53.0, 0.0, 54.0], [-2.0, 0, -3])
    assert (len(table), table.skipped, table.postcode("M32 0TH")) == (1, 1, (53.0, -2.0))


def test_concat_prefers_given_district_rows_to_derived_ones() -> None:
    units = PostcodeTable(["M15 4AB"], [53.0], [-2.0])
    districts = PostcodeTable([], [], [], districts={"M15": (53.4663, -2.25265)})
    both = PostcodeTable.concat([units, districts])
    assert len(both) == 1
    assert both.districts["M15"] == (53.4663, -2.25265)
    assert both.has_district_rows


@pytest.mark.parametrize(("rows", "fragment"), [
    ([["name", "x", "y"], ["a", 1, 2]], "cannot tell the layout"),
    ([["postcode", "lat"], ["M1 1AA", 53.0]], "lat/long or easting/northing"),
])
def test_unknown_layout_is_named(tmp_path: Path, rows: list[list[Any]], fragment: str) -> None:
    path = write(tmp_path / "bad.csv", rows)
    with pytest.raises(ValueError, match="postcode table") as info:
        PostcodeTable.from_csv(path)
    assert fragment in str(info.value)


def test_empty_table_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        PostcodeTable.from_csv(path)


# --- offline geocoder on the real files --------------------------------------------------

@pytest.fixture(scope="module")
def trafford() -> PostcodeTable:
    return PostcodeTable.from_csv(data_file("trafford_postcodes.csv"))


@pytest.fixture(scope="module")
def districts() -> PostcodeTable:
    return PostcodeTable.from_csv(data_file("postcode_districts.csv"))


def test_real_trafford_postcodes_within_50_m(trafford: PostcodeTable) -> None:
    with data_file("trafford_postcodes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    geocoder = OfflineGeocoder(trafford)
    sample = [r for r in rows if r["postcode"] == "M32 0TH"] + rows[::50]  # every 50th row
    for row in sample:
        found = geocoder.geocode(row["postcode"].lower().replace(" ", ""))
        assert found is not None
        assert found.raw["precision"] == "postcode"
        assert km(latlon(found), (float(row["lat"]), float(row["lon"]))) < 0.05


def test_real_gm_file_is_lon_lat_ordered() -> None:
    table = PostcodeTable.from_csv(data_file("gm_postcodes_2018-08.csv"))
    assert len(table) > 100_000
    position = table.postcode("M32 0TH")
    assert position is not None
    assert km(position, (53.458999, -2.287483)) < 0.05


def test_real_district_m15(districts: PostcodeTable) -> None:
    found = OfflineGeocoder(districts).geocode("M15")
    assert found is not None
    assert found.raw["precision"] == "district"
    assert km(latlon(found), (53.4663, -2.25265)) < 0.05
    # A full postcode of a table without it falls back to its district.
    full = OfflineGeocoder(districts).geocode("M15 9ZZ")
    assert full is not None
    assert (full.raw["precision"], full.raw["matched"]) == ("district", "M15")


def test_trafford_and_districts_together(trafford: PostcodeTable, districts: PostcodeTable) -> None:
    geocoder = OfflineGeocoder(PostcodeTable.concat([trafford, districts]))
    cases = {"M32 0TH": "postcode", "M1 9ZZ": "district", "EH1": "district", "ZE": "area"}
    for query, precision in cases.items():
        found = geocoder.geocode(query)
        assert found is not None
        assert found.raw["precision"] == precision, query


def test_built_in_area_centroids_match_the_districts_file(districts: PostcodeTable) -> None:
    for area, centroid in districts.areas.items():
        assert km(centroid, _POSTCODE_AREA_CENTROIDS[area]) < 0.05, area


# --- offline geocoder without files ------------------------------------------------------

def test_every_postcode_area_has_a_built_in_centroid() -> None:
    assert set(_POSTCODE_AREA_CENTROIDS) == set(POSTCODE_AREAS)


def test_built_in_area_fallback_lands_near_warrington() -> None:
    found = OfflineGeocoder().geocode("WA")
    assert found is not None
    assert found.raw["precision"] == "area"
    assert found.raw["source"] == "built-in postcode areas"
    assert km(latlon(found), WARRINGTON) < 30


@pytest.mark.parametrize("query", ["wa1 1aa", "WA1", "Bridge St, Warrington WA1 2NN"])
def test_built_in_district_centroids_land_in_warrington(query: str) -> None:
    found = OfflineGeocoder().geocode(query)
    assert found is not None
    assert found.raw["precision"] == "district"
    assert found.raw["source"] == "built-in postcode districts"
    assert km(latlon(found), WARRINGTON) < 3


def test_partial_table_areas_come_after_the_built_in_ones(trafford: PostcodeTable) -> None:
    found = OfflineGeocoder(trafford).geocode("M1 1AA")  # M1 is not in Trafford
    assert found is not None
    # the shipped district centroids (issue 11) come before the coarser postcode areas
    assert (found.raw["precision"], found.raw["source"]) == (
        "district", "built-in postcode districts")


@pytest.fixture(scope="module")
def small_gazetteer() -> Gazetteer:
    return Gazetteer([
        Place(1, "Stretford", 53.4457, -2.3103, 46000, "England"),
        Place(2, "Sale", 53.4252, -2.3244, 134000, "England"),
    ])


@pytest.mark.parametrize(("query", "name"), [
    ("Stretford", "Stretford"),
    ("stretford", "Stretford"),
    ("Town Hall, Talbot Road, Stretford", "Stretford"),
    ("12 High St, Sale, UK", "Sale"),
    ("Sale, Cheshire, England", "Sale"),
    ("Sale, United Kingdom", "Sale"),
])
def test_town_names(small_gazetteer: Gazetteer, query: str, name: str) -> None:
    found = OfflineGeocoder(gazetteer=small_gazetteer).geocode(query)
    assert found is not None
    assert (found.raw["precision"], found.raw["matched"]) == ("town", name)


def test_postcode_in_text_beats_the_town(small_gazetteer: Gazetteer) -> None:
    table = PostcodeTable(["M32 0TH"], [53.458999], [-2.287483])
    found = OfflineGeocoder(table, gazetteer=small_gazetteer).geocode("Talbot Rd, Sale M32 0TH")
    assert found is not None
    assert found.raw["precision"] == "postcode"


@pytest.mark.parametrize("query", ["Atlantis", "", "   ", "Nowhere, Else",
                                   "Stretford, Canada", "1 Main St, Sale, Australia"])
def test_unknown_places_give_none(small_gazetteer: Gazetteer, query: str) -> None:
    assert OfflineGeocoder(gazetteer=small_gazetteer).geocode(query) is None


def test_geonames_gazetteer_is_the_default() -> None:
    found = OfflineGeocoder().geocode("Altrincham")
    assert found is not None
    assert found.raw["precision"] == "town"
    assert km(latlon(found), (53.3875, -2.3489)) < 3


def test_exactly_one_false_gives_a_list() -> None:
    found = OfflineGeocoder().geocode("WA", exactly_one=False)
    assert isinstance(found, list)
    assert len(found) == 1


def test_precision_of_and_normalise_query() -> None:
    assert precision_of(Location("x", (1.0, 2.0), {"precision": "postcode"})) == "postcode"
    assert precision_of(Location("x", (1.0, 2.0), {})) == "town"
    assert precision_of(Location("x", (1.0, 2.0), {"precision": "bogus"})) == "town"
    assert normalise_query("  Stretford   Public Hall. ") == "stretford public hall"


# --- nominatim through a fake HTTP layer -------------------------------------------------

STRETFORD_HALL = [{
    "place_id": 1, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
    "osm_type": "way", "osm_id": 2, "lat": "53.4466", "lon": "-2.3086",
    "class": "amenity", "type": "community_centre", "place_rank": 30,
    "addresstype": "amenity", "name": "Stretford Public Hall",
    "display_name": "Stretford Public Hall, Chester Road, Stretford, Trafford, M32 0LG, UK",
}]


class FakeAdapter(BaseSyncAdapter):
    """A geopy HTTP layer that answers from memory and records every request."""

    calls: list[dict[str, Any]] = []  # noqa: RUF012 - shared by the instances geopy makes
    response: Any = STRETFORD_HALL
    error: Exception | None = None

    def __init__(self, *, proxies: Any = None, ssl_context: Any = None) -> None:
        super().__init__(proxies=proxies, ssl_context=ssl_context)

    def get_json(self, url: str, *, timeout: Any, headers: dict[str, str]) -> Any:
        type(self).calls.append({"url": url, "headers": headers})
        if self.error is not None:
            raise self.error
        return self.response

    def get_text(self, url: str, *, timeout: Any, headers: dict[str, str]) -> str:
        return json.dumps(self.get_json(url, timeout=timeout, headers=headers))


@pytest.fixture
def fake() -> type[FakeAdapter]:
    class Adapter(FakeAdapter):
        calls: list[dict[str, Any]] = []  # noqa: RUF012

    return Adapter


def test_nominatim_caches_on_disk(tmp_path: Path, fake: type[FakeAdapter]) -> None:
    geocoder = make_geocoder("nominatim", cache_dir=tmp_path, adapter_factory=fake)
    assert isinstance(geocoder, NominatimGeocoder)
    found = geocoder.geocode("Stretford Public Hall")
    assert found is not None
    assert latlon(found) == (53.4466, -2.3086)
    assert found.raw["precision"] == "exact"
    assert len(fake.calls) == 1
    assert "q=stretford+public+hall" in fake.calls[0]["url"]
    assert fake.calls[0]["headers"]["User-Agent"] == "commonground"
    path = geocoder.cache_path("stretford public hall")
    assert path is not None
    assert path.is_file()
    entry = json.loads(path.read_text(encoding="utf-8"))
    assert entry["query"] == "stretford public hall"
    assert entry["result"]["display_name"].startswith("Stretford Public Hall")
    # Same query, other spelling: the cache answers, the adapter is not called.
    again = geocoder.geocode("  STRETFORD public hall ")
    assert again is not None
    assert latlon(again) == latlon(found)
    # A new process (a new geocoder on the same folder) reads the disk cache.
    fresh = NominatimGeocoder(cache_dir=tmp_path, adapter_factory=fake)
    assert fresh.geocode("Stretford Public Hall") is not None
    assert len(fake.calls) == 1


def test_nominatim_is_rate_limited_to_one_a_second(tmp_path: Path) -> None:
    geocoder = make_geocoder("nominatim", cache_dir=tmp_path, adapter_factory=FakeAdapter)
    assert isinstance(geocoder, NominatimGeocoder)
    assert geocoder._geocode.min_delay_seconds == 1


def test_nominatim_caches_misses_but_not_errors(tmp_path: Path, fake: type[FakeAdapter]) -> None:
    fake.response = []
    geocoder = NominatimGeocoder(cache_dir=tmp_path, adapter_factory=fake, min_delay_seconds=0,
                                 max_retries=0)
    assert geocoder.geocode("Atlantis") is None
    assert geocoder.geocode("atlantis") is None
    assert len(fake.calls) == 1
    fake.error = AdapterHTTPError("boom", status_code=500, headers={}, text="")
    with pytest.raises(GeocoderServiceError):
        geocoder.geocode("Somewhere")
    assert geocoder.cache_path("somewhere") is not None
    assert not geocoder.cache_path("somewhere").is_file()  # type: ignore[union-attr]


def test_nominatim_without_cache_dir_keeps_answers_in_memory(fake: type[FakeAdapter]) -> None:
    geocoder = NominatimGeocoder(cache_dir=None, adapter_factory=fake, min_delay_seconds=0)
    assert geocoder.geocode("Stretford Public Hall") is not None
    assert geocoder.geocode("Stretford Public Hall") is not None
    assert len(fake.calls) == 1
    assert geocoder.cache_path("x") is None


@pytest.mark.parametrize(("raw", "precision"), [
    ({"class": "building", "type": "yes", "place_rank": 30}, "exact"),
    ({"class": "place", "type": "house", "place_rank": 30}, "exact"),
    ({"class": "amenity", "type": "pub", "place_rank": 30}, "exact"),
    ({"class": "place", "type": "postcode", "place_rank": 21}, "postcode"),
    ({"class": "highway", "type": "residential", "place_rank": 26}, "town"),
    ({"class": "place", "type": "suburb", "place_rank": 19}, "town"),
    ({"class": "boundary", "type": "administrative", "place_rank": "x"}, "town"),
])
def test_nominatim_precision_rule(raw: dict[str, Any], precision: str) -> None:
    assert nominatim_precision(raw) == precision


def test_make_geocoder_names() -> None:
    assert isinstance(make_geocoder("Offline"), OfflineGeocoder)
    with pytest.raises(ValueError, match="geocoder 'google' is unknown: use one of 'offline'"):
        make_geocoder("google")
