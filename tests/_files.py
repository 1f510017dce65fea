"""Small files the ingest tests write: one CSV writer for every test module."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def write_csv(path: Path, header: list[str], rows: list[list[object]], *,
              encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """``header`` then ``rows`` as a CSV file at ``path`` (returned)."""
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path
