"""The common case of :func:`ingest.validate.validate`, checked with less work per row.

A CSV of associations is mostly rows of plain text cells: an id, a name, a category, a
description, one web address, a postcode and coordinates. :class:`FastAssociations` checks
such a row with the same rules (:mod:`domain.fields`) in the order the general path applies
them, and gives the same outcome: the same values, warnings and problems, each with the same
wording and in the same order. Whatever it is not sure of (another field given, a cell that
is not text, a name or text too long, several addresses in one cell, no category or no id,
an id already seen in the chunk) it leaves to the general path, returning ``None``.

What it saves: the general path's per-record machinery (copying the record, a checker object,
a plan per field, multi-value and contact cells, settling problems into warnings), and,
through memos per chunk, re-parsing the same web address, postcode or bad pair of
coordinates row after row (a file of bad rows repeats a few bad values).
``tests/test_ingest_fast_path.py`` runs mixed files through both paths and compares every
row's outcome, message and stored value.

:meth:`FastAssociations.check_block` applies the same rules to a CSV's block of rows a column
at a time (each column's cells stripped, tested and parsed in one pass, the positions tested
against the service area at once) and keeps the plain rows as columns; the others go through
:meth:`FastAssociations.check` or the general path one by one, in their turn.
``tests/test_ingest_first_load.py`` compares it with the row path too.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from domain.errors import FieldError
from domain.errors import Problem
from domain.fields import _MAX_LAT
from domain.fields import _MAX_LON
from domain.fields import _PLAIN_URL_RE
from domain.fields import LONGEST_MISSING
from domain.fields import MISSING_WORDS
from domain.fields import SHORT_LIMITS
from domain.fields import URL_LIMIT
from domain.fields import Context
from domain.fields import coordinates
from domain.fields import is_missing
from domain.fields import postcode
from domain.fields import web_address
from domain.records import missing_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from geo.service_area import ServiceArea
    from ingest.records import RawBlock
    from ingest.records import RawRecord

#: The only fields a row may give (others ``None``) to be checked here.
FAST_FIELDS = frozenset(("source_id", "name", "category", "description", "website",
                         "postcode", "lat", "lon"))
#: The columns of a block of plain rows, in the order :meth:`FastAssociations.check` fills a
#: record's values.
BLOCK_COLUMNS = ("name", "category", "description", "website", "postcode", "lat", "lon",
                 "location_precision", "source_id")
_BAD = object()
_MEMO_MAX = 4096
_SEPARATOR = re.compile(r"[\s,;|]")  # as ingest.validate's _SPLIT_ANY: several values?
_NO_POSITION = "no position: give lat and lon, a postcode or an address"


def _missing_text(text: str) -> bool:
    return len(text) <= LONGEST_MISSING and text.lower() in MISSING_WORDS


def _texts(cells: list[Any], limit: int) -> list[Any]:
    """Text cells as :meth:`FastAssociations._texts_of` keeps them.

    Stripped; ``None`` when missing; ``_BAD`` when not text, longer than ``limit`` or
    holding a NUL.
    """
    bad, words, longest = _BAD, MISSING_WORDS, LONGEST_MISSING
    return [
        (None if len(text := v.strip()) <= longest and text.lower() in words
         else bad if len(text) > limit or "\x00" in text else text)
        if type(v) is str else (None if v is None else bad)
        for v in cells
    ]


def _floats(cells: list[Any]) -> list[float]:
    """Text cells read by ``float()``, as :func:`domain.fields.coordinates` first does.

    NaN where that fails (not text, not a number).
    """
    if set(map(type, cells)) == {str}:
        try:
            return list(map(float, cells))
        except ValueError:
            pass
    out = []
    for v in cells:
        try:
            out.append(float(v) if type(v) is str else math.nan)
        except ValueError:
            out.append(math.nan)
    return out


class FastAssociations:
    """Checks association rows of one chunk (one service area, one geocoder memo)."""

    def __init__(self, area: ServiceArea, geocode: Callable[[str], Any], *, max_text: int,
                 checker: Callable[..., Any], valid_record: Callable[..., Any]) -> None:
        self._area = area
        self._geocode = geocode
        self._texts = (("name", SHORT_LIMITS["name"]), ("category", SHORT_LIMITS["category"]),
                       ("description", max_text))
        self._checker = checker  # ingest.validate._Checker, for the geocoding step
        self._valid = valid_record
        self._web: dict[str, tuple[str | None, tuple[str, ...], str | None]] = {}
        self._postcodes: dict[str, tuple[str | None, str | None]] = {}
        self._pairs: dict[tuple[str | None, str | None], list[Problem]] = {}
        self._no_name = missing_name("associations")

    def _website(self, raw: str) -> tuple[str | None, tuple[str, ...], str | None]:
        """(value, parser warnings, problem reason) of a website cell, remembered."""
        found = self._web.get(raw)
        if found is None:
            ctx = Context()
            try:
                found = (web_address(raw, "website", ctx), tuple(ctx.warnings), None)
            except FieldError as exc:
                found = (None, tuple(ctx.warnings), str(exc))
            if len(self._web) >= _MEMO_MAX:
                self._web.clear()
            self._web[raw] = found
        return found

    def _postcode(self, raw: str) -> tuple[str | None, str | None]:
        found = self._postcodes.get(raw)
        if found is None:
            try:
                found = (postcode(raw, self._area), None)
            except FieldError as exc:
                found = (None, str(exc))
            if len(self._postcodes) >= _MEMO_MAX:
                self._postcodes.clear()
            self._postcodes[raw] = found
        return found

    def _texts_of(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """Name, category and description as the general path keeps them, else ``None``."""
        values: dict[str, Any] = {}
        for name, limit in self._texts:
            raw = data.get(name)
            if raw is None:
                continue
            text = raw.strip()
            if _missing_text(text):
                continue
            if len(text) > limit or "\x00" in text:
                return None
            values[name] = text
        if "category" not in values:
            return None  # inferred from the name, with a warning: the general path
        return values

    def _position(self, data: dict[str, Any], values: dict[str, Any]
                  ) -> tuple[list[Problem], str | None]:
        """Problems of the position (``values`` filled), and the postcode's problem."""
        postcode_reason = code = None
        raw = data.get("postcode")
        if raw is not None and not is_missing(raw):
            code, postcode_reason = self._postcode(raw)
            if code is not None:
                values["postcode"] = code
        raw_lat, raw_lon = data.get("lat"), data.get("lon")
        if not is_missing(raw_lat) or not is_missing(raw_lon):
            found = self._pairs.get((raw_lat, raw_lon))
            if found is None:
                latlon, found = coordinates(raw_lat, raw_lon, self._area)
                if latlon is not None:
                    values["lat"], values["lon"] = latlon
                    values["location_precision"] = "exact"
                else:
                    if len(self._pairs) >= _MEMO_MAX:
                        self._pairs.clear()
                    self._pairs[raw_lat, raw_lon] = found
            return found, postcode_reason
        if code:
            checker = self._checker("associations", data, Context())
            checker._geocode([("postcode", code)], self._area, self._geocode)
            values.update(checker.values)
            return checker.problems, postcode_reason
        return [Problem("location", None, _NO_POSITION)], postcode_reason

    def check(self, record: RawRecord, first_row: dict[str, int]) -> Any:  # noqa: PLR0911, PLR0912
        """A ValidRecord, the problem rows of a rejected record, or ``None`` (general path).

        The problems and warnings come in the general path's order: the fields' (name,
        category, description, website), the missing name, then the position's (postcode,
        coordinates or geocoding); an optional field's problem becomes a warning.
        """
        data = record.data
        for name, value in data.items():
            if value is not None and (type(value) is not str or name not in FAST_FIELDS):
                return None
        raw_sid = data.get("source_id")
        if raw_sid is None:
            return None
        sid = raw_sid.strip()
        if _missing_text(sid) or len(sid) > SHORT_LIMITS["source_id"] or "\x00" in sid \
                or sid in first_row:
            return None
        values = self._texts_of(data)
        if values is None:
            return None
        warnings: list[str] = []
        web_reason = None
        raw = data.get("website")
        if raw is not None and not _missing_text(text := raw.strip()):
            if _SEPARATOR.search(text) or len(text) > URL_LIMIT:
                return None  # perhaps several addresses in one cell; too long
            if _PLAIN_URL_RE.fullmatch(text):  # web_address's own first, usual answer
                values["website"] = text
            else:
                url, notes, web_reason = self._website(raw)
                warnings.extend(notes)
                if url is not None:
                    values["website"] = url
        problems: list[Problem] = []
        if "name" not in values:
            problems.append(Problem("name", data.get("name"), self._no_name))
        where, postcode_reason = self._position(data, values)
        if web_reason is not None:
            warnings.append(f"website left out: {web_reason}")
        if postcode_reason is not None:
            if values.get("lat") is not None:
                warnings.append(f"postcode left out: {postcode_reason}")
            else:
                problems.append(Problem("postcode", data.get("postcode"), postcode_reason))
        problems.extend(where)
        first_row[sid] = record.row
        if problems:
            return [p.as_row(record.row, sid) for p in problems]
        values["source_id"] = sid
        return self._valid(record.row, values, {}, [*record.warnings, *warnings])

    def _plain_rows(self, data: dict[str, list[Any]], n: int, skip: set[int]
                    ) -> tuple[list[bool], tuple[list[Any], ...]]:
        """Whether :meth:`check` would take each row as it is, and the values it would keep.

        As it is: valid, nothing to warn about, a position given. :meth:`check`'s rules,
        a column at a time; the values as columns (:data:`BLOCK_COLUMNS`), meaningful in
        the rows taken.
        """
        missing = [None] * n
        sids = _texts(data.get("source_id", missing), _SID_LIMIT)
        names = _texts(data.get("name", missing), _NAME_LIMIT)
        categories = _texts(data.get("category", missing), _CATEGORY_LIMIT)
        descriptions = _texts(data.get("description", missing), self._texts[2][1])
        webs = _texts(data.get("website", missing), URL_LIMIT)
        search, plain_url = _SEPARATOR.search, _PLAIN_URL_RE.fullmatch
        webs = [w if w is None or w is _BAD or (not search(w) and plain_url(w)) else _BAD
                for w in webs]
        codes = []
        for raw in data.get("postcode", missing):
            if raw is None:
                codes.append(None)
            elif type(raw) is not str:
                codes.append(_BAD)
            elif is_missing(raw):
                codes.append(None)
            else:
                code = self._postcode(raw)[0]
                codes.append(_BAD if code is None else code)
        lats = _floats(data.get("lat", missing))
        lons = _floats(data.get("lon", missing))
        lat, lon = np.array(lats), np.array(lons)
        with np.errstate(invalid="ignore"):
            given = (np.abs(lat) <= _MAX_LAT) & (np.abs(lon) <= _MAX_LON) \
                & ((lat != 0.0) | (lon != 0.0))
        inside = np.zeros(n, dtype=bool)
        if given.any():
            inside[given] = self._area.contains_many(lat[given].tolist(), lon[given].tolist())
        bad = _BAD
        ok = [
            inside and sid is not None and sid is not bad and name is not None
            and name is not bad and category is not None and category is not bad
            and description is not bad and web is not bad and code is not bad
            for name, category, description, web, code, sid, inside in zip(
                names, categories, descriptions, webs, codes, sids, inside.tolist(),
                strict=True)
        ]
        for i in skip:
            ok[i] = False
        return ok, (names, categories, descriptions, webs, codes, lats, lons,
                    ["exact"] * n, sids)

    def check_block(self, block: RawBlock, first_row: dict[str, int],
                    one: Callable[[RawRecord], Any], valid_block: Callable[..., Any],
                    ) -> tuple[Any, list[Any], list[dict[str, Any]]]:
        """:meth:`check` for a whole block: plain rows as columns, the rest through ``one``.

        A plain row (valid, nothing to warn about, an id not seen before in the chunk) is
        kept as columns (``valid_block``); any other row goes, in its turn, through ``one``
        (this class's :meth:`check`, else the general path) as its own record. Outcomes,
        order and the chunk's ``first_row`` are as when every record goes through ``one``.
        """
        data = block.data
        n = len(block)
        others: list[Any] = []
        rejected: list[dict[str, Any]] = []
        rows: list[int] = []
        columns: list[list[Any]] = [[] for _ in BLOCK_COLUMNS]
        # rows the reader warned about, or giving a field other than FAST_FIELDS: check()'s
        skip = set(block.warnings)
        for name, cells in data.items():
            if name not in FAST_FIELDS:
                skip.update(i for i, value in enumerate(cells) if value is not None)
        plain, values = self._plain_rows(data, n, skip)
        sids = values[-1]
        if all(plain) and len(set(sids)) == n and first_row.keys().isdisjoint(sids):
            # the usual block: every row plain, every id new
            first_row.update(zip(sids, block.rows, strict=True))
            return valid_block(list(block.rows), dict(zip(BLOCK_COLUMNS, values, strict=True))
                               ), others, rejected
        for i, taken in enumerate(plain):
            if taken and sids[i] not in first_row:
                first_row[sids[i]] = block.rows[i]
                rows.append(block.rows[i])
                for column, cells in zip(columns, values, strict=True):
                    column.append(cells[i])
                continue
            done = one(block.record(i))
            if type(done) is list:
                rejected.extend(done)
            else:
                others.append(done)
        return valid_block(rows, dict(zip(BLOCK_COLUMNS, columns, strict=True))), others, rejected


_SID_LIMIT = SHORT_LIMITS["source_id"]
_NAME_LIMIT = SHORT_LIMITS["name"]
_CATEGORY_LIMIT = SHORT_LIMITS["category"]
