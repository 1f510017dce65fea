"""Issue 10, points 2, 7 and 12: real-world fields, and messages that lead somewhere.

The food-bank file is generated in the shape of the Greater Manchester food bank lists (a
name, address, postcode, website, a free ``Contact`` column and ``Opening times``), with the
cells that cost real records before: ``not known``, ``Not known``, two URLs in one cell.
"""

from __future__ import annotations

import json
from pathlib import Path

from _files import write_csv
from click.testing import CliRunner

from geo.geocode import OfflineGeocoder
from geo.service_area import service_area_from_text
from ingest.pipeline import ingest_file
from service.cli import main
from store import Store
from store.reads import export_records

GB = service_area_from_text("GB")
FOOD_BANK_HEADER = ["Name", "Address", "Postcode", "Website", "Contact", "Opening times",
                    "Latitude", "Longitude"]
FOOD_BANKS = [
    ["Stretford Food Bank", "1 King Street", "M32 0TH", "https://stretford.foodbank.org.uk",
     "info@stretford.foodbank.org.uk / 0161 496 0000", "Wednesday 10am - 4pm", 53.4458, -2.3085],
    ["Sale Community Pantry", "2 School Road", "M33 7XX", "not known",
     "0161 496 0001", "Mon-Fri 9.30-12", 53.4245, -2.3220],
    ["Urmston Food Bank", "3 Flixton Road", "M41 5AA", "Not known",
     "-", "2nd Tuesday of the month", 53.4485, -2.3540],
    ["Altrincham Food Bank", "4 George Street", "WA14 1RJ",
     "https://altrincham.foodbank.org.uk https://www.facebook.com/altrinchamfoodbank",
     "hello@altrincham.foodbank.org.uk", "Saturdays", 53.3870, -2.3490],
    ["Partington Food Club", "5 Central Road", "M31 4EL", "www.partingtonfoodclub.org",
     "none", "", 53.4190, -2.4280],
    ["Hale Library", "6 Leigh Road", "WA15 9BG", "https://www.trafford.gov.uk/libraries",
     "hale.library@trafford.gov.uk", "Tue 10:00-17:00", 53.3780, -2.3470],
    ["Bridgewater Canal Volunteers", "7 Water Street", "M32 9BA", "n/a",
     "n/a", "", 53.4490, -2.2950],
    ["Friends of Longford Park", "8 Park Road", "M32 8DA", "", "", "", 53.4520, -2.3000],
]




# --- point 2: optional fields never cost a record ----------------------------------------

def test_food_banks_are_all_kept_whatever_their_optional_cells(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    path = write_csv(tmp_path / "food_banks.csv", FOOD_BANK_HEADER, FOOD_BANKS)
    report = ingest_file(store, path, "associations", area=GB, geocoder=geocoder)
    assert report.rejected == []
    assert report.inserted == len(FOOD_BANKS)
    stored = {r["name"]: r for r in export_records(store, "associations")}
    assert stored["Sale Community Pantry"]["website"] is None  # 'not known' is empty
    assert stored["Urmston Food Bank"]["website"] is None  # 'Not known' too
    assert stored["Altrincham Food Bank"]["website"] == "https://altrincham.foodbank.org.uk"
    assert any(w.startswith("row 5: website ") and "holds 2 values: kept "
               "'https://altrincham.foodbank.org.uk'" in w for w in report.warnings)


def test_an_invalid_optional_field_is_dropped_with_row_field_value_and_why(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    path = write_csv(tmp_path / "a.csv", ["id", "name", "website", "contact_email", "status",
                                          "lat", "lon"],
                     [["a1", "Canal Trust", "ftp://canal.example", "not an email", "gone",
                       53.46, -2.29],
                      ["a2", "", "https://ok.example", "", "", 53.47, -2.29]])
    report = ingest_file(store, path, "associations", area=GB, geocoder=geocoder)
    assert report.inserted == 1
    assert [(r["row"], r["field"]) for r in report.rejected] == [(3, "name")]  # required
    for field, value in (("website", "ftp://canal.example"), ("contact_email", "not an email"),
                         ("status", "gone")):
        assert any(w.startswith(f"row 2: {field} left out: ") and f"“{value}”" in w
                   for w in report.warnings), (field, report.warnings)


# --- point 7: real-world fields -----------------------------------------------------------

def test_a_contact_column_gives_email_and_phone(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    path = write_csv(tmp_path / "food_banks.csv", FOOD_BANK_HEADER, FOOD_BANKS)
    ingest_file(store, path, "associations", area=GB, geocoder=geocoder)
    stored = {r["name"]: r for r in export_records(store, "associations")}
    stretford = stored["Stretford Food Bank"]
    assert stretford["contact_email"] == "info@stretford.foodbank.org.uk"
    assert stretford["contact_phone"] == "0161 496 0000"
    assert stored["Sale Community Pantry"]["contact_phone"] == "0161 496 0001"
    assert stored["Hale Library"]["contact_email"] == "hale.library@trafford.gov.uk"


# --- point 12: messages that lead somewhere -----------------------------------------------

def test_recommend_with_associations_but_no_needs_says_where_needs_come_from(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    path = write_csv(tmp_path / "food_banks.csv", FOOD_BANK_HEADER, FOOD_BANKS)
    ingest_file(store, path, "associations", area=GB, geocoder=geocoder)
    runner = CliRunner()
    text = runner.invoke(main, ["--database-url", store.url, "recommend", "--lat", "53.446",
                                "--lon", "-2.31", "--radius-km", "10"])
    assert text.exit_code == 0, text.output
    assert f"no needs listed near here yet: {len(FOOD_BANKS)} associations are here; " \
           "partners list needs at /partner/ or with `ingest opportunities`" in text.output
    assert "larger --radius-km" not in text.output
    as_json = runner.invoke(main, ["--database-url", store.url, "recommend", "--lat",
                                   "53.446", "--lon", "-2.31", "--json"])
    assert json.loads(as_json.output)["associations_near"] == len(FOOD_BANKS)


def test_an_opportunity_names_a_shared_association_by_name_and_postcode(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    assocs = write_csv(tmp_path / "a.csv", ["id", "name", "postcode", "lat", "lon"],
                       [["s1", "Scout Group", "M32 0TH", 53.4458, -2.3085],
                        ["s2", "Scout Group", "M33 7XX", 53.4245, -2.3220],
                        ["c1", "Canal Trust", "M32 9BA", 53.4490, -2.2950]])
    ingest_file(store, assocs, "associations", area=GB, geocoder=geocoder, source="a")
    opps = write_csv(tmp_path / "o.csv", ["id", "title", "association", "association_postcode"],
                     [["o1", "Camp helper", "Scout Group", "M33 7XX"],
                      ["o2", "Hut painter", "Scout Group", ""],
                      ["o3", "Towpath crew", "Canal Trust", ""],
                      ["o4", "Badge night", "s1", ""]])
    report = ingest_file(store, opps, "opportunities", area=GB, geocoder=geocoder, source="o")
    assert report.inserted == 3
    ((row, reason),) = [(r["row"], r["reason"]) for r in report.rejected]
    assert row == 3
    assert "names 2 associations (postcodes M32 0TH, M33 7XX): give association_postcode" \
        in reason
    stored = {r["source_id"]: r for r in export_records(store, "opportunities")}
    ids = {r["source_id"]: r["id"] for r in export_records(store, "associations")}
    assert stored["o1"]["association_id"] == ids["s2"]
    assert stored["o4"]["association_id"] == ids["s1"]


def test_opening_times_become_schedules_where_unambiguous(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    path = write_csv(tmp_path / "food_banks.csv", FOOD_BANK_HEADER, FOOD_BANKS)
    report = ingest_file(store, path, "associations", area=GB, geocoder=geocoder)
    stored = {r["name"]: r for r in export_records(store, "associations")}
    assert stored["Stretford Food Bank"]["schedule"] == [
        {"weekdays": [3], "start": "10:00", "end": "16:00"}]
    assert stored["Sale Community Pantry"]["schedule"] == [
        {"weekdays": [1, 2, 3, 4, 5], "start": "09:30", "end": "12:00"}]
    assert stored["Altrincham Food Bank"]["schedule"] == [
        {"weekdays": [6], "start": None, "end": None}]
    urmston = stored["Urmston Food Bank"]
    assert urmston["opening_times"] == "2nd Tuesday of the month"  # kept as text
    assert not urmston["schedule"]
    assert any(w.startswith("row 4: opening_times '2nd Tuesday of the month' kept as text")
               for w in report.warnings)


def test_categories_are_inferred_with_evidence_and_other_only_with_a_warning(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    path = write_csv(tmp_path / "food_banks.csv", FOOD_BANK_HEADER,
                     [*FOOD_BANKS, ["The Hub", "9 Any Street", "M32 0TH", "", "", "", 53.44,
                                    -2.30]])
    report = ingest_file(store, path, "associations", area=GB, geocoder=geocoder)
    stored = {r["name"]: r["category"] for r in export_records(store, "associations")}
    assert stored == {
        "Stretford Food Bank": "food_bank", "Sale Community Pantry": "food_bank",
        "Urmston Food Bank": "food_bank", "Altrincham Food Bank": "food_bank",
        "Partington Food Club": "food_bank", "Hale Library": "library",
        "Bridgewater Canal Volunteers": "waterway_trust",
        "Friends of Longford Park": "conservation", "The Hub": "other",
    }
    assert "row 3: category 'food_bank' inferred: the name says 'Pantry'" in report.warnings
    assert any(w.startswith("row 10: category 'other': neither the name nor the description")
               for w in report.warnings)
