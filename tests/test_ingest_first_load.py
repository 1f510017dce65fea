"""A first load of associations, written while it is read, stores what the row path does.

On PostGIS ``ingest._first_load.FirstLoad`` takes a new source's load lock before reading
(on SQLite, whose one write lock would hold back every writer, a load takes it only to
write: the same files then test the block reader and checks against the row path), checks each
block of 2,000 rows (``ingest.validate.validate_block``: plain rows a column at a time) and
sends its valid rows into one ``COPY`` (``store.bulk.column_writer``, text built column by
column) as it goes. Here every file is loaded that way and, into a second fresh store of the
same backend, through the row path (``ingest.validate._FAST_PATH`` off: the record reader,
per-row checks, upserts): the reports (counts, every rejected row, warning and message) and
the stored rows must be identical: for awkward text, for odd rows in a later block (kept in
the first load, or making it give way part-way: an id repeated across blocks, a row only a
remote geocoder could place), for real files, for a dry run (which writes nothing), and when
another writer takes one of its keys meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _files import write_csv
from sqlalchemy import text
from test_ingest_contract import snapshot
from test_ingest_fast_path import _stored

import ingest._first_load as first_load_module
import ingest.validate as validate_module
from geo.geocode import OfflineGeocoder
from geo.service_area import service_area_from_text
from ingest.pipeline import ingest_file
from ingest.readers import open_records
from ingest.readers import read_file
from store import Store

GB = service_area_from_text("GB")
HEADER = ["id", "name", "category", "description", "website", "postcode", "lat", "lon"]
#: Text COPY must carry as it is: its escapes, quotes, line breaks, non-ASCII, formula-like.
AWKWARD = [
    "tab\there", "back\\slash", "\\N", "\\.", "line\nbreak", "carriage\rreturn",
    "crlf\r\nend", "\"quoted\", with commas", "café \u2013 Ωmega 🚣 عربى", "=SUM(1)+2",
    "trailing backslash\\", "\\t literal", "a" * 200,
]


def _rows(n: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for i in range(n):
        lat, lon = 53.40 + (i % 97) / 1000, -2.30 + (i % 89) / 1000
        name = AWKWARD[i % len(AWKWARD)] if i % 5 == 0 else f"Association {i}"
        description = "" if i % 4 == 0 else (
            AWKWARD[i % len(AWKWARD)] + f" no. {i}" if i % 3 == 0 else "x" * (4990 + i % 10))
        website = "" if i % 6 == 0 else f"https://example.org/a/{i}?q={i}&r=x#top"
        postcode = "M1 1AE" if i % 7 == 0 else ""
        rows.append([f"id-{i}", name[:200], ["sport", "arts", "canal"][i % 3], description,
                     website, postcode, f"{lat:.6f}", f" {lon!r} "])
    return rows


def _file(path: Path, rows: list[list[object]]) -> Path:
    return write_csv(path, HEADER, rows)


def _first(store: Store, *outcomes: bool) -> list[bool]:
    """``copied`` expected: the outcomes on PostGIS; none on SQLite, where a load takes the
    write lock only to write (no first load while reading)."""
    return list(outcomes) if store.backend == "postgis" else []


@pytest.fixture
def copied(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each first load's end said: ``True`` when its ``COPY`` was committed."""
    finished: list[bool] = []
    finish = first_load_module.FirstLoad.finish

    def spy(self: Any, *args: Any, **kwargs: Any) -> bool:
        done = finish(self, *args, **kwargs)
        finished.append(done)
        return done

    monkeypatch.setattr(first_load_module.FirstLoad, "finish", spy)
    return finished


def _load(store: Store, path: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch,
          geocoder: OfflineGeocoder, **kwargs: Any) -> dict[str, object]:
    monkeypatch.setattr(validate_module, "_FAST_PATH", fast)
    report = ingest_file(store, path, "associations", area=GB, geocoder=geocoder,
                         source="csv:first", **kwargs)
    out = report.to_dict()
    out.pop("run_id", None)
    return out


def _alike(store: Store, other_store: Store, path: Path, *,
           monkeypatch: pytest.MonkeyPatch, geocoder: OfflineGeocoder) -> dict[str, object]:
    fast = _load(store, path, fast=True, monkeypatch=monkeypatch, geocoder=geocoder)
    slow = _load(other_store, path, fast=False, monkeypatch=monkeypatch, geocoder=geocoder)
    assert fast == slow
    assert _stored(store) == _stored(other_store)
    return fast


def test_a_first_load_of_plain_rows_stores_what_the_row_path_stores(
    *, store: Store, other_store: Store, tmp_path: Path, geocoder: OfflineGeocoder,
    monkeypatch: pytest.MonkeyPatch, copied: list[bool],
) -> None:
    path = _file(tmp_path / "plain.csv", _rows(4500))
    report = _alike(store, other_store, path, monkeypatch=monkeypatch, geocoder=geocoder)
    assert copied == _first(store, True)  # written by the first load's COPY, not upserts
    assert report["inserted"] == 4500
    assert not report["rejected_rows"]
    assert not report["warnings"]
    with store.engine.connect() as conn:
        # the awkward texts came back as they went in (COPY's escapes undone)
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM associations")}
        assert set(AWKWARD) <= names
        # ids follow the file, and the second load of the same file is all unchanged
        order = [r[0] for r in conn.exec_driver_sql(
            "SELECT source_id FROM associations ORDER BY id")]
    assert order == [f"id-{i}" for i in range(4500)]
    again = _alike(store, other_store, path, monkeypatch=monkeypatch, geocoder=geocoder)
    assert again["unchanged"] == 4500
    assert copied == _first(store, True)  # not a first load any more


@pytest.mark.parametrize(("case", "copies"), [
    ("bad row", True), ("geocode", True), ("warning", True), ("repeat within", True),
    ("repeat across", False), ("remote geocoder", False),
])
def test_a_first_load_of_odd_rows_stores_what_the_row_path_stores(
    *, case: str, copies: bool, store: Store, other_store: Store, tmp_path: Path,
    geocoder: OfflineGeocoder, monkeypatch: pytest.MonkeyPatch, copied: list[bool],
) -> None:
    """Two blocks are sent before the third holds an odd row. A row to reject, to warn about
    or to place by the offline geocoder is the first load's as any other; an id repeated from
    an earlier block, or a row a remote geocoder must place (not asked while the load holds
    its lock), makes it give way: its transaction is rolled back and the rows go the row
    path's way, as if never sent."""
    rows = _rows(5000)
    at = 4321
    if case == "bad row":
        rows[at][6] = "north"
    elif case in ("geocode", "remote geocoder"):
        rows[at][5], rows[at][6], rows[at][7] = "M1 1AE", "", ""
    elif case == "warning":
        rows[at][4] = "not a web address"
    elif case == "repeat across":
        rows[at][0] = rows[10][0]
    else:
        rows[at][0] = rows[at - 5][0]
    if case == "remote geocoder":
        geocoder = _Remote(geocoder)  # type: ignore[assignment]
    path = _file(tmp_path / "odd.csv", rows)
    report = _alike(store, other_store, path, monkeypatch=monkeypatch, geocoder=geocoder)
    assert copied == (_first(store, True) if copies else [])
    assert report["total"] == 5000
    assert report["inserted"] + report["rejected_rows"] == 5000
    assert report["rejected_rows"] == (1 if case in ("bad row", "repeat within",
                                                     "repeat across") else 0)
    assert bool(report["warnings"]) == (case == "warning")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ingest_runs")).scalar_one() == 1


class _Remote:
    """A geocoder that is not the offline one (answers as it does, as a remote one might)."""

    def __init__(self, offline: OfflineGeocoder) -> None:
        self._offline = offline

    def geocode(self, query: str, exactly_one: bool = True) -> Any:
        return self._offline.geocode(query, exactly_one=exactly_one)


@pytest.mark.parametrize("name", ["charities_operating_in_trafford.csv", "sports_clubs.csv",
                                  "trafford_allotments.csv", "trafford_libraries.csv",
                                  "trafford_mental_health_services.csv"])
def test_a_first_load_of_a_real_file_stores_what_the_row_path_stores(
    *, name: str, shared_data: Path, store: Store, other_store: Store,
    geocoder: OfflineGeocoder, monkeypatch: pytest.MonkeyPatch, copied: list[bool],
) -> None:
    """Real files (contacts, opening times, postcodes to place, odd cells) load alike."""
    report = _alike(store, other_store, shared_data / "associations-trafford" / name,
                    monkeypatch=monkeypatch, geocoder=geocoder)
    assert copied == _first(store, True)
    assert report["inserted"] > 5


def test_a_first_load_dry_run_writes_nothing(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder,
    monkeypatch: pytest.MonkeyPatch, copied: list[bool],
) -> None:
    path = _file(tmp_path / "plain.csv", _rows(2500))
    before = snapshot(store)
    report = _load(store, path, fast=True, monkeypatch=monkeypatch, geocoder=geocoder,
                   dry_run=True)
    assert copied == _first(store, True)
    assert report["inserted"] == 2500
    assert snapshot(store) == before
    done = _load(store, path, fast=True, monkeypatch=monkeypatch, geocoder=geocoder)
    assert done["inserted"] == 2500
    assert copied == _first(store, True, True)


def test_a_key_taken_meanwhile_is_updated_not_duplicated(
    store: Store, tmp_path: Path, geocoder: OfflineGeocoder,
    monkeypatch: pytest.MonkeyPatch, copied: list[bool],
) -> None:
    """PostGIS: another writer (not a load: loads wait on the lock) stores a row under the
    new source's key while the first load is sending; the COPY is taken back and the rows
    are upserted instead. (SQLite's writers wait for the load's write lock.)"""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers wait for the load's write lock")
    rows = _rows(4500)
    path = _file(tmp_path / "plain.csv", rows)
    taken: list[int] = []

    def progress(_: int) -> None:
        if not taken:  # after the first block is sent: a key of the third
            with store.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO associations (source, source_id, name, category, lat, lon, "
                    "location_precision, status, is_demo, created_at, updated_at) VALUES "
                    "('csv:first', 'id-4400', 'Taken', 'other', 53.4, -2.3, 'exact', "
                    "'approved', false, now(), now())"))
            taken.append(1)

    report = _load(store, path, fast=True, monkeypatch=monkeypatch, geocoder=geocoder,
                   progress=progress)
    assert copied == [False]
    assert (report["inserted"], report["updated"]) == (4499, 1)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM associations")).scalar_one() == 4500
        assert conn.execute(text(
            "SELECT name FROM associations WHERE source_id = 'id-4400'")).scalar_one() \
            == rows[4400][1]


def test_blocks_read_as_the_record_reader_reads(tmp_path: Path) -> None:
    """The block reader gives the record reader's records: rows, values, warnings."""
    rows: list[list[object]] = _rows(4100)
    rows[7] = [*rows[7], "extra", "cells"]  # more cells than the header: a warning
    rows[8] = rows[8][:3]  # fewer: the rest missing
    rows[9] = ["", "", "", "", "", "", "", ""]  # blank: skipped, keeps its number
    rows[10] = ["  n/a ", " NA", "#N/A", "x", " y ", "", "1", "2"]
    path = _file(tmp_path / "odd.csv", rows)
    expected = read_file(path, "associations").records
    with open_records(path, "associations", format="csv") as result:
        assert result.blocks is not None
        got = [r for block in result.blocks(2000) for r in block.records()]
    assert got == expected
    assert len(got) == 4099
    assert any(r.warnings for r in got)
