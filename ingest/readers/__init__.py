"""Readers: one source file -> canonical raw records (:mod:`ingest.records`).

:func:`read_file` is the one entry point; :func:`detect_format` says which reader it would
use. Each reader returns a :class:`~ingest.records.ReadResult`: the records with their row
numbers and raw values under canonical field names, file-level warnings, and the rows it
could not read (``errors``). A reader never stops at a bad row; it raises
:class:`~ingest.records.IngestError` only when the whole file is unreadable, and the message
names the file and what is wrong.

=================  ===================================================  =====================
format             what                                                 kinds
=================  ===================================================  =====================
``csv``            CSV table (:mod:`.tabular`)                           all
``xlsx``           Excel workbook, first sheet (:mod:`.tabular`)         all
``geojson``        GeoJSON FeatureCollection (:mod:`.geo_files`)         all
``gpkg``           GeoPackage, first layer (:mod:`.geo_files`)           all
``shp``            Shapefile, or a zip holding one (:mod:`.geo_files`)   all
``meeting-guide``  Meeting Guide JSON feed (:mod:`.meeting_guide`)       meetings
``tsml-csv``       12 Step Meeting List CSV (:mod:`.tsml`)               meetings
``hsds``           Open Referral HSDS / ORUK JSON or CSV folder          associations,
                   (:mod:`.hsds`)                                        opportunities
``vds``            UK Volunteering Data Standard JSON-LD (:mod:`.vds`)   opportunities,
                                                                         associations
=================  ===================================================  =====================

Detection (:func:`detect_format`) looks at the extension, then at the content: a ``.csv``
whose header has the TSML columns (Day, Time, Name and two more such as Location, Types,
Region, Slug) is ``tsml-csv``; a JSON document is GeoJSON (``"type": "FeatureCollection"``),
VDS (an ``@context`` naming volunteeringdata), a Meeting Guide feed (items with ``slug`` or
``day`` and ``time``) or HSDS (organization/service/service_at_location objects); a folder
holding ``organizations.csv`` or ``services.csv`` is HSDS; a ``.zip`` holding a ``.shp`` is a
Shapefile.
"""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from ingest.readers._common import load_json
from ingest.readers._common import normalise_key
from ingest.readers.geo_files import read_geojson
from ingest.readers.geo_files import read_gis
from ingest.readers.hsds import looks_like_hsds
from ingest.readers.hsds import read_hsds
from ingest.readers.meeting_guide import read_meeting_guide
from ingest.readers.tabular import read_table
from ingest.readers.tabular import sniff_delimiter
from ingest.readers.tabular import stream_table
from ingest.readers.tsml import looks_like_tsml
from ingest.readers.tsml import read_tsml
from ingest.readers.vds import mentions_vds
from ingest.readers.vds import read_vds
from ingest.records import KINDS
from ingest.records import IngestError
from ingest.records import Kind
from ingest.records import ReadResult

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator

__all__ = ["FORMATS", "detect_format", "open_records", "read_file"]

_READERS: dict[str, Callable[..., ReadResult]] = {
    "csv": partial(read_table, fmt="csv"),
    "xlsx": partial(read_table, fmt="xlsx"),
    "geojson": read_geojson,
    "gpkg": partial(read_gis, fmt="gpkg"),
    "shp": partial(read_gis, fmt="shp"),
    "meeting-guide": read_meeting_guide,
    "tsml-csv": read_tsml,
    "hsds": read_hsds,
    "vds": read_vds,
}
FORMATS = ("csv", "xlsx", "geojson", "gpkg", "shp", "meeting-guide", "tsml-csv", "hsds", "vds")
_TEXT_TABLES = (".csv", ".tsv", ".txt")
_BY_SUFFIX = {".xlsx": "xlsx", ".xlsm": "xlsx", ".gpkg": "gpkg", ".shp": "shp"}
_JSON = (".json", ".geojson", ".jsonld")


def _unknown(path: Path, why: str) -> IngestError:
    return IngestError(
        f"cannot tell the format of {path.name!r}: {why}; known formats are "
        f"{', '.join(FORMATS)}: name one with --format (format= in Python)"
    )


def detect_format(path: Path) -> str:
    """The reader format for ``path``, from its extension and a look at its content.

    Parameters
    ----------
    path
        A file, or a folder (HSDS CSV layout).

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    IngestError
        When the file is missing or nothing recognisable, with the list of formats.
    """
    path = Path(path)
    if path.is_dir():
        return _folder_format(path)
    if not path.exists():
        msg = f"file {str(path)!r} does not exist"
        raise IngestError(msg)
    suffix = path.suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if suffix in _TEXT_TABLES:
        return "tsml-csv" if looks_like_tsml(_peek_header(path)) else "csv"
    if suffix == ".xls":
        msg = f"{path.name!r} is an old Excel .xls workbook: save it as .xlsx or CSV"
        raise IngestError(msg)
    if suffix in _JSON:
        return _json_format(path)
    return _content_format(path, suffix)


def _folder_format(path: Path) -> str:
    names = {p.name.lower() for p in path.iterdir()}
    if names & {"organizations.csv", "services.csv"}:
        return "hsds"
    msg = "it is a folder without organizations.csv or services.csv (HSDS CSV layout)"
    raise _unknown(path, msg)


def _content_format(path: Path, suffix: str) -> str:
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if head.startswith(b"PK"):
        return _zip_format(path)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return _json_format(path)
    raise _unknown(path, f"the extension {suffix!r} is not one this reads")


def _peek_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        head = handle.read(65536)
    text = head.decode("utf-8-sig", errors="replace")
    line = text.splitlines()[0] if text.strip() else ""
    return next(csv.reader(io.StringIO(line), delimiter=sniff_delimiter(line)), [])


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n.lower() for n in archive.namelist()]
    except zipfile.BadZipFile:
        raise _unknown(path, "it is not a readable zip archive") from None
    if "[content_types].xml" in names:
        return "xlsx"
    if any(n.endswith(".shp") for n in names):
        return "shp"
    raise _unknown(path, "the zip archive holds no .shp file")


def _json_format(path: Path) -> str:
    doc = load_json(path)
    if isinstance(doc, dict):
        if doc.get("type") in ("FeatureCollection", "Feature"):
            return "geojson"
        if mentions_vds(doc.get("@context")):
            return "vds"
        if isinstance(doc.get("meetings"), list):
            return "meeting-guide"
        if isinstance(doc.get("contents"), list):
            doc = doc["contents"]
    sample: list[Any] = doc[:50] if isinstance(doc, list) else [doc]
    sample = [item for item in sample if isinstance(item, dict)]
    if any(mentions_vds(item.get("@context")) for item in sample):
        return "vds"
    meetings = sum(1 for item in sample if "slug" in item or {"day", "time"} <= item.keys())
    if sample and meetings * 2 >= len(sample):
        return "meeting-guide"
    if any(looks_like_hsds(item) for item in sample):
        return "hsds"
    if not sample:
        raise _unknown(path, "the JSON document holds no objects")
    keys = sorted({normalise_key(k) for item in sample[:5] for k in item})[:15]
    raise _unknown(path, f"JSON with keys {keys!r} is none of GeoJSON, Meeting Guide, HSDS, VDS")


def _resolve_format(path: Path, kind: Kind, format: str | None) -> str:
    if kind not in KINDS:
        msg = f"kind {kind!r} is not one of {', '.join(KINDS)}"
        raise IngestError(msg)
    if format is None:
        fmt = detect_format(path)
        if fmt == "tsml-csv" and kind != "meetings":
            fmt = "csv"  # a meetings-like table of other records: plain aliases
        return fmt
    if format in FORMATS:
        return format
    msg = f"format {format!r} is not one of {', '.join(FORMATS)}"
    raise IngestError(msg)


@contextlib.contextmanager
def open_records(
    path: Path, kind: Kind, *, format: str | None = None, id_column: str | None = None,
) -> Iterator[ReadResult]:
    """Like :func:`read_file`, but ``records`` is an iterator read as it is consumed.

    CSV and XLSX tables stream (bounded memory: see
    :func:`ingest.readers.tabular.stream_table`); the other formats are documents read
    whole. ``errors`` and ``warnings`` are complete once ``records`` is exhausted.
    """
    path = Path(path)
    fmt = _resolve_format(path, kind, format)
    if fmt in ("csv", "xlsx"):
        with stream_table(path, kind, fmt=fmt, id_column=id_column) as result:
            yield result
        return
    result = _READERS[fmt](path, kind, id_column=id_column)
    result.records = iter(result.records)  # type: ignore[assignment]
    yield result


def read_file(
    path: Path,
    kind: Kind,
    *,
    format: str | None = None,
    id_column: str | None = None,
) -> ReadResult:
    """Read one source file as canonical raw records of ``kind``.

    Parameters
    ----------
    path
        The file (or, for HSDS tabular data, the folder of CSV files).
    kind
        ``"meetings"``, ``"associations"`` or ``"opportunities"``.
    format
        One of :data:`FORMATS`; detected by :func:`detect_format` when omitted.
    id_column
        The column holding ``source_id`` (tables and GIS files).

    Returns
    -------
    ReadResult
        The records, the format used, file-level warnings and unreadable rows.

    Raises
    ------
    IngestError
        Unknown kind or format, a format that cannot hold ``kind``, or a file that cannot be
        read at all.
    """
    path = Path(path)
    fmt = _resolve_format(path, kind, format)
    return _READERS[fmt](path, kind, id_column=id_column)
