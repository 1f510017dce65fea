"""The fast path of association rows (ingest/_fast_validate.py) gives what the general path gives.

A generated file mixes clean rows with every kind of bad or odd row (optional-field junk,
several URLs in one cell, swapped, (0, 0), non-numeric and out-of-area coordinates, missing
names, bad and unknown postcodes, duplicate ids within and across chunks, unicode,
formula-like cells, over-long text, missing categories and ids, extra columns). It is loaded
with the fast path on and off (``ingest.validate._FAST_PATH``) into two fresh stores of each
backend: the reports (every row's outcome, row number, field and message, every warning and
count) and the stored rows must be identical, on a first load, a re-load and a changed load.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

from _files import write_csv

import ingest.validate as validate_module
from geo.geocode import OfflineGeocoder
from geo.service_area import service_area_from_text
from ingest.pipeline import ingest_file
from ingest.readers import read_file
from ingest.validate import validate
from store import Store

if TYPE_CHECKING:
    import pytest

GB = service_area_from_text("GB")
HEADER = ["id", "name", "category", "description", "website", "postcode", "lat", "lon",
          "Opening times", "Email", "Notes"]


def _row(i: int, rng: random.Random) -> list[object]:  # noqa: PLR0912, PLR0915
    lat, lon = round(53.40 + rng.random() / 10, 6), round(-2.30 + rng.random() / 10, 6)
    row: list[object] = [f"x-{i}", f"Association {i}", "sport", "A club, open to all.",
                         f"https://example.org/a/{i}", "", lat, lon, "", "", ""]
    kind = i % 40
    if kind == 1:
        row[4] = "not known"
    elif kind == 2:
        row[4] = "https://a.example.org https://b.example.org"
    elif kind == 3:
        row[6], row[7] = lon, lat
    elif kind == 4:
        row[6], row[7] = 0, 0
    elif kind == 5:
        row[6], row[7] = "north", "west"
    elif kind == 6:
        row[1] = ""
    elif kind == 7:
        row[1] = "none"
    elif kind == 8:
        row[5] = "XX1 1XX"
    elif kind == 9:
        row[5], row[6], row[7] = "XX1 1XX", "", ""
    elif kind == 10:
        row[5], row[6], row[7] = "ZZ9 9ZZ", "", ""
    elif kind == 11:
        row[5], row[6], row[7] = "M1 1AE", "", ""
    elif kind == 12:
        row[0] = f"x-{i - 1}"  # duplicate id in the same chunk
    elif kind == 13:
        row[0] = "x-0"  # duplicate of the first row, from a later chunk too
    elif kind == 14:
        row[1], row[2] = f"Café Ünïcode 日本 {i} 🎉", "communauté"
    elif kind == 15:
        row[1], row[4] = f'=HYPERLINK("http://evil.example","{i}")', "=cmd|' /C calc'!A0"
    elif kind == 16:
        row[4] = f"www.example.org/b/{i}"
    elif kind == 17:
        row[4] = 'https://example.org/"quoted"'
    elif kind == 18:
        row[1] = "N" * 250
    elif kind == 19:
        row[2] = ""  # category inferred from the name
        row[1] = f"Hale Food Bank {i}"
    elif kind == 20:
        row[0] = ""  # id derived from the name and position
    elif kind == 21:
        row[7] = ""
    elif kind == 22:
        row[4] = "ftp://example.org"
    elif kind == 23:
        row[5] = "m1 1ae"
    elif kind == 24:
        row[6], row[7] = 40.7, -74.0
    elif kind == 25:
        row[1], row[4] = f"  Padded {i}  ", "https://example.org/a\u00a0b"
    elif kind == 26:
        row[2] = "unknown"
    elif kind == 27:
        row[3] = "D" * 6000
    elif kind == 28:
        row[8] = "Wednesday 10am - 4pm"
    elif kind == 29:
        row[9] = "info@example.org"
    elif kind == 30:
        row[6] = "53,48"
    elif kind == 31:
        row[0] = "   "
    elif kind == 32:
        row[2] = "C" * 61
    elif kind == 33:
        row[1], row[6], row[7] = "", "", ""
    elif kind == 34:
        row[4] = "https://example.org/" + "p" * 600
    elif kind == 35:
        row[5], row[6], row[7] = "M1", "", ""
    elif kind == 36:
        row[1], row[5], row[6] = "", "bad", "north"
    elif kind == 37:
        row[6], row[7] = "nan", "inf"
    elif kind == 38:
        row[0] = "I" * 201
    return row


def _file(path: Path, n: int, *, seed: int = 1, change: bool = False) -> Path:
    rng = random.Random(seed)  # noqa: S311 - test data
    rows = [_row(i, rng) for i in range(n)]
    if change:
        for row in rows[::7]:
            row[3] = "A changed description."
    return write_csv(path, HEADER, rows)


def _load(store: Store, path: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch,
          geocoder: OfflineGeocoder) -> dict[str, object]:
    monkeypatch.setattr(validate_module, "_FAST_PATH", fast)
    report = ingest_file(store, path, "associations", area=GB, geocoder=geocoder,
                         source="csv:mixed")
    return report.to_dict()


def _stored(store: Store) -> list[tuple[object, ...]]:
    """Every stored row in id order, without the id (a first load that gave way on PostGIS
    leaves a gap in the sequence) or the times."""
    with store.engine.connect() as conn:
        result = conn.exec_driver_sql("SELECT * FROM associations ORDER BY id")
        names = list(result.keys())
        keep = [i for i, c in enumerate(names) if c not in ("id", "created_at", "updated_at")]
        return [tuple(r[i] for i in keep) for r in result]


def test_fast_and_general_paths_load_alike(
    store: Store, other_store: Store, tmp_path: Path, geocoder: OfflineGeocoder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _file(tmp_path / "mixed.csv", 2600)
    changed = _file(tmp_path / "mixed2.csv", 2600, change=True)
    reports = []
    for path in (first, first, changed):
        fast = _load(store, path, fast=True, monkeypatch=monkeypatch, geocoder=geocoder)
        slow = _load(other_store, path, fast=False, monkeypatch=monkeypatch,
                     geocoder=geocoder)
        assert fast == slow
        assert _stored(store) == _stored(other_store)
        reports.append(fast)
    # the files exercise every outcome
    assert reports[0]["inserted"] > 1400
    assert reports[1]["unchanged"] == reports[0]["inserted"]
    assert fast["inserted"] == 0
    assert fast["updated"] > 200
    assert fast["unchanged"] > 1000
    assert fast["rejected_rows"] > 800
    assert len(fast["reasons"]) > 10


def test_fast_and_general_paths_validate_alike(
    tmp_path: Path, geocoder: OfflineGeocoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = read_file(_file(tmp_path / "mixed.csv", 1200, seed=2), "associations").records
    records[5].data["lat"] = 53.45  # a number, as an XLSX cell gives: the general path
    records[6].warnings.append("a reader's warning")
    results = {}
    for fast in (True, False):
        monkeypatch.setattr(validate_module, "_FAST_PATH", fast)
        results[fast] = validate(records, "associations", area=GB, geocoder=geocoder)
    assert results[True] == results[False]
    valid, rejected = results[True]
    assert len(valid) > 500
    assert len(rejected) > 300


def test_the_fast_path_decides_many_rows_of_the_mixed_file(
    tmp_path: Path, geocoder: OfflineGeocoder
) -> None:
    """The comparisons above are not vacuous: the fast path decides many rows, both ways."""
    from ingest._fast_validate import FastAssociations

    records = read_file(_file(tmp_path / "mixed.csv", 1200, seed=3), "associations").records
    fast = FastAssociations(GB, validate_module._memo_geocoder(geocoder), max_text=5000,
                            checker=validate_module._Checker,
                            valid_record=validate_module.ValidRecord)
    first_row: dict[str, int] = {}
    done = [fast.check(r, first_row) for r in records]
    assert sum(isinstance(d, validate_module.ValidRecord) for d in done) > 300
    assert sum(isinstance(d, list) for d in done) > 300
    assert sum(d is None for d in done) > 300  # the odd rows go to the general path
