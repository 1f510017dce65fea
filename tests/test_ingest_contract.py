"""Issue 10: ingest that real files can trust (points 1, 3, 4, 5, 9, 11), on both backends.

Real files from ../shared/data where they exist (skipping cleanly without them), generated
ones otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from _files import write_csv
from click.testing import CliRunner
from sqlalchemy import text

from geo.geocode import OfflineGeocoder
from geo.postcode_table import postcode_layout
from geo.service_area import service_area_from_text
from ingest.export import write_export
from ingest.pipeline import ingest_file
from ingest.postcodes import ingest_postcodes
from ingest.readers import open_records
from ingest.records import IngestError
from ingest.report import KEPT
from service.cli import main
from service.cli.ingest import progress_bar
from store import Store
from store.reads import export_records

GB = service_area_from_text("GB")
LIBRARIES = "associations-trafford/trafford_libraries.csv"
TRAFFORD = "uk-postcodes/trafford_postcodes.csv"
DISTRICTS = "uk-postcodes/postcode_districts.csv"




def snapshot(store: Store) -> dict[str, object]:
    """Every row count and every change counter: what a dry run must leave as it was."""
    with store.engine.connect() as conn:
        versions = dict(conn.execute(text("SELECT table_name, version FROM data_versions")).all())
        tables = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("meetings", "associations", "opportunities", "postcodes",
                            "ingest_runs")}
    return {"versions": versions, "tables": tables}


def cli(store: Store, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", store.url, *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


# --- point 1: one contract for every kind ------------------------------------------------

def _files(tmp_path: Path) -> dict[str, Path]:
    return {
        "associations": write_csv(tmp_path / "a.csv", ["id", "name", "lat", "lon"],
                                  [["a1", "Canal Trust", 53.46, -2.29],
                                   ["a2", "Garden Club", 53.47, -2.30]]),
        "opportunities": write_csv(tmp_path / "o.csv",
                                   ["id", "title", "association", "association_name"],
                                   [["o1", "Towpath crew", "n1", "New Trust"]]),
        "meetings": write_csv(tmp_path / "m.csv", ["id", "name", "day", "time", "lat", "lon"],
                              [["m1", "Peers", "Mon", "18:00", 53.46, -2.29]]),
        "postcodes": write_csv(tmp_path / "p.csv", ["postcode", "lat", "lon"],
                               [["M32 0TH", 53.4575, -2.2896], ["M15 4AB", 53.4668, -2.2494]]),
    }


@pytest.mark.parametrize("kind", ["associations", "opportunities", "meetings", "postcodes"])
def test_dry_run_writes_nothing_at_all(store: Store, tmp_path: Path, kind: str) -> None:
    files = _files(tmp_path)
    before = snapshot(store)
    code, out = cli(store, "ingest", kind, str(files[kind]), "--dry-run", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["dry_run"] is True
    assert report["inserted"] >= 1
    assert snapshot(store) == before


@pytest.mark.parametrize("kind", ["associations", "postcodes"])
def test_output_paths_are_checked_before_anything_is_read_or_written(
    store: Store, tmp_path: Path, kind: str
) -> None:
    path = _files(tmp_path)[kind]
    before = snapshot(store)
    for bad in (["--report", str(tmp_path / "r.txt")],
                ["--report", str(tmp_path / "no" / "such" / "folder" / "r.json")],
                ["--report", str(tmp_path)],
                ["--rejected", str(tmp_path / "all.json")]):
        code, out = cli(store, "ingest", kind, str(path), *bad)
        assert code == 2, out
        assert "Error" in out
        assert snapshot(store) == before


def test_postcodes_honour_report_strict_format_and_service_area(
    store: Store, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", ["postcode", "lat", "lon"],
                     [["M32 0TH", 53.4575, -2.2896], ["NOT A CODE", 53.4, -2.2],
                      ["M15 4AB", 53.4668, -2.2494]])
    report_path = tmp_path / "r.json"
    code, out = cli(store, "ingest", "postcodes", str(path), "--report", str(report_path),
                    "--strict")
    assert code == 1, out  # one row is not a postcode
    report = json.loads(report_path.read_text())
    assert (report["kind"], report["inserted"], report["rejected_count"]) == ("postcodes", 2, 1)
    code, out = cli(store, "ingest", "postcodes", str(path), "--format", "geojson")
    assert code == 2
    assert "--format 'geojson' does not apply to postcode tables" in out
    code, out = cli(store, "ingest", "postcodes", str(path), "--service-area", "wales",
                    "--dry-run")
    assert code == 1
    assert "outside 'wales'" in out


# --- point 3: precision never silently downgrades, identity never silently forks ----------

@pytest.fixture
def libraries(shared_data: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The real libraries file, and the same without its coordinates (postcodes only)."""
    source = shared_data / LIBRARIES
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = [h for h in rows[0] if h not in ("lat", "lon")]
    without = write_csv(tmp_path / "trafford_libraries.csv", header,
                        [[r[h] for h in header] for r in rows])
    return source, without


def test_a_less_precise_reingest_keeps_points_and_records(
    store: Store, shared_data: Path, libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    with_coords, without = libraries
    ingest_postcodes(store, shared_data / TRAFFORD)
    from service.usecases.wiring import postcode_table

    geocoder = OfflineGeocoder(postcode_table(store))
    first = ingest_file(store, with_coords, "associations", area=GB, geocoder=geocoder)
    before = {r["name"]: (r["lat"], r["lon"], r["location_precision"])
              for r in export_records(store, "associations")}
    assert first.inserted == len(before) == 13
    again = ingest_file(store, without, "associations", area=GB, geocoder=geocoder,
                        source=first.source)
    assert again.inserted == 0  # the same set of records
    after = {r["name"]: (r["lat"], r["lon"], r["location_precision"])
             for r in export_records(store, "associations")}
    assert after == before  # no exact point became a postcode centroid
    assert any("kept the stored, more precise position" in w for w in again.warnings)
    forced = ingest_file(store, without, "associations", area=GB, geocoder=geocoder,
                         source=first.source, overwrite_locations=True)
    assert forced.updated >= 1
    assert {r["location_precision"] for r in export_records(store, "associations")} == \
        {"postcode"}
    assert store.counts()["associations"] == 13


def test_a_match_by_name_nearby_is_reported_with_its_evidence(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    one = write_csv(tmp_path / "one.csv", ["id", "name", "lat", "lon"],
                    [["a1", "Sale Canal Trust", 53.4240, -2.3220]])
    two = write_csv(tmp_path / "two.csv", ["id", "name", "lat", "lon"],
                    [["x9", "SALE CANAL TRUST", 53.4242, -2.3220]])
    ingest_file(store, one, "associations", area=GB, geocoder=geocoder, source="one")
    report = ingest_file(store, two, "associations", area=GB, geocoder=geocoder, source="two")
    assert store.counts()["associations"] == 1
    (merge,) = report.merged
    assert merge["record"] == "one:a1"
    assert merge["row"] == 2
    assert "same name 'SALE CANAL TRUST' 22 m away" in merge["evidence"]


# --- point 4: postcode tables are checked -------------------------------------------------

def test_real_layouts_are_recognised_and_a_places_list_is_refused(
    store: Store, shared_data: Path
) -> None:
    def header(rel: str) -> list[str]:
        with (shared_data / rel).open(encoding="utf-8-sig", newline="") as fh:
            return next(csv.reader(fh))

    assert postcode_layout(header(DISTRICTS)) == "doogal"
    assert postcode_layout(header(TRAFFORD)) == "plain"
    assert postcode_layout(["pcd", "pcd2", "pcds", "dointr", "doterm", "lat", "long"]) == "onspd"
    assert postcode_layout(["M32 0TH", "10", "379000", "396000", "E92000001"]) == "codepoint"
    before = snapshot(store)
    with pytest.raises(IngestError, match="list of places, not of a postcode table"):
        ingest_postcodes(store, shared_data / LIBRARIES)
    assert snapshot(store) == before


def test_malformed_or_foreign_tables_are_refused(store: Store, tmp_path: Path) -> None:
    junk = write_csv(tmp_path / "junk.csv", ["postcode", "lat", "lon"],
                     [[f"ROW {i}", 53.4, -2.2] for i in range(10)] + [["M32 0TH", 53.4, -2.2]])
    with pytest.raises(IngestError, match="10 of 11 rows are not well-formed UK postcodes"):
        ingest_postcodes(store, junk)
    swapped = write_csv(tmp_path / "swapped.csv", ["postcode", "lat", "lon"],
                        [["M32 0TH", -2.2896, 53.4575], ["M15 4AB", -2.2494, 53.4668]])
    with pytest.raises(IngestError, match="2 of 2 points fall outside"):
        ingest_postcodes(store, swapped)
    assert snapshot(store)["tables"]["postcodes"] == 0  # type: ignore[index]


def test_moving_many_stored_centroids_needs_replace(store: Store, tmp_path: Path) -> None:
    rows = [[f"M32 0T{c}", 53.4575 + i / 1000, -2.2896] for i, c in enumerate("ABDEFGHJ")]
    ingest_postcodes(store, write_csv(tmp_path / "official.csv", ["postcode", "lat", "lon"],
                                      rows))
    moved = write_csv(tmp_path / "places.csv", ["postcode", "lat", "lon"],
                      [[p, a + 0.002, b] for p, a, b in rows])
    with pytest.raises(IngestError, match=r"would move 8 of the 8 stored centroids.*--replace"):
        ingest_postcodes(store, moved)
    code, out = cli(store, "ingest", "postcodes", str(moved))
    assert code == 1
    assert "--replace" in out
    report = ingest_postcodes(store, moved, replace=True)
    assert report.updated == 8


# --- point 5: bounded memory --------------------------------------------------------------

def test_a_file_of_bad_rows_keeps_a_bounded_report(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    n = KEPT * 3
    path = write_csv(tmp_path / "bad.csv", ["id", "name", "lat", "lon"],
                     [[f"b{i}", f"Club {i}", "north", "west"] for i in range(n)])
    with open_records(path, "associations") as result:
        assert not isinstance(result.records, list)  # streamed, not read whole
    sink = io.StringIO()
    report = ingest_file(store, path, "associations", area=GB, geocoder=geocoder,
                         rejected_to=sink)
    assert report.rejected_rows == n
    assert report.rejected_count == 2 * n  # lat and lon, each row
    assert len(report.rejected) == KEPT
    assert report.reasons == {
        "lat: Latitude “…” is not a number. Enter decimal degrees such as ….": n,
        "lon: Longitude “…” is not a number. Enter decimal degrees such as ….": n}
    assert len(sink.getvalue().splitlines()) == 2 * n + 1
    assert len(json.dumps(report.to_dict())) < 400_000
    assert store.counts()["associations"] == 0


# --- point 9: safe outputs ----------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1)", "-1+1",
            "\t=1", "\r=1"]


def test_every_csv_neutralises_formulas(store: Store, tmp_path: Path,
                                        geocoder: OfflineGeocoder) -> None:
    path = write_csv(tmp_path / "a.csv", ["id", "name", "description", "lat", "lon"],
                     [[f"a{i}", f"Club {i}", f, 53.46, -2.29] for i, f in enumerate(FORMULAS)])
    ingest_file(store, path, "associations", area=GB, geocoder=geocoder)
    out = tmp_path / "out.csv"
    write_export(export_records(store, "associations"), out, fmt="csv", kind="associations")
    with out.open(encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in cells
    assert "-2.29" in cells  # numbers are not touched
    bad = write_csv(tmp_path / "b.csv", ["id", "name", "lat", "lon"],
                    [["=1+2", "@SUM(1)", "north", 0]])
    report = ingest_file(store, bad, "associations", area=GB, geocoder=geocoder)
    report.write(tmp_path / "r.csv")
    assert "'=1+2" in (tmp_path / "r.csv").read_text(encoding="utf-8")


def test_urls_outside_rfc_3986_are_dropped_with_a_warning(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    path = write_csv(tmp_path / "a.csv", ["id", "name", "website", "lat", "lon"],
                     [["a1", "Quote Club", 'https://x.org/"onmouseover="alert(1)', 53.46, -2.29],
                      ["a2", "Angle Club", "https://x.org/<script>", 53.46, -2.28],
                      ["a3", "Fine Club", "https://x.org/a%20b?c=d", 53.46, -2.27]])
    report = ingest_file(store, path, "associations", area=GB, geocoder=geocoder)
    assert report.inserted == 3
    stored = {r["source_id"]: r["website"] for r in export_records(store, "associations")}
    assert stored == {"a1": None, "a2": None, "a3": "https://x.org/a%20b?c=d"}
    assert sum("RFC 3986" in w for w in report.warnings) == 2


# --- point 11: progress -------------------------------------------------------------------

def test_progress_shows_on_a_terminal_only_and_never_with_json(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    with progress_bar("postcodes", quiet=False) as bar:
        assert not bar.disable
        assert bar.delay == pytest.approx(1.0)  # only for loads over about a second
    with progress_bar("postcodes", quiet=True) as bar:
        assert bar.disable
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with progress_bar("postcodes", quiet=False) as bar:
        assert bar.disable
