"""The report of one ingest run, bounded in memory whatever the size of the file.

It keeps the first :data:`KEPT` rejected problems and warnings in full, and counts every
problem by reason (the reason with its quoted values and numbers blanked, so 200,000 rows
with ``lat 'north' is not a number`` make one line with a count). The full list of problems
can stream to a separate CSV file (``--rejected FILE``) as the run goes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import IO
from typing import Any

from ingest.records import IngestError
from ingest.safe_csv import SafeDictWriter

KEPT = 1000
"""Rejected problems, warnings and merges kept in full in a report."""
REPORT_SUFFIXES = (".json", ".csv")
_PROBLEM_FIELDS = ["row", "id", "field", "reason"]
_QUOTED = re.compile(r"'[^']*'")
_DOUBLE_QUOTED = re.compile(r'"[^"]*"')
_CURLY_QUOTED = re.compile(r"“[^”]*”")  # values as domain.labels.shown gives them
_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


def reason_key(problem: dict[str, Any]) -> str:
    """``field: reason`` with quoted values and numbers blanked, to count alike problems.

    Examples
    --------
    >>> reason_key({"field": "lat", "reason": "lat 'north' is not a number: give 53.48"})
    "lat: lat '…' is not a number: give …"
    >>> reason_key({"field": "lat", "reason": "Latitude “north” is not a number."})
    'lat: Latitude “…” is not a number.'
    """
    reason = _CURLY_QUOTED.sub("“…”", str(problem.get("reason")))
    reason = _QUOTED.sub("'…'", reason)
    if '"' in reason:
        reason = _DOUBLE_QUOTED.sub('"…"', reason)
    return f"{problem.get('field')}: {_NUMBERS.sub('…', reason)}"


def check_output_path(path: Path | None, option: str, *,
                      suffixes: tuple[str, ...] = REPORT_SUFFIXES) -> None:
    """Raise :class:`IngestError` unless ``path`` can be written (before anything is read).

    The suffix must be one of ``suffixes``, the folder must exist and be writable, and the
    path must not be a folder.
    """
    if path is None:
        return
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        msg = f"{option} {str(path)!r} must end in {' or '.join(suffixes)}"
        raise IngestError(msg)
    if path.is_dir():
        msg = f"{option} {str(path)!r} is a folder: give a file name"
        raise IngestError(msg)
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        msg = f"{option} {str(path)!r}: the folder {str(folder)!r} does not exist; create it"
        raise IngestError(msg)
    probe = path if path.exists() else folder
    import os  # noqa: PLC0415 - only for the access check

    if not os.access(probe, os.W_OK):
        msg = f"{option} {str(path)!r} cannot be written (permission denied)"
        raise IngestError(msg)


@dataclass
class IngestReport:
    """What happened to every row of one run (the JSON of ``--report``/``--json``).

    ``rejected`` holds the first :data:`KEPT` problems in full; ``rejected_count`` counts
    them all and ``reasons`` counts them by kind of reason; ``rejected_rows`` counts the
    rows. ``merged`` lists records matched to an existing one by name and position, with the
    evidence.
    """

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
    merged: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    run_id: int | None = None
    rejected_count: int = 0
    warnings_count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    _rows: set[int] = field(default_factory=set, repr=False)
    _sink: Any = field(default=None, repr=False)

    @property
    def rejected_rows(self) -> int:
        """How many distinct rows were rejected (a row may have several reasons)."""
        return len(self._rows)

    def reject(self, problem: dict[str, Any]) -> None:
        """Count one problem of one row; keep it in full while fewer than KEPT are kept."""
        self.rejected_count += 1
        row = problem.get("row")
        self._rows.add(row if row is not None else ("id", problem.get("id")))
        self.reasons[reason_key(problem)] += 1
        if len(self.rejected) < KEPT:
            self.rejected.append(problem)
        if self._sink is not None:
            self._sink.writerow({k: problem.get(k) for k in _PROBLEM_FIELDS})

    def warn(self, text: str) -> None:
        """Count one warning; keep it while fewer than KEPT are kept."""
        self.warnings_count += 1
        if len(self.warnings) < KEPT:
            self.warnings.append(text)

    def merge(self, entry: dict[str, Any]) -> None:
        """Record a match of a row to a stored record, with its evidence."""
        if len(self.merged) < KEPT:
            self.merged.append(entry)

    def stream_rejected_to(self, fh: IO[str]) -> None:
        """Write every problem, not only the first KEPT, to ``fh`` as CSV from now on."""
        self._sink = SafeDictWriter(fh, fieldnames=_PROBLEM_FIELDS)
        self._sink.writeheader()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: source, total, inserted, updated, unchanged, rejected, warnings..."""
        return {
            "source": self.source, "kind": self.kind, "format": self.format, "file": self.file,
            "total": self.total, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged, "rejected_rows": self.rejected_rows,
            "rejected_count": self.rejected_count, "rejected": self.rejected,
            "rejected_kept": len(self.rejected),
            "reasons": dict(self.reasons.most_common()), "warnings": self.warnings,
            "warnings_count": self.warnings_count, "merged": self.merged,
            "dry_run": self.dry_run, "run_id": self.run_id,
        }

    def write(self, path: Path) -> None:
        """Write the report as JSON (``.json``) or CSV of rejected rows (``.csv``)."""
        path = Path(path)
        check_output_path(path, "report file")
        if path.suffix.lower() == ".csv":
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = SafeDictWriter(fh, fieldnames=_PROBLEM_FIELDS)
                writer.writeheader()
                writer.writerows({k: r.get(k) for k in _PROBLEM_FIELDS} for r in self.rejected)
        else:
            path.write_text(json.dumps(self.to_dict(), indent=2, default=str), encoding="utf-8")
