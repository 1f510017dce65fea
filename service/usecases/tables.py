"""The hotspot dashboard's tables: columns, their formats on the page and in CSV.

One :class:`Table` holds the same rows for the page and for its CSV download; text cells
that a spreadsheet would run as a formula are prefixed with a quote (:func:`csv_cell`).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import pandas as pd

from domain.dates import long_date

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# -- tables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column: ``key`` in the rows (and the CSV header), a label and a kind.

    Kinds: ``text``, ``int``, ``year``, ``share`` (0-1), ``km``, ``coord``, ``score``,
    ``date``, ``hours``. ``page=False`` columns (ids, coordinates) are in the CSV only; ``display``
    names a row key whose text the page shows instead of the value.
    """

    key: str
    label: str
    kind: str = "text"
    page: bool = True
    display: str | None = None


def _c(key: str, label: str, kind: str = "text", **kw: Any) -> Column:
    return Column(key, label, kind, **kw)


_SHARES = (_c("organisations", "Groups", "int"), _c("meetings", "Meetings", "int"),
           _c("population", "People", "int"),
           _c("covered_population", "People within reach", "int"),
           _c("covered_share", "Share within reach", "share"))
TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "coverage-by-region": ("Coverage by region", (
        _c("id", "Region id", "int", page=False), _c("name", "Region"), *_SHARES)),
    "coverage-by-hotspot": ("Coverage by hotspot tree", (
        _c("organisation_id", "Organisation id", "int", page=False),
        _c("name", "Hotspot tree"), _c("region", "Region"), *_SHARES)),
    "gaps": ("Largest uncovered towns", (
        _c("name", "Town"), _c("population", "People", "int"),
        _c("distance_km", "Nearest meeting", "km"),
        _c("lat", "Latitude", "coord", page=False), _c("lon", "Longitude", "coord", page=False))),
    "sites": ("Suggested sites for new groups", (
        _c("rank", "Order", "int"), _c("name", "Named after"), _c("at", "Stands at"),
        _c("added_population", "People newly within reach", "int"),
        _c("places", "Places it newly reaches"),
        _c("devolve_from_id", "Devolve from (id)", "int", page=False),
        _c("devolve_from", "Devolve from", display="devolve_from_label"),
        _c("devolve_reasons", "Why"),
        _c("devolve_distance_km", "Distance from it", "km"),
        _c("lat", "Latitude", "coord", page=False), _c("lon", "Longitude", "coord", page=False))),
    "growth": ("Growth of each tree", (
        _c("hotspot_id", "Hotspot id", "int", page=False), _c("hotspot", "Hotspot tree"),
        _c("depth", "Depth", "int"), _c("generation", "Generation", "int"),
        _c("year", "End of year", "year"), _c("organisations", "Groups", "int"),
        _c("meetings", "Meetings", "int"), _c("new_organisations", "New groups", "int"),
        _c("new_meetings", "New meetings", "int"))),
    "links": ("Links worth making", (
        _c("organisation_id", "Organisation id", "int", page=False),
        _c("organisation", "Your group"),
        _c("association_id", "Association id", "int", page=False),
        _c("association", "Association"), _c("category", "Category"),
        _c("distance_km", "Distance", "km"), _c("nearest_meeting", "Nearest of your meetings"),
        _c("open_opportunities", "Open needs", "int"), _c("reasons", "Why"),
        _c("score", "Score", "score"))),
    "volunteers": ("Licensed volunteers", (
        _c("organisation_id", "Organisation id", "int", page=False),
        _c("organisation", "Organisation"), _c("display_name", "Volunteer"),
        _c("licence_number", "Licence"), _c("licence_valid_until", "Valid until", "date"),
        _c("status", "Licence", display="status_label"),
        _c("days_left", "Days left", "int", page=False),
        _c("able_to_deliver_meetings", "Able to deliver meetings", display="able_label"))),
}


def csv_cell(value: Any) -> str:
    """Text for a CSV cell, made inert for spreadsheets.

    A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
    run as a formula by Excel or LibreOffice; such text gets a leading ``'``.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _trimmed(text: str) -> str:
    """``12.50`` -> ``12.5``, ``3.00`` -> ``3`` (hours are kept in quarter hours)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and not math.isfinite(value)


_CSV_FORMAT = {
    "int": lambda v: str(int(v)), "year": lambda v: str(int(v)),
    "share": lambda v: f"{float(v):.4f}", "km": lambda v: f"{float(v):.3f}",
    "score": lambda v: f"{float(v):.3f}", "coord": lambda v: f"{float(v):.6f}",
    "date": long_date,  # the CSVs are for people: dates as they write them
    "hours": lambda v: _trimmed(f"{float(v):.2f}"),
}
_PAGE_FORMAT = {
    "int": lambda v: f"{int(v):,}", "year": lambda v: str(int(v)),
    "share": lambda v: f"{100.0 * float(v):.1f} %", "km": lambda v: f"{float(v):.1f} km",
    "score": lambda v: f"{float(v):.2f}", "coord": lambda v: f"{float(v):.6f}",
    "date": long_date,
    "hours": lambda v: _trimmed(f"{float(v):,.2f}"),
}
_PAGE_MISSING = {"km": "no meeting", "share": "\N{EN DASH}"}


def _csv_value(column: Column, value: Any) -> str:
    if _missing(value):
        return ""
    return _CSV_FORMAT.get(column.kind, csv_cell)(value)


def _page_value(column: Column, value: Any) -> str:
    if _missing(value):
        return _PAGE_MISSING.get(column.kind, "")
    return _PAGE_FORMAT.get(column.kind, str)(value)


@dataclass
class Table:
    """One table of the dashboard: the same rows on the page and in the CSV."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def page_columns(self) -> list[Column]:
        """The columns the page shows."""
        return [c for c in self.columns if c.page]

    def view(self) -> list[dict[str, Any]]:
        """Rows as the page shows them: ``{"cells": [(kind, text)], "flag": css class}``."""
        return [{"cells": [(c.kind, str(row.get(c.display)) if c.display
                            else _page_value(c, row.get(c.key))) for c in self.page_columns],
                 "flag": row.get("flag", "")} for row in self.rows]

    def to_csv(self) -> str:
        """The table as CSV: a header of field names, then one line per row."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.key for c in self.columns])
        writer.writerows([_csv_value(c, row.get(c.key)) for c in self.columns]
                         for row in self.rows)
        return out.getvalue()


__all__ = ["TABLES", "Column", "Table", "csv_cell"]
