"""Finding candidates: near first, then only as far as the list could still change.

The answer is always the one that scoring every open listing in the radius would give; the
search only avoids scoring listings that provably cannot enter the list.

The bound (:meth:`~matching.scoring.ScoringParams.bound`): a listing ``d`` km away or more
scores at most ``top x max_boost x decay(d)``, where ``top`` is the best ``relevance'`` any
listing of the catalogue could have for this peer, and a lower ``top_untagged`` for listings
that share none of the peer's interests; or, once known, the best ``relevance' x boosts`` of
any text of the catalogue (:mod:`matching.bounds`), which is far tighter.

1. First look (a k-d tree per catalogue, and one per interest): the :data:`FIRST_LOOK`
   nearest open listings, and the :data:`TAG_LOOK` nearest with each of the peer's
   interests.
2. Score and pick the list. When it is full and its last score beats the bound of every
   listing not looked at (untagged ones beyond the look's edge, tagged ones beyond their
   own), the answer is final. Before giving up on that, the cheap bound is replaced by the
   best score any text of the catalogue can give (its cosine, tags and boosts together).
3. Otherwise look again, farther: towards where ``top_untagged`` (untagged listings) and
   ``top`` (tagged ones) can no longer reach the last score; where listings are dense, at
   most doubling the distance covered each time, since the list (and so the bound) improves
   on the way; the whole radius at once when the list is not full. Back to 2.

With a source that answers radius questions itself (PostGIS), steps 1-3 run on the
catalogue's positions only to plan how far to ask; the source is then asked once, for
everything within that distance, and the list is made from the listings and distances it
returns (the same as in-process, since both hold the same stored floats).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from matching.bounds import with_exact_tops
from matching.scoring import ScoringParams
from matching.scoring import score_rows
from matching.scoring import week_fit

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matching.candidates import CandidateSource
    from matching.catalogue import Catalogue
    from matching.query import PeerQuery
    from matching.scoring import PeerProfile
    from matching.scoring import Scores

FIRST_LOOK = 64
"""Open listings looked at first, in-process."""
TAG_LOOK = 24
"""Open listings per interest of the peer looked at first, in-process."""
FIRST_KM = 0.4
"""For one association's listings, the first look covers this share of ``half_km``."""
GROWTH = 2.0
MIN_STEP_KM = 0.25
"""Where listings are dense, each further look covers at most ``GROWTH`` times the last
distance plus this."""
FEW = 2048
"""When a look as far as needed would return fewer listings than this (judged by the density
seen so far), it goes all the way at once; otherwise step by step."""
_WEEK_PARAMS = ScoringParams()
_EDGE = 1e-9  # km: keeps a look strictly inside its edge despite rounding
_MARGIN = 1e-9

Rows = tuple["NDArray[np.intp]", "NDArray[np.float64]"]


@dataclass(frozen=True)
class Found:
    """Scored candidates and the picked list (indices into ``rows``, best first)."""

    rows: NDArray[np.intp]
    km: NDArray[np.float64]
    scores: Scores
    picked: list[int]
    reach_km: float
    """Everything that could enter the list within this distance was scored."""
    edge_km: float = 0.0
    """Every open listing within this distance was scored (``reach_km`` may only hold for
    listings with the peer's interests)."""
    looks: int = 1
    """Searches made: 1 when the first look settled the list, else 2."""


def select(
    order_keys: tuple[NDArray[Any], ...], score: NDArray[np.float64],
    association: NDArray[np.int64], limit: int, cap: int | None,
) -> list[int]:
    """Indices of the best ``limit`` rows, at most ``cap`` per association (greedy).

    ``order_keys`` are the lexsort keys (last = primary). Only the top of the list is sorted:
    rows below a score threshold cannot be reached before the list fills.
    """
    n = len(score)
    k = min(n, max(4 * limit, 32))
    while True:
        if k < n:
            threshold = np.partition(score, n - k)[n - k]
            take = np.flatnonzero(score >= threshold)
        else:
            take = np.arange(n)
        order = take[np.lexsort(tuple(key[take] for key in order_keys))]
        picked: list[int] = []
        counts: dict[int, int] = {}
        for i in order.tolist():
            a = int(association[i])
            if cap is not None and counts.get(a, 0) >= cap:
                continue
            counts[a] = counts.get(a, 0) + 1
            picked.append(i)
            if len(picked) == limit:
                return picked
        if k >= n:
            return picked
        k = min(n, 4 * k)


def _union(parts: list[Rows]) -> Rows:
    rows = np.concatenate([p[0] for p in parts])
    km = np.concatenate([p[1] for p in parts])
    _, first = np.unique(rows, return_index=True)
    return rows[first], km[first]


class Finder:
    """Open listings near an origin, in-process or from a source, as catalogue rows."""

    def __init__(self, catalogue: Catalogue, query: PeerQuery, *,
                 source: CandidateSource | None, today: int | None = None) -> None:
        self.catalogue = catalogue
        self.query = query
        self.source = source
        self.latlon = query.origin.latlon
        self.today = query.day().toordinal() if today is None else today
        self.version_seen: Any = None
        """The source's version token read with its last answer (``None``: not read)."""

    @property
    def in_process(self) -> bool:
        """Whether the catalogue's own trees answer (no source round trips)."""
        return self.source is None

    def allowed(self, found: Rows) -> Rows:
        """Only listings running on the day (or starting soon), and of the association asked."""
        rows, km = found
        keep = self.catalogue.live(rows, self.today)
        filters = self.query.filters
        if filters.any:
            keep &= self.catalogue.passes(rows, filters)
            if filters.fits_week:
                days = sum(1 << d for d in self.query.days)
                keep &= week_fit(self.catalogue, rows, days, self.query.times,
                                 _WEEK_PARAMS) >= 1.0
        if self.query.association_id is not None:
            keep &= self.catalogue.association_id[rows] == self.query.association_id
        if keep.all():
            return rows, km
        return rows[keep], km[keep]

    def within(self, radius_km: float, *, tag: str | None = None,
               also: NDArray[np.intp] | None = None) -> Rows:
        """Open listings within ``radius_km`` (tagged ``tag``: in-process only).

        ``also`` (catalogue rows, with a source only): these too, wherever they are.
        """
        if self.source is None:
            return self.allowed(self.catalogue.rows_within(self.latlon, radius_km, tag=tag))
        wanted = None if also is None or not len(also) else self.catalogue.ids[also]
        versioned = getattr(self.source, "versioned_within", None)
        if versioned is not None:
            self.version_seen, ids, km = versioned(self.latlon, radius_km, also=wanted)
        else:
            ids, km = self.source.opportunities_within(self.latlon, radius_km, also=wanted)
        rows, known = self.catalogue.positions(ids)
        # Closed, filled, paused and full never appear (the source answers status only);
        # remote listings form their own group.
        keep = known & self.catalogue.eligible[rows] & ~self.catalogue.remote[rows]
        return self.allowed((rows[keep], np.asarray(km, dtype=np.float64)[keep]))

    def nearest(self, k: int, *, tag: str | None = None) -> tuple[Rows, float]:
        """The ``k`` nearest open listings, and the distance within which they are all.

        From the catalogue's tree, whatever the source.
        """
        rows, km = self.catalogue.rows_nearest(self.latlon, k, tag=tag)
        if len(rows) < k:  # every one there is
            edge = self.query.radius_km
        else:
            # Listings not returned are at least as far as the farthest one returned.
            edge = min(self.query.radius_km, float(km.max()) - _EDGE)
        keep = km <= edge
        return self.allowed((rows[keep], km[keep])), edge


def tiered(peer: PeerProfile, params: ScoringParams) -> bool:
    """Whether listings sharing the peer's interests all rank above the others."""
    return params.matched_first and bool(peer.tags) and peer.personalised


def scored(catalogue: Catalogue, query: PeerQuery, peer: PeerProfile,
            params: ScoringParams, found: Rows) -> tuple[Scores, list[int]]:
    """Score ``found`` and pick the list (``query.depth`` long, capped per association)."""
    rows, km = found
    scores = score_rows(catalogue, rows, km, peer, params)
    cap = None if query.association_id is not None else query.per_association
    keys: tuple[NDArray[Any], ...] = (catalogue.ids[rows], km, -scores.score)
    rank_score = scores.score
    if tiered(peer, params):
        keys = (*keys, ~scores.matched)
        # select() keeps rows above a score threshold: lift matched rows above every other.
        rank_score = scores.score + np.where(scores.matched, 1.0 + scores.score.max(initial=0),
                                             0.0)
    picked = select(keys, rank_score, catalogue.association_id[rows], query.depth, cap)
    return scores, picked


def _first(finder: Finder, query: PeerQuery, peer: PeerProfile, params: ScoringParams,
           tags: tuple[str, ...]) -> tuple[Rows, float, float]:
    """The first look, and how far it covers untagged and tagged listings."""
    radius = query.radius_km
    if query.association_id is not None:
        edge = min(radius, params.half_km * FIRST_KM)
        return finder.within(edge), edge, edge
    (rows, km), edge = finder.nearest(FIRST_LOOK)
    parts, tag_edges = [(rows, km)], []
    for slug in tags:
        found, tag_edge = finder.nearest(TAG_LOOK, tag=slug)
        parts.append(found)
        tag_edges.append(tag_edge)
    # A tagged listing not looked at is beyond the first edge and beyond its tags' edges.
    tag_edge = max(edge, min(tag_edges)) if tag_edges else edge
    return (_union(parts) if len(parts) > 1 else parts[0]), edge, tag_edge


def _unseen(params: ScoringParams, peer: PeerProfile, edge: float, tag_edge: float,
            radius: float, *, last_matched: bool | None = None) -> float:
    """The best score a listing not looked at yet could have, as the list's last sees it.

    With matched-first ranking (``last_matched`` given), an unmatched listing cannot pass a
    matched last, and any matched listing passes an unmatched last (``inf``).
    """
    untagged = params.bound(edge, peer, tagged=False) if edge < radius else 0.0
    tagged = params.bound(tag_edge, peer) if tag_edge < radius else 0.0
    if last_matched is True:
        untagged = 0.0
    elif last_matched is False and tag_edge < radius:
        tagged = math.inf
    return max(untagged, tagged)


def search(catalogue: Catalogue, query: PeerQuery, peer: PeerProfile,
           params: ScoringParams, finder: Finder) -> Found:
    """The exact list for ``query``, scoring as few listings as the bound allows.

    In-process, the catalogue's trees answer every look. With a source (PostGIS), the same
    search on the catalogue's positions plans how far to ask; the source is then asked once,
    and the list is made from the listings and distances it returns.
    """
    if finder.in_process:
        return _search(catalogue, query, peer, params, finder)
    plan = _search(catalogue, query, peer, params,
                   Finder(catalogue, query, source=None, today=finder.today))
    # Every listing the plan needed: all within its edge, and the ones (with the peer's
    # interests) it scored beyond, asked for by id in the same query.
    edge = min(query.radius_km, plan.edge_km + _EDGE)
    found = finder.within(edge, also=plan.rows[plan.km > edge])
    scores, picked = scored(catalogue, query, peer, params, found)
    return Found(found[0], found[1], scores, picked, plan.reach_km, edge_km=edge)


def _expected(found: Rows, edge: float, far: float) -> float:
    """About how many listings a look as far as ``far`` would return (density within ``edge``).

    Only decides how far the next look goes: never what the answer is.
    """
    if far <= edge:
        return 0.0
    inside = int(np.count_nonzero(found[1] <= edge))
    if edge <= 0.0:
        return math.inf if inside else 0.0
    return inside * (far / edge) ** 2


def _search(catalogue: Catalogue, query: PeerQuery, peer: PeerProfile,
            params: ScoringParams, finder: Finder) -> Found:
    radius = query.radius_km
    tags = peer.tags
    found, edge, tag_edge = _first(finder, query, peer, params, tags)
    tier = tiered(peer, params)
    exact = False
    looks = 1
    while True:
        scores, picked = scored(catalogue, query, peer, params, found)
        if edge >= radius and tag_edge >= radius:
            break
        if len(picked) == query.depth:
            last = float(scores.score[picked[-1]])
            edges = (edge, tag_edge, radius)
            last_matched = bool(scores.matched[picked[-1]]) if tier else None
            if (last <= _unseen(params, peer, *edges, last_matched=last_matched)
                    and not exact and peer.personalised):
                # The cheap bound was not enough: pay for the best score of any text.
                peer = with_exact_tops(peer, catalogue, params)
                exact = True
            if last > _unseen(params, peer, *edges, last_matched=last_matched):
                break
            # From these distances on nothing can reach `last`; a hair more for rounding.
            need = (edge if last_matched is True else
                    min(radius, params.radius_for(last, peer, tagged=False)
                        * (1 + _MARGIN) + _MARGIN))
            need_tagged = (radius if last_matched is False else
                           min(radius, params.radius_for(last, peer) * (1 + _MARGIN) + _MARGIN))
            if _expected(found, edge, max(need, need_tagged)) < FEW:
                # sparse here: going all the way costs little
                edge, tag_edge = max(edge, need), max(edge, tag_edge, need_tagged)
            else:  # dense: step by step, the list improves on the way and the bound shrinks
                edge = max(edge, min(need, edge * GROWTH + MIN_STEP_KM))
                tag_edge = max(edge, tag_edge,
                               min(need_tagged, tag_edge * GROWTH + MIN_STEP_KM))
        elif _expected(found, edge, radius) < FEW:
            # not full, and sparse: everything in the radius may be needed
            edge = tag_edge = radius
        else:  # not full (filters, the cap) but dense: farther, step by step
            edge = tag_edge = min(radius, max(edge, tag_edge) * 2 * GROWTH + MIN_STEP_KM)
        if tags and tag_edge > edge:
            found = _union([finder.within(edge)]
                           + [finder.within(tag_edge, tag=slug) for slug in tags])
        else:
            edge = tag_edge = max(edge, tag_edge)
            found = finder.within(edge)
        looks += 1
    return Found(found[0], found[1], scores, picked, max(edge, tag_edge), edge_km=edge,
                 looks=looks)


def score_everything(catalogue: Catalogue, query: PeerQuery, peer: PeerProfile,
                     params: ScoringParams, finder: Finder) -> Found:
    """Every open listing in the radius scored: what :func:`search` must equal."""
    found = finder.within(query.radius_km)
    scores, picked = scored(catalogue, query, peer, params, found)
    return Found(found[0], found[1], scores, picked, query.radius_km,
                 edge_km=query.radius_km)


__all__ = [
    "FIRST_LOOK",
    "TAG_LOOK",
    "Finder",
    "Found",
    "score_everything",
    "scored",
    "search",
    "select",
    "tiered",
]
