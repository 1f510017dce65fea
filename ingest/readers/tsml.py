"""12 Step Meeting List (TSML) CSV import/export layout -> canonical meeting records.

The layout is the plugin's ``template.csv`` (and the Google Sheet template of the Meeting
Guide spec): a header row of plain-language versions of the Meeting Guide keys -- ``Time``,
``End Time``, ``Day``, ``Name``, ``Location``, ``Address``, ``City``, ``State``,
``Postal Code``, ``Country``, ``Region``, ``Sub Region``, ``Types``, ``Notes``,
``Location Notes``, ``Group``, ``Conference URL``, ``Conference Phone``, ``Slug`` (or ``ID``),
``Latitude``, ``Longitude``, ``Attendance Option``, ... -- in any order. Like the plugin, a
header is compared in lower case with spaces as underscores (``Postal Code`` ->
``postal_code``), then each row is mapped exactly as a Meeting Guide item
(:func:`ingest.readers.meeting_guide.meeting_from_item`). Differences from the JSON feed:

- ``Day`` is a day name (``Monday``), or several separated by commas; ``Time`` is often
  12-hour text (``6:00 PM``), kept as found.
- ``Types`` holds English type names separated by commas (``Open, Wheelchair Access``),
  turned into codes (``O``, ``X``); unknown names are kept as written.
- ``ID`` stands for ``Slug`` when there is no ``Slug`` column; ``Lat``/``Lng``/``Lon`` and
  ``Zip``/``Postcode`` are accepted for ``Latitude``/``Longitude`` and ``Postal Code``.

The file is read by :func:`ingest.readers.tabular.open_table` (encodings, delimiters, row
numbers: the header is row 1). Columns the layout has but meetings here do not use (website,
email, contacts, venmo, ...) are named once in an ``"unknown columns ignored"`` warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from ingest.readers._common import check_kind
from ingest.readers._common import clean
from ingest.readers._common import normalise_key
from ingest.readers._common import split_text_list
from ingest.readers._types import type_code
from ingest.readers.meeting_guide import USED_KEYS
from ingest.readers.meeting_guide import meeting_from_item
from ingest.readers.tabular import open_table
from ingest.records import IngestError
from ingest.records import RawRecord
from ingest.records import ReadResult

if TYPE_CHECKING:
    from pathlib import Path

    from ingest.records import Kind

#: Columns that mark a header as the TSML layout (besides Day, Time and Name).
TSML_MARKERS = frozenset((
    "end_time", "location", "types", "region", "sub_region", "slug", "group", "location_notes",
    "conference_url", "conference_phone", "district", "postal_code", "city", "state",
    "timezone", "group_notes", "venmo", "last_contact", "updated", "formatted_address",
))
_MIN_MARKERS = 2
_SYNONYMS = {
    "lat": "latitude", "lng": "longitude", "lon": "longitude", "long": "longitude",
    "zip": "postal_code", "zip_code": "postal_code", "postcode": "postal_code",
    "post_code": "postal_code", "start_time": "time",
}


def looks_like_tsml(header: list[Any]) -> bool:
    """Whether a CSV header is the TSML layout: Day, Time, Name and two more of its columns."""
    keys = {normalise_key(h) for h in header}
    return {"day", "time", "name"} <= keys and len(keys & TSML_MARKERS) >= _MIN_MARKERS


def read_tsml(path: Path, kind: Kind, *, id_column: str | None = None) -> ReadResult:
    """Read a TSML CSV of meetings.

    Parameters
    ----------
    path
        The ``.csv`` file.
    kind
        Must be ``"meetings"``.
    id_column
        The column that holds the id, instead of ``Slug``/``ID``.

    Returns
    -------
    ReadResult
        One record per non-blank data row.

    Raises
    ------
    IngestError
        As :func:`ingest.readers.tabular.open_table`, or when ``id_column`` is not a column.
    """
    check_kind(kind, "tsml-csv", ("meetings",))
    with open_table(path, "csv") as table:
        keys = [normalise_key(h) for h in table.header]
        keys = [_SYNONYMS.get(k, k) if _SYNONYMS.get(k) not in keys else k for k in keys]
        if "slug" not in keys and "id" in keys:
            keys[keys.index("id")] = "slug"
        if id_column is not None:
            wanted = normalise_key(id_column)
            found = [i for i, h in enumerate(table.header) if normalise_key(h) == wanted]
            if not found:
                msg = (f"id_column {id_column!r} is not a column of {path.name!r}; "
                       f"columns are {table.header!r}")
                raise IngestError(msg)
            keys = ["" if k == "slug" else k for k in keys]
            keys[found[0]] = "slug"
        used = [(i, k) for i, k in enumerate(keys) if k in USED_KEYS]
        taken = {i for i, _ in used}
        unknown = [str(h) for i, h in enumerate(table.header) if i not in taken and h]
        result = ReadResult([], "tsml-csv", list(table.warnings), table.errors)
        if unknown:
            result.warnings.append(f"unknown columns ignored: {unknown!r}")
        for row, cells in table.rows:
            if not any(clean(c) is not None for c in cells):
                continue
            item = {k: cells[i] for i, k in used if i < len(cells)}
            item["types"] = [type_code(t) for t in split_text_list(item.get("types"))]
            data, notes = meeting_from_item(item)
            result.records.append(RawRecord(row, data, notes))
    if not result.records:
        result.warnings.append(f"{path.name!r} has a header but no meetings")
    return result
