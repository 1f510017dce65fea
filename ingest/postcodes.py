"""``ingest postcodes``: a postcode table in, checked, with the contract of every ingest.

Layouts are recognised by their header (:func:`geo.postcode_table.postcode_layout`): the ONS
Postcode Directory / NSPL, OS Code-Point Open, the doogal.co.uk exports and plain
``postcode`` + ``lat``/``lon`` tables. A table is refused, and nothing written, when

- its header is that of a list of places (``name``, ``address``, ``website``, ...),
- most of its rows are not well-formed postcodes (more than :data:`MAX_MALFORMED`),
- more than :data:`MAX_OUTSIDE` of its points fall outside the service area (the UK unless
  ``--service-area`` says otherwise; the points inside are kept otherwise, the others are
  rejected rows),
- it would move more than :data:`MAX_MOVED` of the stored centroids it touches by more
  than :data:`MOVE_M` metres, unless ``replace=True`` (``--replace``).

Like the other kinds: ``dry_run`` writes nothing at all, the report has the same shape
(``inserted``/``updated``/``unchanged``/``rejected``), and rows of the same source that the
new file no longer has are removed.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from geo.distance import haversine_km
from geo.postcode_table import INACTIVE
from geo.postcode_table import PostcodeTable
from geo.postcode_table import postcode_layout
from geo.service_area import service_area_from_text
from ingest.records import IngestError
from ingest.report import IngestReport
from store.postcodes import replace_postcodes
from store.postcodes import stored_postcodes

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO

    from geo.service_area import ServiceArea
    from store import Store

MAX_MALFORMED = 0.5
MAX_OUTSIDE = 0.1
MAX_MOVED = 0.05
MOVE_M = 25.0


def _inside(area: ServiceArea, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    ok = (lat >= area.south) & (lat <= area.north) & (lon >= area.west) & (lon <= area.east)
    if area.polygon is not None and ok.any():
        ok[ok] = shapely.intersects_xy(area.polygon, lon[ok], lat[ok])
    return ok


def read_postcode_file(path: Path) -> tuple[str, PostcodeTable]:
    """The layout and the table of a postcode file, or an :class:`IngestError` saying why not."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = next(csv.reader(fh), None)
        if first is None:
            msg = f"postcode table {path.name!r} is empty"
            raise IngestError(msg)
        layout = postcode_layout(first)
        table = PostcodeTable.from_csv(path)
    except UnicodeDecodeError as exc:
        msg = f"postcode table {path.name!r} is not UTF-8 text ({exc.reason})"
        raise IngestError(msg) from None
    except ValueError as exc:
        msg = f"postcode table {path.name!r}: {exc}"
        raise IngestError(msg) from None
    except OSError as exc:
        msg = f"cannot read {str(path)!r}: {exc.strerror}"
        raise IngestError(msg) from None
    return layout, table


def ingest_postcodes(
    store: Store, path: Path, *, source: str | None = None, dry_run: bool = False,
    replace: bool = False, area: ServiceArea | None = None,
    progress: Callable[[int], None] | None = None, on_read: Callable[[int], None] | None = None,
    rejected_to: IO[str] | None = None,
) -> IngestReport:
    """Check a postcode table and load it (unless ``dry_run``); see the module docstring.

    Raises
    ------
    IngestError
        When the table is refused; nothing is written.
    """
    path = Path(path)
    area = area or service_area_from_text("UK")
    layout, table = read_postcode_file(path)
    source = source or f"postcodes:{path.stem}"
    report = IngestReport(source=source, kind="postcodes", format=layout, file=path.name,
                          dry_run=dry_run)
    if rejected_to is not None:
        report.stream_rejected_to(rejected_to)
    rows: list[tuple[str, str, float, float]] = [
        (p, "postcode", a, b) for p, a, b in table.full_rows()]
    rows += [(d, "district", float(a), float(b)) for d, (a, b) in table.given_districts()]
    reasons = table.skip_reasons
    malformed = reasons.get("not a postcode", 0)
    report.total = len(rows) + table.skipped
    if report.total and malformed / report.total > MAX_MALFORMED:
        msg = (f"postcode table {path.name!r}: {malformed} of {report.total} rows are not "
               "well-formed UK postcodes; is this a postcode table?")
        raise IngestError(msg)
    if not rows:
        msg = (f"no postcodes found in {path.name!r}: expected ONSPD, Code-Point Open, "
               "postcode,lat,lon or a districts table")
        raise IngestError(msg)
    if on_read is not None:
        on_read(len(rows))
    lat = np.array([r[2] for r in rows])
    lon = np.array([r[3] for r in rows])
    inside = _inside(area, lat, lon)
    outside = int((~inside).sum())
    if outside / len(rows) > MAX_OUTSIDE:
        msg = (f"postcode table {path.name!r}: {outside} of {len(rows)} points fall outside "
               f"{area.describe()}: are latitude and longitude swapped, or is it another "
               "grid?")
        raise IngestError(msg)
    for i in np.flatnonzero(~inside).tolist():
        report.reject({"row": None, "id": rows[i][0], "field": "lat,lon",
                       "reason": f"({rows[i][2]:.5f}, {rows[i][3]:.5f}) is outside "
                                 f"{area.describe()}"})
    for why, n in sorted(reasons.items()):
        if why != INACTIVE:
            report.reasons[f"skipped: {why}"] += n
            report.rejected_count += n
    if reasons.get(INACTIVE):
        report.warn(f"{reasons[INACTIVE]} inactive or non-geographic districts left out")
    rows = [r for r, ok in zip(rows, inside.tolist(), strict=True) if ok]
    changed = _compare(store, rows, report, source=source, replace=replace, path=path)
    if not dry_run:
        replace_postcodes(store, rows, source=source, changed=changed, progress=progress)
    elif progress is not None:
        progress(len(rows))
    return report


def _compare(store: Store, rows: list[tuple[str, str, float, float]], report: IngestReport,
             *, source: str, replace: bool, path: Path) -> list[str]:
    """Count inserted/updated/unchanged; refuse moving many stored centroids unless replace."""
    stored = stored_postcodes(store, [r[0] for r in rows])
    changed: list[str] = []
    old_ll: list[tuple[float, float]] = []
    new_ll: list[tuple[float, float]] = []
    moved_from: dict[str, int] = {}
    for pc, kind, a, b in rows:
        old = stored.get(pc)
        if old is None:
            report.inserted += 1
            continue
        if old[0] == kind and old[1] == a and old[2] == b and old[3] == source:
            report.unchanged += 1
            continue
        report.updated += 1
        changed.append(pc)
        old_ll.append((old[1], old[2]))
        new_ll.append((a, b))
        moved_from[old[3]] = moved_from.get(old[3], 0) + 1
    if stored and changed:
        o, n = np.array(old_ll), np.array(new_ll)
        moved = int((haversine_km(o[:, 0], o[:, 1], n[:, 0], n[:, 1]) * 1000 > MOVE_M).sum())
        if moved:
            report.warn(f"{moved} stored postcode centroids move by more than {MOVE_M:g} m")
        if moved / len(stored) > MAX_MOVED and not replace:
            sources = ", ".join(f"{s!r}" for s in sorted(moved_from))
            msg = (f"postcode table {path.name!r} would move {moved} of the {len(stored)} "
                   f"stored centroids it touches by more than {MOVE_M:g} m (loaded from "
                   f"{sources}): give --replace if it is meant to replace them")
            raise IngestError(msg)
    return changed

