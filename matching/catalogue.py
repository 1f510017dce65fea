"""Every opportunity as arrays, built once per data version and read by every request.

The frame from a :class:`~matching.candidates.CandidateSource` becomes row-aligned numpy arrays
(sorted by id), a bitmask of interest tags, weekday bitmasks and minute times, and the TF-IDF
model of the opportunities' texts. Nothing here changes after construction, so many threads
can read one catalogue.

With ``spatial=True`` the catalogue also indexes the listings it may recommend (open, with
places left) in :class:`geo.index.PointIndex`, the one spatial index of the project and the
embedded store's: the same chord-length search and the same
:func:`geo.distance.haversine_km` cut on the same stored floats, so it finds the same listings
at the same distances, without a round trip or an id lookup per request.

Dates: a listing that has ended, or starts more than :data:`STARTS_SOON_DAYS` days after
the day asked about, is never recommended (:meth:`Catalogue.live`); the catalogue is built
once per data version, and the day is applied per request, so a new day needs no rebuild.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd

from geo.index import PointIndex
from matching.bounds import TextGroups
from matching.candidates import OPPORTUNITY_COLUMNS
from matching.query import COMMITMENTS
from matching.query import GROUP_PLACES
from matching.taxonomy import SLUGS
from matching.taxonomy import term
from matching.text import TextModel
from matching.text import binary_rows

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Iterator

    from numpy.typing import NDArray

    from matching.query import Filters

TAG_BIT = {slug: np.uint64(1) << np.uint64(i) for i, slug in enumerate(SLUGS)}
"""Bit of each interest slug in the tag masks (the vocabulary has fewer than 64 terms)."""
_NO_TIME = -1
STARTS_SOON_DAYS = 30
"""A listing that starts within this many days is shown, saying when it starts."""
REMOTE_WORDS = frozenset({"remote", "online", "from_home", "home_based"})
"""Accessibility values that make a listing remote: it is done from anywhere."""
_MISSING = object()
_NO_START = np.iinfo(np.int32).min
_NO_END = np.iinfo(np.int32).max
# A dense id -> row table is used while ids are at most this many times the row count.
_DENSE_IDS = 4


def tag_mask(slugs: Any) -> np.uint64:
    """The bitmask of some interest slugs (unknown slugs are ignored)."""
    mask = np.uint64(0)
    for slug in slugs or ():
        mask |= TAG_BIT.get(slug, np.uint64(0))
    return mask


def minutes(value: Any) -> int:
    """Minutes after midnight of a time (``datetime.time`` or ``"HH:MM[:SS]"``), or -1."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _NO_TIME
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute
    try:
        hours, mins = str(value).split(":")[:2]
        return int(hours) * 60 + int(mins)
    except ValueError:
        return _NO_TIME


def _each(fn: Callable[[Any], Any], values: Iterable[Any]) -> Iterator[Any]:
    """``fn`` of each value, computed once per distinct value.

    Listings repeat their titles, texts, tags and times: a catalogue of 1M rows has a few
    hundred thousand distinct ones. For what a frame holds (strings, tuples of strings,
    ``None``, times) equal values give equal answers; NaN never equals itself and
    unhashable values are not remembered, so each is computed.
    """
    seen: dict[Any, Any] = {}
    for value in values:
        try:
            found = seen.get(value, _MISSING)
        except TypeError:  # unhashable
            yield fn(value)
            continue
        if found is _MISSING:
            found = seen[value] = fn(value)
        yield found


_TEXT_COLUMNS = ("title", "description", "category", "association")


def _combinations(frame: pd.DataFrame, more: list[list[tuple[str, ...]]]) -> NDArray[np.int64]:
    """Row -> its combination of the fields of its document, numbered by first appearance.

    Rows with a missing text field (``None``, NaN: :func:`_document` tells them apart) each
    get their own number.
    """
    n = len(frame)
    key = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    columns: list[Any] = [frame[c].to_numpy(object) for c in _TEXT_COLUMNS]
    for values in more:
        column = np.empty(n, dtype=object)
        column[:] = values
        columns.append(column)
    for column in columns:
        codes, uniques = pd.factorize(column)
        missing |= codes < 0
        key = pd.factorize(key * (len(uniques) + 1) + codes)[0].astype(np.int64)
    if missing.any():
        key[missing] = key.max(initial=0) + 1 + np.arange(int(missing.sum()))
    combos: NDArray[np.int64] = pd.factorize(key)[0].astype(np.int64)
    return combos


def _day_mask(days: tuple[Any, ...]) -> int:
    """Weekday bitmask (bit 0 Sunday) of some day numbers; others ignored."""
    return sum(1 << int(d) for d in set(days) if 0 <= int(d) <= 6)  # noqa: PLR2004


def _ordinals(frame: pd.DataFrame, column: str, missing: int) -> NDArray[np.int32]:
    """Day numbers (``date.toordinal``) of a date column, ``missing`` where absent."""
    if column not in frame.columns:
        return np.full(len(frame), missing, dtype=np.int32)
    out = np.full(len(frame), missing, dtype=np.int32)
    for i, v in enumerate(frame[column].tolist()):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
            continue
        day = v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])
        out[i] = day.toordinal()
    return out


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


_LABELS = {slug: term(slug).label for slug in SLUGS}


def _document(fields: tuple[Any, ...]) -> str:
    """The text a peer's words are matched against: the title counts twice."""
    title, description, skills, interests, category, association = fields
    labels = " ".join(_LABELS[s] for s in interests if s in _LABELS)
    parts = (title, title, description, " ".join(skills), labels,
             str(category or "").replace("_", " "), association)
    return " ".join(str(p) for p in parts if p)


class Catalogue:
    """The opportunities of one data version, as arrays.

    Parameters
    ----------
    frame
        :meth:`~matching.candidates.CandidateSource.opportunities`.
    version
        The source's version token when the frame was read.
    spatial
        Also index the open listings for in-process radius and nearest questions.
    """

    def __init__(self, frame: pd.DataFrame, *, version: Any = None,
                 spatial: bool = False) -> None:
        missing = [c for c in OPPORTUNITY_COLUMNS if c not in frame.columns]
        if missing:
            msg = f"opportunities frame lacks columns {missing}; expected {OPPORTUNITY_COLUMNS}"
            raise ValueError(msg)
        frame = frame.sort_values("id", kind="stable")
        self.version = version
        n = len(frame)
        self.ids: NDArray[np.int64] = frame["id"].to_numpy(np.int64)
        self.association_id = frame["association_id"].to_numpy(np.int64)
        self.lat = frame["lat"].to_numpy(np.float64)
        self.lon = frame["lon"].to_numpy(np.float64)
        self.title = frame["title"].astype(object).to_numpy()
        self.association = frame["association"].astype(object).to_numpy()
        self.category = frame["category"].astype(object).to_numpy()
        self.status = frame["status"].astype(object).to_numpy()
        self.open = self.status == "open"
        interests = [_as_tuple(v) for v in frame["interests"]]
        skills = [tuple(str(s) for s in _as_tuple(v)) for v in frame["skills"]]
        self.interests = np.empty(n, dtype=object)
        self.interests[:] = interests
        self.skills = np.empty(n, dtype=object)
        self.skills[:] = skills
        self.tags = np.fromiter(_each(tag_mask, interests), dtype=np.uint64, count=n)
        self.tag_sets = np.unique(self.tags)
        """Every distinct tag mask (bounds how many tags any listing shares with a peer)."""
        self.has_skills = np.fromiter((bool(s) for s in skills), dtype=bool, count=n)
        self.flexible = frame["flexible"].fillna(value=False).to_numpy(bool)
        capacity = frame["capacity"].to_numpy(np.float64, na_value=np.nan)
        taken = frame["places_taken"].fillna(0).to_numpy(np.float64)
        self.places_left = capacity - taken  # NaN: no stated capacity
        self.has_places = np.isnan(capacity) | (taken < capacity)
        self.eligible = self.open & self.has_places
        """Open with places left: the listings that may be recommended (dates aside)."""
        self._read_filters(frame, capacity, taken)
        self.weekdays = np.fromiter(
            _each(_day_mask, (_as_tuple(w) for w in frame["weekdays"])), dtype=np.uint8,
            count=n)
        self.start_min = np.fromiter(_each(minutes, frame["start_time"]), dtype=np.int16,
                                     count=n)
        self.end_min = np.fromiter(_each(minutes, frame["end_time"]), dtype=np.int16, count=n)
        self._read_text(frame, interests, skills)
        self._lookup: NDArray[np.int64] | None = None
        if n and self.ids[0] >= 0 and self.ids[-1] <= _DENSE_IDS * n + 1024:
            self._lookup = np.full(int(self.ids[-1]) + 1, -1, dtype=np.int64)
            self._lookup[self.ids] = np.arange(n)
        self.spatial = spatial
        self.open_rows = np.flatnonzero(self.eligible & ~self.remote)
        """Rows of the listings that may be recommended near a place (open, with places
        left, not remote)."""
        self.remote_rows = np.flatnonzero(self.eligible & self.remote)
        """Rows of the remote listings that may be recommended (no distance)."""
        # What the listings near places share per text (for the search's bound).
        self.text_groups = TextGroups.of(
            self.text.codes, self.text.n_distinct, rows=self.open_rows, tags=self.tags,
            has_skills=self.has_skills, skill_codes=self.skill_codes)
        self._tree = self._index(self.open_rows)
        self._tagged = self._tag_indexes()

    def _read_text(self, frame: pd.DataFrame, interests: list[tuple[Any, ...]],
                   skills: list[tuple[str, ...]]) -> None:
        """The TF-IDF model of the listings' texts, and which stems their skills hold."""
        combos = _combinations(frame, [skills, interests])
        _, first = np.unique(combos, return_index=True)
        fields = (frame["title"].tolist(), frame["description"].tolist(), skills, interests,
                  frame["category"].tolist(), frame["association"].tolist())
        self.text = TextModel(
            [_document(tuple(column[r] for column in fields)) for r in first.tolist()],
            rows=combos)
        self.skill_codes, self.skill_matrix = binary_rows(
            (" ; ".join(s) for s in skills), self.text.vocabulary)

    def _read_filters(self, frame: pd.DataFrame, capacity: NDArray[np.float64],
                      taken: NDArray[np.float64]) -> None:
        """Dates, accessibility bits, remote, commitment kind and room for a group."""
        n = len(frame)
        self.starts_on = _ordinals(frame, "starts_on", _NO_START)
        self.ends_on = _ordinals(frame, "ends_on", _NO_END)
        self.dated = bool((self.starts_on != _NO_START).any() or (self.ends_on != _NO_END).any())
        access = ([tuple(str(a) for a in _as_tuple(v)) for v in frame["accessibility"]]
                  if "accessibility" in frame.columns else [() for _ in range(n)])
        self.access_bit = {a: np.uint64(1) << np.uint64(i) for i, a in
                           enumerate(sorted({a for row in access for a in row})[:64])}
        self.access = np.fromiter(
            (sum((self.access_bit.get(a, np.uint64(0)) for a in row), np.uint64(0))
             for row in access), dtype=np.uint64, count=n)
        self.remote = np.fromiter((bool(REMOTE_WORDS & set(row)) for row in access),
                                  dtype=bool, count=n)
        commitment = (frame["commitment"].fillna("").astype(str).str.lower()
                      if "commitment" in frame.columns else pd.Series([""] * n))
        weekly = commitment.str.contains("week").to_numpy(bool)
        self.commitment = np.where(self.flexible, 0, np.where(weekly, 1, 2)).astype(np.int8)
        """0 flexible, 1 weekly, 2 occasional (fortnightly, monthly, one-off, unstated)."""
        self.group_room = np.isnan(capacity) | (capacity - taken >= GROUP_PLACES)

    def __len__(self) -> int:
        """Return the number of opportunities."""
        return int(self.ids.size)

    def positions(self, ids: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
        """Row positions of ``ids``, and which of them the catalogue has."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self.ids):
            return np.zeros(len(ids), np.intp), np.zeros(len(ids), bool)
        if self._lookup is not None:
            inside = (ids >= 0) & (ids < len(self._lookup))
            pos = self._lookup[np.where(inside, ids, 0)]
            known = inside & (pos >= 0)
            return np.where(known, pos, 0).astype(np.intp), known
        pos = np.searchsorted(self.ids, ids).astype(np.intp)
        pos_c = np.minimum(pos, len(self.ids) - 1)
        return pos_c, self.ids[pos_c] == ids

    def _tag_indexes(self) -> dict[str, tuple[NDArray[np.intp], PointIndex | None]]:
        """One more tree per interest, over the open listings with that tag.

        The nearest listings a peer's interests point at are found without wading through
        the rest.
        """
        tagged: dict[str, tuple[NDArray[np.intp], PointIndex | None]] = {}
        if self.spatial:
            open_tags = self.tags[self.open_rows]
            for slug, bit in TAG_BIT.items():
                rows = self.open_rows[(open_tags & bit) != 0]
                if rows.size:
                    tagged[slug] = (rows, self._index(rows))
        return tagged

    def _index(self, rows: NDArray[np.intp]) -> PointIndex | None:
        if not self.spatial or not rows.size:
            return None
        return PointIndex(rows, self.lat[rows], self.lon[rows])

    def live(self, rows: NDArray[np.intp], today: int) -> NDArray[np.bool_]:
        """Which ``rows`` run on day ``today`` (an ordinal) or start within 30 days."""
        if not self.dated:
            return np.ones(len(rows), dtype=bool)
        return ((self.ends_on[rows] >= today)
                & (self.starts_on[rows] <= today + STARTS_SOON_DAYS))

    def passes(self, rows: NDArray[np.intp], filters: Filters) -> NDArray[np.bool_]:
        """Which ``rows`` pass the commitment, accessibility and group filters."""
        keep = np.ones(len(rows), dtype=bool)
        if filters.commitment is not None:
            keep &= self.commitment[rows] == COMMITMENTS.index(filters.commitment)
        if filters.accessibility:
            need = np.uint64(0)
            for a in filters.accessibility:
                if a not in self.access_bit:
                    return np.zeros(len(rows), dtype=bool)
                need |= self.access_bit[a]
            keep &= (self.access[rows] & need) == need
        if filters.groups:
            keep &= self.group_room[rows]
        return keep

    def starts(self, position: int, today: int) -> dt.date | None:
        """The start date of a listing that has not started on ``today``, else ``None``."""
        start = int(self.starts_on[position])
        return dt.date.fromordinal(start) if start > today else None

    def _tree_for(self, slug: str | None) -> PointIndex | None:
        if slug is None:
            return self._tree
        found = self._tagged.get(slug)
        return None if found is None else found[1]

    def rows_within(
        self, latlon: tuple[float, float], radius_km: float, *, tag: str | None = None
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Rows and km of the open listings within ``radius_km`` (in no particular order).

        Only those tagged ``tag`` when given. Needs ``spatial=True``; ``latlon`` must be
        validated floats (an ``Origin``'s).
        """
        tree = self._tree_for(tag)
        if tree is None:
            return np.empty(0, np.intp), np.empty(0)
        rows, km = tree.within(latlon, radius_km, ordered=False)
        return rows.astype(np.intp), km

    def rows_nearest(
        self, latlon: tuple[float, float], k: int, *, tag: str | None = None
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Rows and km of the ``k`` open listings nearest ``latlon``.

        Fewer when there are not that many; only those tagged ``tag`` when given. Needs
        ``spatial=True``.
        """
        tree = self._tree_for(tag)
        if tree is None or k <= 0:
            return np.empty(0, np.intp), np.empty(0)
        rows, km = tree.nearest_unordered(latlon, k)
        return rows.astype(np.intp), km

    def row(self, position: int) -> dict[str, Any]:
        """One opportunity as a plain dict (for answers)."""
        p = int(position)
        left = self.places_left[p]
        return {
            "opportunity_id": int(self.ids[p]), "title": str(self.title[p]),
            "association_id": int(self.association_id[p]),
            "association": str(self.association[p]), "category": str(self.category[p]),
            "interests": list(self.interests[p]), "skills": list(self.skills[p]),
            "places_left": None if np.isnan(left) else int(max(left, 0)),
            "lat": float(self.lat[p]), "lon": float(self.lon[p]),
        }


__all__ = ["REMOTE_WORDS", "STARTS_SOON_DAYS", "TAG_BIT", "Catalogue", "minutes", "tag_mask"]
