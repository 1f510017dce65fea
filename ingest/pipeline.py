"""One ingest run: read -> validate -> geocode -> resolve references -> dedupe -> upsert.

Everything a run writes happens in one transaction: a crash, a bad reference or Ctrl-C leaves
the store as it was. A dry run does all the same work, including the upsert, so its counts are
exact, and then rolls back. Every input row ends as inserted, updated, unchanged or rejected
with its row number, field and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from ingest.readers import read_file
from ingest.records import IngestError
from ingest.validate import validate
from store.refs import column_names
from store.refs import known_source_ids
from store.refs import positions
from store.refs import record_ingest_run
from store.refs import resolve_refs
from store.refs import same_name_nearby
from store.refs import table_name
from store.refs import upsert_records

if TYPE_CHECKING:
    from collections.abc import Callable

    from geo.service_area import ServiceArea
    from ingest.records import Kind
    from store import Store

_VALIDATE_CHUNK = 1000
_ANALYZE_AFTER = 5000  # inserted rows after which PostGIS statistics are refreshed
NAME_FIELD = {"meetings": "name", "associations": "name", "opportunities": "title"}


@dataclass
class IngestReport:
    """What happened to every row of one run (the JSON of ``--report``/``--json``)."""

    source: str
    kind: str
    format: str
    file: str
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    run_id: int | None = None

    @property
    def rejected_rows(self) -> int:
        """How many distinct rows were rejected (a row may have several reasons)."""
        return len({r["row"] for r in self.rejected})

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: source, total, inserted, updated, unchanged, rejected, warnings."""
        return asdict(self)

    def write(self, path: Path) -> None:
        """Write the report as JSON (``.json``) or CSV of rejected rows (``.csv``)."""
        path = Path(path)
        if path.suffix.lower() == ".csv":
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=["row", "id", "field", "reason"])
                writer.writeheader()
                for r in self.rejected:
                    writer.writerow({k: r.get(k) for k in ("row", "id", "field", "reason")})
        elif path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2, default=str), encoding="utf-8")
        else:
            msg = f"report file {str(path)!r} must end in .json or .csv"
            raise IngestError(msg)


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


class _DryRunDone(Exception):  # noqa: N818 - control flow, never escapes
    """Raised inside the transaction to roll a dry run back."""


def _attach_association(
    session: Any, store_source: str, valid: list[Any], rejected: list[dict[str, Any]],
    report: IngestReport,
) -> list[Any]:
    """Give each opportunity its ``association_id``; create associations the file describes."""
    refs = [v.refs.get("association") for v in valid]
    found = resolve_refs(session, "associations", [r for r in refs if r], source=store_source)
    embedded: dict[str, dict[str, Any]] = {}
    for v, ref in zip(valid, refs, strict=True):
        name = v.refs.get("association_name")
        if ref and ref not in found and name and ref not in embedded:
            embedded[ref] = {
                "source": store_source, "source_id": str(ref), "name": str(name)[:200],
                "category": str(v.refs.get("association_category") or "other")[:60],
                "website": v.refs.get("association_website"),
                "lat": v.values.get("lat"), "lon": v.values.get("lon"),
                "location_precision": v.values.get("location_precision", "exact"),
            }
    if embedded:
        outcomes = upsert_records(session, "associations", list(embedded.values()))
        found.update({ref: pk for ref, (_, pk) in zip(embedded, outcomes, strict=True)})
        report.warnings.append(
            f"{len(embedded)} association(s) created or updated from the opportunities file")
    where = positions(session, "associations", [found[r] for r in refs if r in found])
    kept = []
    for v, ref in zip(valid, refs, strict=True):
        if ref and ref in found:
            v.values["association_id"] = found[ref]
            lat, lon, precision, postcode = where.get(found[ref], (None, None, "exact", None))
            if v.values.get("lat") is None and lat is not None:
                # An opportunity without a place of its own is at its association.
                v.values.update(lat=lat, lon=lon, location_precision=precision)
                if not v.values.get("postcode"):
                    v.values["postcode"] = postcode
            kept.append(v)
        else:
            rejected.append({
                "row": v.row, "id": v.values.get("source_id"), "field": "association",
                "reason": f"association {ref!r} not found: ingest associations first, or "
                          "give association_name so it can be created",
            })
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
        report.warnings.append(
            f"peer organisation(s) not found, meetings kept without one: {missing[:10]}")


def _dedupe_by_name(session: Any, kind: str, store_source: str, valid: list[Any]) -> None:
    """Fallback duplicate rule: same normalised name within 50 m -> that stored record."""
    known = known_source_ids(session, kind, [str(v.values["source_id"]) for v in valid],
                             source=store_source)
    todo = [v for v in valid if str(v.values["source_id"]) not in known]
    name_field = NAME_FIELD[kind]
    hits = same_name_nearby(
        session, kind,
        [(str(v.values.get(name_field, "")), v.values.get("lat"), v.values.get("lon"))
         for v in todo],
    )
    for v, hit in zip(todo, hits, strict=True):
        if hit is not None:
            v.values["source"], v.values["source_id"] = hit
            v.warnings.append(f"same name within 50 m as stored record {hit[0]}:{hit[1]}")


def _unique_rows(kind: str, valid: list[Any], rejected: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """Column rows of the valid records; a second row on one stored record is rejected.

    Two rows of one file can fall on one record: the same id, or the same name within 50 m.
    """
    columns = column_names(kind)
    seen: dict[tuple[Any, Any], int] = {}
    rows = []
    for v in valid:
        row = {k: val for k, val in v.values.items() if k in columns}
        key = (row["source"], row["source_id"])
        if key in seen:
            rejected.append({"row": v.row, "id": row["source_id"], "field": "source_id",
                             "reason": f"duplicate of row {seen[key]} "
                                       "(same id, or same name within 50 m)"})
            continue
        seen[key] = v.row
        rows.append(row)
    return rows


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
        Called with the number of records just validated (for a progress bar).
    on_read
        Called once with the number of records read.

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
    result = read_file(path, kind, format=fmt, id_column=id_column)
    if on_read is not None:
        on_read(len(result.records))
    store_source = source or f"{result.format}:{path.stem}"
    report = IngestReport(source=store_source, kind=kind, format=result.format,
                          file=path.name, dry_run=dry_run)
    report.warnings.extend(result.warnings)
    report.total = len(result.records) + len({e["row"] for e in result.errors})
    rejected: list[dict[str, Any]] = list(result.errors)

    valid: list[Any] = []
    records = result.records
    for start in range(0, len(records), _VALIDATE_CHUNK):
        chunk = records[start:start + _VALIDATE_CHUNK]
        ok, invalid = validate(chunk, kind, area=area, geocoder=geocoder,
                               interest_lookup=interest_lookup)
        valid.extend(ok)
        rejected.extend(invalid)
        if progress is not None:
            progress(len(chunk))
    try:
        with store.session() as session:
            for v in valid:
                v.values["source"] = store_source
            if kind == "opportunities":
                valid = _attach_association(session, store_source, valid, rejected, report)
            elif kind == "meetings":
                _attach_organisation(session, store_source, valid, report)
            _dedupe_by_name(session, kind, store_source, valid)
            report.warnings.extend(f"row {v.row}: {w}" for v in valid for w in v.warnings)
            unique_rows = _unique_rows(kind, valid, rejected)
            outcomes = upsert_records(session, kind, unique_rows)
            if sum(o == "inserted" for o, _ in outcomes) >= _ANALYZE_AFTER:
                store.analyze(session, table_name(kind))
            for outcome, _ in outcomes:
                setattr(report, outcome, getattr(report, outcome) + 1)
            report.rejected = sorted(rejected, key=lambda r: (r["row"], str(r.get("field"))))
            if dry_run:
                raise _DryRunDone
            report.run_id = record_ingest_run(
                session, kind=kind, source=store_source, file_name=path.name,
                file_hash=file_sha256(path), started_at=started,
                finished_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), dry_run=False,
                total=report.total, inserted=report.inserted, updated=report.updated,
                unchanged=report.unchanged, rejected_count=report.rejected_rows,
                rejected=report.rejected[:10_000], warnings=report.warnings[:1_000],
            )
    except _DryRunDone:
        pass
    return report
