"""One ingest run: read -> validate -> geocode -> resolve references -> dedupe -> upsert.

Everything a run writes happens in one transaction: a crash, a bad reference or Ctrl-C leaves
the store as it was. A dry run does all the same work, including the upsert, so its counts are
exact, and then rolls back. Every input row ends as inserted, updated, unchanged or rejected
with its row number, field and reason.

Bounded memory: the file is read and validated in chunks (CSV and XLSX stream), the valid
records past the first 20,000 are spooled to a temporary file, and the report keeps the first
1,000 problems in full plus counts per reason. Geocoding happens before the write transaction
opens, so the store is locked only while the records are written: on SQLite one writer at a time
(``BEGIN IMMEDIATE``, waiting up to the busy timeout), on PostGIS loads of one kind serialise
on an advisory lock. A record matched to a stored one by name and position is reported in
``merged`` with the evidence, and a less precise position never replaces a more precise one
unless ``overwrite_locations``.

A first load on PostGIS (a CSV of associations from a new source, nothing of the kind stored
to match by name) is written while it is read instead: its lock is taken first and each
checked block goes into one ``COPY`` at once (:class:`ingest._first_load.FirstLoad`), with
the outcome :func:`_write` would give; it gives way to :func:`_write` when it cannot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from ingest._first_load import DryRunDone
from ingest._first_load import FirstLoad
from ingest._first_load import WouldGeocode
from ingest._first_load import finish_load
from ingest.readers import open_records
from ingest.records import IngestError
from ingest.report import IngestReport
from ingest.validate import ValidBlock
from ingest.validate import ValidRecord
from ingest.validate import plain_rows_checked
from ingest.validate import validate
from ingest.validate import validate_block
from store.refs import NameIndex
from store.refs import by_name_and_postcode
from store.refs import column_names
from store.refs import has_source
from store.refs import known_source_ids
from store.refs import lock_for_load
from store.refs import positions
from store.refs import resolve_refs
from store.refs import upsert_records

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator
    from typing import IO

    from geo.service_area import ServiceArea
    from ingest.records import Kind
    from ingest.records import RawBlock
    from ingest.records import RawRecord
    from store import Store

__all__ = ["IngestReport", "file_sha256", "ingest_file"]

_VALIDATE_CHUNK = 2000
_IN_MEMORY = 20_000  # valid records kept in memory before the rest is spooled to disk
NAME_FIELD = {"meetings": "name", "associations": "name", "opportunities": "title"}
#: How far apart two records of the same name may be and still be one thing, by the
#: coarser of the two precisions; coarser than a postcode never merges by name.
MERGE_WITHIN_M = {"exact": 50.0, "postcode": 250.0}


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file (or of a folder's files, by name), read in blocks."""
    digest = hashlib.sha256()
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode())
        with file.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _squash(postcode: Any) -> str:
    return "".join(str(postcode or "").split()).upper()


def _by_postcode(matches: list[tuple[int, Any]], postcode: Any) -> int | None:
    """The one stored record among same-named ``matches`` at ``postcode`` (or its district)."""
    wanted = _squash(postcode)
    if not wanted:
        return None
    exact = [rid for rid, pc in matches if _squash(pc) == wanted]
    if len(exact) == 1:
        return exact[0]
    district = [rid for rid, pc in matches if pc and str(pc).split()[0].upper() ==
                str(postcode).split()[0].upper()]
    return district[0] if len(district) == 1 and not exact else None


def _attach_association(
    session: Any, store_source: str, valid: list[Any], report: IngestReport,
) -> list[Any]:
    """Give each opportunity its ``association_id``; create associations the file describes.

    An association is named by its id (source id), or by its name; when several stored
    associations share the name, the row's ``association_postcode`` (else its own postcode)
    picks one.
    """
    refs = [v.refs.get("association") for v in valid]
    found = resolve_refs(session, "associations", [r for r in refs if r], source=store_source)
    shared = by_name_and_postcode(session, "associations",
                                  [r for r in refs if r and r not in found])
    ids: list[int | None] = []
    for v, ref in zip(valid, refs, strict=True):
        rid = found.get(ref) if ref else None
        matches = shared.get(str(ref).lower(), []) if ref and rid is None else []
        if len(matches) > 1:
            rid = _by_postcode(matches, v.refs.get("association_postcode")
                               or v.values.get("postcode"))
        ids.append(rid)
    embedded: dict[str, dict[str, Any]] = {}
    for v, ref, rid in zip(valid, refs, ids, strict=True):
        name = v.refs.get("association_name")
        if ref and rid is None and name and ref not in embedded \
                and len(shared.get(str(ref).lower(), [])) < 2:  # noqa: PLR2004
            embedded[ref] = {
                "source": store_source, "source_id": str(ref), "name": str(name)[:200],
                "category": str(v.refs.get("association_category") or "other")[:60],
                "website": v.refs.get("association_website"),
                "lat": v.values.get("lat"), "lon": v.values.get("lon"),
                "location_precision": v.values.get("location_precision", "exact"),
            }
    if embedded:
        outcomes = upsert_records(session, "associations", list(embedded.values()))
        created = {ref: pk for ref, (_, pk) in zip(embedded, outcomes, strict=True)}
        ids = [created.get(ref, rid) if rid is None else rid
               for ref, rid in zip(refs, ids, strict=True)]
        report.warn(
            f"{len(embedded)} association(s) created or updated from the opportunities file")
    where = positions(session, "associations", [i for i in ids if i is not None])
    kept = []
    for v, ref, rid in zip(valid, refs, ids, strict=True):
        if rid is not None:
            v.values["association_id"] = rid
            lat, lon, precision, postcode = where.get(rid, (None, None, "exact", None))
            if v.values.get("lat") is None and lat is not None:
                # An opportunity without a place of its own is at its association.
                v.values.update(lat=lat, lon=lon, location_precision=precision)
                if not v.values.get("postcode"):
                    v.values["postcode"] = postcode
            kept.append(v)
            continue
        matches = shared.get(str(ref).lower(), []) if ref else []
        if len(matches) > 1:
            postcodes = ", ".join(sorted({str(pc) for _, pc in matches if pc}))
            reason = (f"association {ref!r} names {len(matches)} associations (postcodes "
                      f"{postcodes or 'none'}): give association_postcode to say which, or "
                      "the association's id")
        else:
            reason = (f"association {ref!r} not found: ingest associations first, or give "
                      "association_name so it can be created")
        report.reject({"row": v.row, "id": v.values.get("source_id"), "field": "association",
                       "reason": reason})
    return kept


def _attach_organisation(session: Any, store_source: str, valid: list[Any],
                         report: IngestReport) -> None:
    refs = [v.refs.get("organisation") for v in valid]
    found = resolve_refs(session, "organisations", [r for r in refs if r], source=store_source)
    missing = sorted({str(r) for r in refs if r and r not in found})
    for v, ref in zip(valid, refs, strict=True):
        if ref and ref in found:
            v.values["organisation_id"] = found[ref]
    if missing:
        report.warn(
            f"peer organisation(s) not found, meetings kept without one: {missing[:10]}")


def _dedupe_by_name(session: Any, kind: str, store_source: str, valid: list[Any], *,
                    names: NameIndex, report: IngestReport) -> None:
    """Fallback duplicate rule: the same normalised name close by -> that stored record.

    Close by is 50 m between exact positions, 250 m when one is a postcode centroid; never
    for coarser positions. Each match is reported in ``merged`` with its evidence.
    """
    if not names:  # nothing stored with a position (a first load): nothing to match
        return
    ids = [str(v.values["source_id"]) for v in valid]
    known = known_source_ids(session, kind, ids, source=store_source)
    name_field = NAME_FIELD[kind]
    for v in valid:
        lat, lon = v.values.get("lat"), v.values.get("lon")
        if str(v.values["source_id"]) in known or lat is None or lon is None:
            continue
        mine = v.values.get("location_precision", "exact")
        within = MERGE_WITHIN_M.get(mine)
        if within is None:
            continue
        name = str(v.values.get(name_field, ""))
        hit = names.find(name, lat, lon, within_m=max(MERGE_WITHIN_M.values()))
        if hit is None:
            continue
        source, sid, metres, theirs = hit
        limit = max(within, MERGE_WITHIN_M.get(theirs, 0.0)) if theirs in MERGE_WITHIN_M \
            else 0.0
        if metres > limit:
            continue
        evidence = (f"same name {name!r} {metres:.0f} m away ({mine} position here, "
                    f"{theirs} stored)")
        report.merge({"row": v.row, "id": v.values["source_id"],
                      "record": f"{source}:{sid}", "evidence": evidence})
        v.values["source"], v.values["source_id"] = source, sid
        v.warnings.append(f"same name within {limit:.0f} m as stored record {source}:{sid}: "
                          f"{evidence}")


def _unique_rows(kind: str, valid: list[Any], report: IngestReport,
                 seen: dict[tuple[Any, Any], int]) -> list[dict[str, Any]]:
    """Column rows of the valid records; a second row on one stored record is rejected.

    Two rows of one file can fall on one record: the same id, or the same name close by.
    ``seen`` spans the whole file.
    """
    columns = column_names(kind)
    rows = []
    for v in valid:
        values = v.values
        row = values if values.keys() <= columns else \
            {k: val for k, val in values.items() if k in columns}
        key = (row["source"], row["source_id"])
        if key in seen:
            report.reject({"row": v.row, "id": row["source_id"], "field": "source_id",
                           "reason": f"duplicate of row {seen[key]} "
                                     "(same id, or same name close by)"})
            continue
        seen[key] = v.row
        rows.append(row)
    return rows


class _Spool:
    """The valid records of a run, in order: the first ``in_memory`` kept, the rest pickled.

    A file of ordinary size never touches the disk; a large one stays within bounded memory.
    A chunk is a list of :class:`ValidRecord`, or a :class:`ValidBlock` of plain rows with
    the chunk's other valid records.
    """

    def __init__(self, file: IO[bytes], in_memory: int | None = None) -> None:
        self._file = file
        self._room = _IN_MEMORY if in_memory is None else in_memory
        self._kept: list[Any] = []
        self._spooled = False
        self.count = 0

    def add(self, records: list[ValidRecord], block: ValidBlock | None = None) -> None:
        """Keep one chunk's valid records (``block``: its plain rows, as columns)."""
        size = len(records) + (len(block) if block is not None else 0)
        self.count += size
        item: Any = records if block is None else (block, records)
        if not self._spooled and size <= self._room:
            self._kept.append(item)
            self._room -= size
            return
        self._spooled = True  # from here on every chunk goes to the file, in order
        # plain tuples: pickled and loaded several times faster than objects
        plain = [(v.row, v.values, v.refs, v.warnings) for v in records]
        pickle.dump(plain if block is None else (block.rows, block.columns, plain),
                    self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def _items(self) -> Iterator[Any]:
        yield from self._kept
        self._kept = []  # read once, by the write
        if not self._spooled:
            return
        self._file.seek(0)
        while True:
            try:
                item = pickle.load(self._file)  # noqa: S301 - our own temporary file
            except EOFError:
                return
            if type(item) is tuple:
                rows, columns, plain = item
                yield ValidBlock(rows, columns), [ValidRecord(*fields) for fields in plain]
            else:
                yield [ValidRecord(*fields) for fields in item]

    def chunks(self) -> Iterator[list[ValidRecord]]:
        """Every chunk as records, in input order."""
        for item in self._items():
            if type(item) is tuple:
                block, records = item
                yield block.with_records(records)
            else:
                yield item


def _chunks(records: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ingest_file(
    store: Store,
    path: Path,
    kind: Kind,
    *,
    area: ServiceArea,
    geocoder: Any,
    fmt: str | None = None,
    source: str | None = None,
    dry_run: bool = False,
    interest_lookup: Callable[[str], str | None] | None = None,
    id_column: str | None = None,
    progress: Callable[[int], None] | None = None,
    on_read: Callable[[int], None] | None = None,
    overwrite_locations: bool = False,
    rejected_to: IO[str] | None = None,
) -> IngestReport:
    """Load one file of meetings, associations or opportunities into the store.

    Parameters
    ----------
    store
        Where to write.
    path
        The file.
    kind
        ``"meetings"``, ``"associations"`` or ``"opportunities"``.
    area
        Service area: positions outside it are rejected.
    geocoder
        Geocoder for rows without coordinates (geopy interface).
    fmt
        Reader format; detected from the file when ``None``.
    source
        Name of the source, part of each record's key; default ``"<format>:<file stem>"``.
    dry_run
        Do everything, report, then roll back.
    interest_lookup
        Maps free interest words (or VDS URIs) to taxonomy slugs.
    id_column
        Column that holds each record's id, for tabular files.
    progress
        Called with the number of records just validated, then just written (a progress
        bar of twice the records).
    on_read
        Called once with the (estimated) number of records, before any is read.
    overwrite_locations
        Let a less precise position (a postcode centroid, a district) replace a more
        precise stored one; by default the stored one is kept, with a warning.
    rejected_to
        A text file to stream every problem to as CSV (the report keeps the first 1,000).

    Returns
    -------
    IngestReport
        Counts, rejected rows with reasons, warnings.

    Raises
    ------
    IngestError
        When the file as a whole cannot be read; nothing is written.
    """
    path = Path(path)
    if not path.exists():
        msg = f"file {str(path)!r} does not exist"
        raise IngestError(msg)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with tempfile.TemporaryFile() as spool_file, \
            open_records(path, kind, format=fmt, id_column=id_column) as result:
        store_source = source or f"{result.format}:{path.stem}"
        report = IngestReport(source=store_source, kind=kind, format=result.format,
                              file=path.name, dry_run=dry_run)
        spool = _Spool(spool_file)
        if rejected_to is not None:
            report.stream_rejected_to(rejected_to)
        if on_read is not None:
            on_read(_estimate(path, result))
        # plain rows checked a block at a time (the row-by-row path otherwise: tests compare)
        blocks = result.blocks(_VALIDATE_CHUNK) if result.blocks is not None \
            and kind == "associations" and plain_rows_checked() else None
        run = {"file_name": path.name, "started_at": started}
        first = FirstLoad.begin(store, kind, report.source, progress) \
            if blocks is not None else None
        try:
            check = {"kind": kind, "area": area, "geocoder": geocoder,
                     "interest_lookup": interest_lookup, "progress": progress}
            if blocks is not None:
                read, first = _check_blocks(blocks, first, spool, report, **check)
            else:
                read = _check_records(result.records, spool, report, **check)
            for problem in result.errors:
                report.reject(problem)
            for warning in result.warnings:
                report.warn(warning)
            report.total = read + len({e["row"] for e in result.errors})
            run["file_hash"] = file_sha256(path)
            if first is None or not first.finish(store, report, spool.count, run):
                _write(store, kind, spool, report, overwrite_locations=overwrite_locations,
                       progress=progress, run=run)
        finally:
            if first is not None:
                first.abandon()
    report.rejected.sort(key=lambda r: (r["row"] or 0, str(r.get("field"))))
    return report


def _check_blocks(blocks: Iterator[RawBlock], first: FirstLoad | None, spool: _Spool,
                  report: IngestReport, *, kind: Kind, area: ServiceArea, geocoder: Any,
                  interest_lookup: Callable[[str], str | None] | None,
                  progress: Callable[[int], None] | None) -> tuple[int, FirstLoad | None]:
    """Validate a table's blocks into the spool, and send each to ``first`` while it lasts.

    Returns the records read and the first load (``None`` once it gave way).
    """
    read = 0
    check = {"area": area, "interest_lookup": interest_lookup}
    for block in blocks:
        read += len(block)
        done = None
        if first is not None:
            try:
                done = validate_block(block, kind, geocoder=first.geocoder(geocoder), **check)
            except WouldGeocode:  # a remote geocoder is not asked while the lock is held
                first.abandon()
                first = None
        if done is None:
            done = validate_block(block, kind, geocoder=geocoder, **check)
        plain, ok, invalid = done
        for problem in invalid:
            report.reject(problem)
        if ok or plain:
            spool.add(ok, plain or None)
        if first is not None and not first.write(plain, ok):
            first.abandon()
            first = None
        if progress is not None:
            progress(len(block))
    return read, first


def _check_records(records: Iterator[RawRecord], spool: _Spool, report: IngestReport, *,
                   kind: Kind, area: ServiceArea, geocoder: Any,
                   interest_lookup: Callable[[str], str | None] | None,
                   progress: Callable[[int], None] | None) -> int:
    """Validate records, a chunk at a time, into the spool; the records read."""
    read = 0
    for chunk in _chunks(records, _VALIDATE_CHUNK):
        read += len(chunk)
        ok, invalid = validate(chunk, kind, area=area, geocoder=geocoder,
                               interest_lookup=interest_lookup)
        for problem in invalid:
            report.reject(problem)
        if ok:
            spool.add(ok)
        if progress is not None:
            progress(len(chunk))
    return read


def _estimate(path: Path, result: Any) -> int:
    """Records in the file: exact for documents, lines for text tables (fast, close)."""
    if result.format != "csv":
        return operator.length_hint(result.records)
    lines = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def _write(store: Store, kind: str, spool: _Spool, report: IngestReport, *,
           overwrite_locations: bool, progress: Callable[[int], None] | None,
           run: dict[str, Any]) -> None:
    """Write the spooled records in one transaction (rolled back for a dry run)."""
    kept: list[tuple[Any, ...]] = []
    seen: dict[tuple[Any, Any], int] = {}
    try:
        with store.session() as session:
            lock_for_load(session, ["associations", kind] if kind == "opportunities"
                          else [kind])
            names = NameIndex(session, kind)
            # nothing stored under this source yet: its rows (unique by _unique_rows) are new
            fresh = () if has_source(session, kind, report.source) else (report.source,)
            for spooled in spool.chunks():
                valid = spooled
                for v in valid:
                    v.values["source"] = report.source
                if kind == "opportunities":
                    valid = _attach_association(session, report.source, valid, report)
                elif kind == "meetings":
                    _attach_organisation(session, report.source, valid, report)
                _dedupe_by_name(session, kind, report.source, valid, names=names,
                                report=report)
                for v in valid:
                    for w in v.warnings:
                        report.warn(f"row {v.row}: {w}")
                rows = _unique_rows(kind, valid, report, seen)
                outcomes = upsert_records(session, kind, rows, kept=kept, fresh=fresh,
                                          keep_precise_locations=not overwrite_locations)
                for outcome, _ in outcomes:
                    setattr(report, outcome, getattr(report, outcome) + 1)
                if progress is not None:
                    progress(len(valid))
            for source, sid in kept[:1000]:
                report.warn(f"{source}:{sid}: kept the stored, more precise position (give "
                            "--overwrite-locations to replace it)")
            finish_load(store, session, kind, report, run)
    except DryRunDone:
        pass
