"""CSV writers that a spreadsheet cannot be tricked by (CSV / formula injection).

OWASP's rule: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is read as a formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``,
``+cmd|' /C calc'!A0``, ``@SUM(1)``). Every CSV the project writes goes through
:func:`safe_cell`, which puts a single quote in front of such text; plain numbers (``-2.25``,
``+44``) are left alone, and non-text values (numbers, dates) are never touched.
"""

from __future__ import annotations

import csv
import re
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping
    from typing import IO

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet runs as a formula.

    Examples
    --------
    >>> safe_cell("=1+2"), safe_cell("@SUM(1)"), safe_cell("-2.25")
    ("'=1+2", "'@SUM(1)", '-2.25')
    >>> safe_cell("Canal Trust"), safe_cell(-2.25)
    ('Canal Trust', -2.25)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS) \
            and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """:func:`csv.writer` whose cells pass through :func:`safe_cell`."""

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row."""
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows."""
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """:class:`csv.DictWriter` whose cells (header included) pass through :func:`safe_cell`."""

    def writeheader(self) -> Any:
        """Write the header row."""
        return self.writer.writerow([safe_cell(f) for f in self.fieldnames])

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        """Write one row."""
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        """Write many rows."""
        for row in rowdicts:
            self.writerow(row)
