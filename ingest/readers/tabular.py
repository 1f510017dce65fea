"""CSV and XLSX tables -> canonical records, with the column aliases every reader shares.

Reading
-------
- CSV: UTF-8 with or without a byte-order mark; UTF-16 with a BOM (Excel's "Unicode text");
  otherwise Windows-1252 (cp1252) when the file is not valid UTF-8, said in the result's
  warnings. The delimiter (comma, semicolon or tab) is sniffed from the header line. The file
  is streamed through :mod:`csv` (tens of MB read in seconds).
- XLSX: the first worksheet (openpyxl, read-only). Dates and times become ISO text
  (``"2025-03-01"``, ``"18:30"``) so that every reader hands validation the same kinds of
  values; numbers stay numbers.
- Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2. Blank
  rows are skipped (and keep their numbers); so are blank lines before the header.
- Cell values are stripped; ``""``, ``"NA"``, ``"N/A"`` and ``"#N/A"`` (any case) become
  ``None``. Everything else stays as found: validation coerces.

Outcomes for awkward files: an empty file (nothing but blank lines) and a file that is not
text (NUL bytes, undecodable) raise :class:`~ingest.records.IngestError`; a header with
no known column at all raises too (it names the columns found and the names expected); a
header without data rows gives no records and a warning; unknown columns give one warning,
``"unknown columns ignored: [...]"``; a row the CSV parser cannot read goes to
``ReadResult.errors``.

Column aliases
--------------
Header names are compared after :func:`~ingest.readers._common.normalise_key` (lower case,
runs of spaces, ``_``, ``-``, ``.`` and ``/`` made one ``_``), so ``"Postal Code"``,
``"postal-code"`` and ``"POSTAL_CODE"`` are one name. For each canonical field the first of its
aliases present in the header wins; one column may feed two fields (a charity number is both
the ``charity_number`` and, failing an id column, the ``source_id``). ``id_column`` names the
``source_id`` column outright.

================  ============================================================================
field             aliases (in order of preference)
================  ============================================================================
*every kind*
source_id         source_id, id, ref, reference, identifier, uid, osm_id,
                  registered_charity_number, charity_number
lat               lat, latitude, y
lon               lon, lng, long, longitude, x
postcode          postcode, post_code, postal_code, zip, zipcode, zip_code,
                  charity_contact_postcode
address           address, full_address, formatted_address, street_address, address_line,
                  charity_contact_address; also location (associations, opportunities)
location_prec.    location_precision, precision
(BNG)             easting / northing (British National Grid metres; converted to lat/lon
                  with a record warning when the file has no lat/lon columns)
*meetings*
name              name, meeting, meeting_name, title
weekdays          weekdays, weekday, days, day
start_time        start_time, time, start, starts_at
end_time          end_time, end, ends_at
venue             venue, location, location_name, building, place
attendance        attendance, attendance_option
conference_url    conference_url, online_url, meeting_url, zoom_url, video_url
accessibility     accessibility, access
notes             notes, note, comments
active            active, is_active
organisation      organisation, organization, group, group_name, organisation_name,
                  organization_name
region            region, area, district
types             types, type, meeting_types
*associations*
name              name, charity_name, organisation, organization, organisation_name,
                  organization_name, association, association_name, title
category          category, type, kind, sector
description       description, charity_activities, activities, about, summary, details
website           website, web, url, homepage, web_site, charity_contact_web
contact_email     contact_email, email, e_mail, email_address, charity_contact_email
contact_phone     contact_phone, phone, telephone, tel, phone_number, charity_contact_phone
charity_number    charity_number, registered_charity_number, charity_no, charity_reg_number,
                  charity_registration_number
status            status
*opportunities*
title             title, opportunity, opportunity_title, role, name
description       description, activities, about, details, summary
interests         interests, tags, categories, category, causes, cause
skills            skills, skill
weekdays, times   as for meetings (weekdays, start_time, end_time)
flexible          flexible, is_flexible
commitment        commitment, time_commitment, hours
accessibility     accessibility, access
capacity          capacity, places, spaces, volunteers_needed, number_of_places
status            status
starts_on         starts_on, start_date, date_from
ends_on           ends_on, end_date, date_to, closing_date
association       association, association_id, association_source_id, organisation_id,
                  organization_id, organisation, organization
association_name  association_name, organisation_name, organization_name
association_cat.  association_category, organisation_category, organization_category
association_web.  association_website, organisation_website, organization_website, website,
                  url
================  ============================================================================
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING
from typing import Any

from ingest.readers._common import LONGEST_MISSING
from ingest.readers._common import MISSING_TEXTS
from ingest.readers._common import clean
from ingest.readers._common import normalise_key
from ingest.readers._common import row_error
from ingest.readers._coords import bng_records_to_lonlat
from ingest.records import FIELDS
from ingest.records import IngestError
from ingest.records import RawBlock
from ingest.records import RawRecord
from ingest.records import ReadResult

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import IO

    from ingest.records import Kind

_SCHEDULE = {
    "weekdays": ("weekdays", "weekday", "days", "day"),
    "start_time": ("start_time", "time", "start", "starts_at"),
    "end_time": ("end_time", "end", "ends_at"),
    "accessibility": ("accessibility", "access"),
}
_COMMON: dict[str, tuple[str, ...]] = {
    "source_id": ("source_id", "id", "ref", "reference", "identifier", "uid", "osm_id",
                  "registered_charity_number", "charity_number"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "postcode": ("postcode", "post_code", "postal_code", "zip", "zipcode", "zip_code",
                 "charity_contact_postcode"),
    "address": ("address", "full_address", "formatted_address", "street_address",
                "address_line", "charity_contact_address"),
    "location_precision": ("location_precision", "precision"),
    "_easting": ("easting", "eastings", "bng_e"),
    "_northing": ("northing", "northings", "bng_n"),
}

#: Canonical field -> header aliases, per kind (see the module docstring).
ALIASES: dict[Kind, dict[str, tuple[str, ...]]] = {
    "meetings": _COMMON | _SCHEDULE | {
        "name": ("name", "meeting", "meeting_name", "title"),
        "venue": ("venue", "location", "location_name", "building", "place"),
        "attendance": ("attendance", "attendance_option"),
        "conference_url": ("conference_url", "online_url", "meeting_url", "zoom_url",
                           "video_url"),
        "notes": ("notes", "note", "comments"),
        "active": ("active", "is_active"),
        "organisation": ("organisation", "organization", "group", "group_name",
                         "organisation_name", "organization_name"),
        "region": ("region", "area", "district"),
        "types": ("types", "type", "meeting_types"),
    },
    "associations": _COMMON | {
        "address": (*_COMMON["address"], "location"),
        "name": ("name", "charity_name", "organisation", "organization", "organisation_name",
                 "organization_name", "association", "association_name", "title"),
        "category": ("category", "type", "kind", "sector"),
        "description": ("description", "charity_activities", "activities", "about", "summary",
                        "details"),
        "website": ("website", "web", "url", "homepage", "web_site", "charity_contact_web"),
        "contact_email": ("contact_email", "email", "e_mail", "email_address",
                          "charity_contact_email"),
        "contact_phone": ("contact_phone", "phone", "telephone", "tel", "phone_number",
                          "charity_contact_phone"),
        "charity_number": ("charity_number", "registered_charity_number", "charity_no",
                           "charity_reg_number", "charity_registration_number"),
        "status": ("status",),
        "contact": ("contact", "contact_details", "contact_info", "contact_information",
                    "contacts"),
        "opening_times": ("opening_times", "opening_hours", "opening", "hours", "open",
                          "when_open", "times"),
    },
    "opportunities": _COMMON | _SCHEDULE | {
        "address": (*_COMMON["address"], "location"),
        "title": ("title", "opportunity", "opportunity_title", "role", "name"),
        "description": ("description", "activities", "about", "details", "summary"),
        "interests": ("interests", "tags", "categories", "category", "causes", "cause"),
        "skills": ("skills", "skill"),
        "flexible": ("flexible", "is_flexible"),
        "commitment": ("commitment", "time_commitment", "hours"),
        "capacity": ("capacity", "places", "spaces", "volunteers_needed", "number_of_places"),
        "status": ("status",),
        "starts_on": ("starts_on", "start_date", "date_from"),
        "ends_on": ("ends_on", "end_date", "date_to", "closing_date"),
        "association": ("association", "association_id", "association_source_id",
                        "organisation_id", "organization_id", "organisation", "organization"),
        "association_name": ("association_name", "organisation_name", "organization_name"),
        "association_category": ("association_category", "organisation_category",
                                 "organization_category"),
        "association_postcode": ("association_postcode", "organisation_postcode",
                                 "organization_postcode"),
        "association_website": ("association_website", "organisation_website",
                                "organization_website", "website", "url"),
    },
}

_DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 20


@dataclass
class ColumnMap:
    """Which column feeds which canonical field, and the columns nobody uses."""

    fields: dict[str, int]
    unknown: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """The file-level warning about unknown columns, if any."""
        return [f"unknown columns ignored: {self.unknown!r}"] if self.unknown else []


def map_columns(
    header: list[Any], kind: Kind, *, id_column: str | None = None, max_len: int | None = None,
) -> ColumnMap:
    """Match header names to canonical fields through :data:`ALIASES`.

    Parameters
    ----------
    header
        Column names as found.
    kind
        The entity kind, which picks the alias table.
    id_column
        A column that holds ``source_id`` whatever the aliases say.
    max_len
        Compare aliases cut to this length too (shapefile field names stop at 10).

    Returns
    -------
    ColumnMap
        Field -> column index, and the names of unused columns.

    Raises
    ------
    IngestError
        When ``id_column`` is not in the header.
    """
    keys = [normalise_key(name) for name in header]
    index: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key:
            index.setdefault(key, i)
    fields: dict[str, int] = {}
    for name, aliases in ALIASES[kind].items():
        for alias in aliases:
            found = index.get(alias)
            if found is None and max_len:
                found = index.get(alias[:max_len])
            if found is not None:
                fields[name] = found
                break
    if id_column is not None:
        wanted = normalise_key(id_column)
        if wanted not in index:
            msg = (f"id_column {id_column!r} is not a column of this file; "
                   f"columns are {[str(h) for h in header]!r}")
            raise IngestError(msg)
        fields["source_id"] = index[wanted]
    used = set(fields.values())
    unknown = [
        str(name) if keys[i] else f"column {i + 1} (no name)"
        for i, name in enumerate(header)
        if i not in used
    ]
    return ColumnMap(fields, unknown)


@dataclass
class Table:
    """A header and a stream of ``(row number, cells)``; rows the parser fails go to errors."""

    header: list[Any]
    rows: Iterator[tuple[int, list[Any]]]
    warnings: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def open_table(path: Path, fmt: str = "csv") -> Iterator[Table]:
    """Open a CSV (``fmt="csv"``) or XLSX (``fmt="xlsx"``) file as a :class:`Table`.

    Raises
    ------
    IngestError
        Empty, binary or undecodable file, no header row, unreadable workbook.
    """
    if fmt == "xlsx":
        with _open_xlsx(path) as table:
            yield table
        return
    encoding, note = _sniff_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        first_line = handle.readline()
        handle.seek(0)
        delimiter = sniff_delimiter(first_line)
        errors: list[dict[str, Any]] = []
        rows = _csv_rows(handle, delimiter, errors)
        header = _header(path, rows)
        yield Table(header, rows, [note] if note else [], errors)


def _header(path: Path, rows: Iterator[tuple[int, list[Any]]]) -> list[Any]:
    first = next(rows, None)
    if first is None:
        msg = f"{path.name!r} is empty: expected a header row and data rows"
        raise IngestError(msg)
    return ["" if cell is None else str(cell).strip() for cell in first[1]]


def _sniff_encoding(path: Path) -> tuple[str, str | None]:
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except FileNotFoundError:
        msg = f"file {str(path)!r} does not exist"
        raise IngestError(msg) from None
    except OSError as exc:
        msg = f"cannot read {str(path)!r}: {exc.strerror}"
        raise IngestError(msg) from None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not _decodes(path, "utf-16"):
            _not_text(path, "broken UTF-16")
        return "utf-16", None
    if not head.removeprefix(codecs.BOM_UTF8).strip():
        msg = f"{path.name!r} is empty: expected a header row and data rows"
        raise IngestError(msg)
    if b"\x00" in head:
        _not_text(path, "NUL bytes")
    encoding = "utf-8-sig"
    note = None
    if not _decodes(path, encoding):
        encoding = "cp1252"
        if not _decodes(path, encoding):
            _not_text(path, "neither UTF-8 nor Windows-1252")
        note = (f"{path.name!r} is not valid UTF-8: read as Windows-1252 (cp1252); "
                "save it as UTF-8 to be sure of accents")
    text = head.decode(encoding, errors="replace")
    controls = sum(map(text.count, _CONTROLS))
    if controls > max(2, len(text) // 100):
        _not_text(path, "control characters")
    return encoding, note


#: Control characters a text table does not hold (tab, line breaks and form feed aside).
_CONTROLS = tuple(chr(i) for i in range(32) if chr(i) not in "\t\r\n\f")


def _not_text(path: Path, why: str) -> Any:
    msg = f"{path.name!r} is not a text table ({why}): expected CSV text or an .xlsx workbook"
    raise IngestError(msg)


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(line: str) -> str:
    """Comma, semicolon or tab: whichever occurs most often outside quotes in ``line``."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(
    handle: IO[str], delimiter: str, errors: list[dict[str, Any]]
) -> Iterator[tuple[int, list[Any]]]:
    reader = csv.reader(handle, delimiter=delimiter)
    row = 0
    while True:
        try:
            for cells in reader:  # the reader goes on after an unreadable row
                row += 1
                if "".join(cells).strip():  # not a blank row
                    yield row, cells
        except csv.Error as exc:
            row += 1
            errors.append(row_error(row, f"unreadable CSV row: {exc}"))
            continue
        return


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook  # noqa: PLC0415 - only XLSX needs it (slow import)

    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except FileNotFoundError:
            msg = f"file {str(path)!r} does not exist"
            raise IngestError(msg) from None
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            msg = f"{path.name!r} is not a readable .xlsx workbook: {exc}"
            raise IngestError(msg) from None
    notes.extend(f"workbook: {w.message}" for w in caught)
    try:
        sheets = book.worksheets
        if not sheets:
            msg = f"{path.name!r} is empty: the workbook has no worksheet"
            raise IngestError(msg)
        if len(sheets) > 1:
            notes.append(f"read the first sheet {sheets[0].title!r} only; "
                         f"other sheets ignored: {[s.title for s in sheets[1:]]!r}")
        rows = _xlsx_rows(sheets[0].iter_rows(values_only=True))
        header = _header(path, rows)
        yield Table(header, rows, notes)
    finally:
        book.close()


def _xlsx_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, list[Any]]]:
    for number, values in enumerate(rows, start=1):
        cells = [_xlsx_value(v) for v in values]
        if any(clean(cell) is not None for cell in cells):
            yield number, cells


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return value


_STREAM_CHUNK = 5_000


@contextmanager
def stream_table(
    path: Path, kind: Kind, *, fmt: str = "csv", id_column: str | None = None
) -> Iterator[ReadResult]:
    """Open a CSV or XLSX table of ``kind`` records as a stream (bounded memory).

    The result's ``records`` is an iterator that reads the file as it is consumed, in
    chunks of 5,000 rows (British National Grid columns converted per chunk); ``errors`` and
    ``warnings`` grow while it is read, so look at them after the records.

    Raises
    ------
    IngestError
        When the whole file is unreadable (see the module docstring).
    """
    with open_table(path, fmt) as table:
        columns = map_columns(table.header, kind, id_column=id_column)
        if not set(columns.fields) - {"_easting", "_northing"}:
            expected = sorted({a for aliases in ALIASES[kind].values() for a in aliases[:2]})
            msg = (f"{path.name!r}: no column is known for {kind}: found {table.header!r}; "
                   f"expected names such as {expected!r}")
            raise IngestError(msg)
        result = ReadResult([], fmt, [*table.warnings, *columns.warnings()], table.errors)
        result.records = _records(path, table, columns, kind, result)  # type: ignore[assignment]
        if fmt == "csv" and columns.fields.keys() <= set(FIELDS[kind]):
            result.blocks = partial(_blocks, path, table, columns, result)
        yield result


def _records(path: Path, table: Table, columns: ColumnMap, kind: Kind,
             result: ReadResult) -> Iterator[RawRecord]:
    width = len(table.header)
    items = list(columns.fields.items())
    allowed = set(FIELDS[kind])
    # no helper columns (British National Grid): nothing to convert or drop per record
    plain = columns.fields.keys() <= allowed
    chunk: list[RawRecord] = []
    count = 0
    for row, cells in table.rows:
        n = len(cells)
        data = {}
        for name, i in items:
            value = cells[i] if i < n else None
            if type(value) is str:  # clean(), inline: CSV cells are all text
                value = value.strip()
                if len(value) <= LONGEST_MISSING and value.lower() in MISSING_TEXTS:
                    value = None
            elif value is not None:
                value = clean(value)
            data[name] = value
        record = RawRecord(row, data)
        if n > width and any(clean(c) is not None for c in cells[width:]):
            record.warnings.append(
                f"row has {n} cells but the header has {width}: extra cells ignored")
        chunk.append(record)
        if len(chunk) >= _STREAM_CHUNK:
            count += len(chunk)
            yield from chunk if plain else _finalised(chunk, allowed)
            chunk = []
    count += len(chunk)
    yield from chunk if plain else _finalised(chunk, allowed)
    if not count:
        result.warnings.append(f"{path.name!r} has a header but no data rows")


def _clean_cells(cells: tuple[Any, ...]) -> list[Any]:
    """One column of a block, cleaned as :func:`_records` cleans each cell."""
    longest, missing = LONGEST_MISSING, MISSING_TEXTS
    if set(map(type, cells)) == {str}:  # a CSV column: text in every row
        return [None if len(value) <= longest and value.lower() in missing else value
                for value in map(str.strip, cells)]
    out = []
    for value in cells:  # as _records: text stripped and read for missing, the rest clean()ed
        if type(value) is str:
            value = value.strip()  # noqa: PLW2901
            if len(value) <= longest and value.lower() in missing:
                value = None  # noqa: PLW2901
        elif value is not None:
            value = clean(value)  # noqa: PLW2901
        out.append(value)
    return out


def _blocks(path: Path, table: Table, columns: ColumnMap, result: ReadResult,
            size: int) -> Iterator[RawBlock]:
    """The records of a plain table (no helper columns) as blocks of ``size`` rows.

    The same records as :func:`_records`, in the same order, with the same warnings: a
    block's cells are transposed into columns at once (``zip``) and cleaned column by column.
    """
    width = len(table.header)
    items = list(columns.fields.items())
    rows = iter(table.rows)
    count = 0
    while batch := list(islice(rows, size)):
        numbers = [row for row, _ in batch]
        cells = [row_cells for _, row_cells in batch]
        warnings: dict[int, list[str]] = {}
        for i, row_cells in enumerate(cells):
            n = len(row_cells)
            if n == width:
                continue
            if n > width and any(clean(c) is not None for c in row_cells[width:]):
                warnings[i] = [f"row has {n} cells but the header has {width}: extra cells "
                               "ignored"]
            cells[i] = row_cells[:width] if n > width else [*row_cells, *[None] * (width - n)]
        by_column = list(zip(*cells, strict=True))
        yield RawBlock(numbers, {name: _clean_cells(by_column[i]) for name, i in items},
                       warnings)
        count += len(batch)
    if not count:
        result.warnings.append(f"{path.name!r} has a header but no data rows")


def _finalised(records: list[RawRecord], allowed: set[str]) -> list[RawRecord]:
    bng_records_to_lonlat(records)
    for record in records:
        if not record.data.keys() <= allowed:
            for key in [k for k in record.data if k not in allowed]:
                del record.data[key]
    return records


def read_table(
    path: Path, kind: Kind, *, fmt: str = "csv", id_column: str | None = None
) -> ReadResult:
    """Read a CSV or XLSX table of ``kind`` records (all at once; see :func:`stream_table`).

    Parameters
    ----------
    path
        The file.
    kind
        ``"meetings"``, ``"associations"`` or ``"opportunities"``: picks the aliases.
    fmt
        ``"csv"`` or ``"xlsx"``.
    id_column
        The column that holds ``source_id`` (overrides the aliases).

    Returns
    -------
    ReadResult
        One record per non-blank data row, numbered as spreadsheet rows.

    Raises
    ------
    IngestError
        When the whole file is unreadable (see the module docstring).
    """
    with stream_table(path, kind, fmt=fmt, id_column=id_column) as result:
        result.records = list(result.records)
    return result


def finalise_records(result: ReadResult, kind: Kind) -> None:
    """Convert British National Grid columns and drop helper keys, in place."""
    bng_records_to_lonlat(result.records)
    allowed = set(FIELDS[kind])
    for record in result.records:
        for key in [k for k in record.data if k not in allowed]:
            del record.data[key]
