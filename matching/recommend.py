"""Recommendations: the opportunities worth a peer's time, best first, each with its reasons.

Flow (ARCHITECTURE.md, "Recommend"): origin -> open candidates within the radius from the
source's spatial index -> vectorised score (:mod:`matching.scoring`) -> diversity cap per
association -> ranked results with short human reasons.

The :class:`Recommender` keeps the :class:`~matching.catalogue.Catalogue` (arrays and the
TF-IDF model of every opportunity) in memory and rebuilds it only when the source's
``version()`` changes, never per request. Many processes each keep their own; the version
token keeps them all correct.

Where candidates come from: a source whose ``in_process`` is true (the embedded SQLite store)
lets the catalogue answer radius questions with its own k-d tree, the same index and the same
distances as the store's; otherwise (PostGIS) the radius question goes to the source, once per
request, which pre-filters with its GiST index. Both give the same listings at the same km,
so the same list.

Looking only as far as needed (:mod:`matching.search`): the score of anything ``d`` km away
or more is bounded, so after a first look at the nearest listings (and the nearest with the
peer's interests) the search stops, or looks farther, only as far as the list could still
change. The answer is the same as scoring everything in the radius; it is just much cheaper in
a city.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import numpy as np

from domain.schedule import format_days
from domain.schedule import format_time_range
from matching.catalogue import Catalogue
from matching.query import MAX_DEPTH
from matching.scoring import ScoringParams
from matching.scoring import profile
from matching.scoring import score_rows
from matching.search import Finder
from matching.search import Found
from matching.search import score_everything
from matching.search import scored
from matching.search import search
from matching.taxonomy import term

if TYPE_CHECKING:
    from collections.abc import Hashable

    from numpy.typing import NDArray

    from matching.candidates import CandidateSource
    from matching.query import PeerQuery
    from matching.scoring import PeerProfile
    from matching.scoring import Scores
    from matching.text import Understood

Method = Literal["engine", "nearest", "interest", "tags"]
METHODS: tuple[Method, ...] = ("engine", "nearest", "interest", "tags")
_MAX_REASON_SKILLS = 3
COUNT_LOOKS = (1024, 8192)
"""Nearest listings counted for the total before counting the whole radius."""
COUNT_GUESS = 1536
"""In-process, the total first counts the listings within the distance expected (from the
density the search saw) to hold this many."""


@dataclass(frozen=True)
class Recommendation:
    """One result: what, who, how far, how good, and why."""

    opportunity_id: int
    title: str
    association_id: int
    association: str
    category: str
    distance_km: float | None
    """``None`` for a remote listing (done from anywhere)."""
    score: float
    reasons: tuple[str, ...]
    lat: float
    lon: float
    interests: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    places_left: int | None = None
    starts_on: str | None = None
    """ISO date when the listing has not started yet (it starts within 30 days)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ARCHITECTURE.md (plus ids, interests, skills, places)."""
        return {
            "opportunity_id": self.opportunity_id, "title": self.title,
            "association": self.association, "association_id": self.association_id,
            "category": self.category, "distance_km": self.distance_km,
            "score": self.score, "reasons": list(self.reasons), "lat": self.lat,
            "lon": self.lon, "interests": list(self.interests), "skills": list(self.skills),
            "places_left": self.places_left, "starts_on": self.starts_on,
        }


@dataclass(frozen=True)
class Recommendations:
    """The answer to one query."""

    query: PeerQuery
    results: list[Recommendation]
    interests_used: tuple[str, ...] = ()
    """Interests the score used: the ones chosen, then those spotted in the text."""
    searched_km: float = 0.0
    """How far the search had to look (at most the radius)."""
    candidates: int = 0
    """Open listings scored."""
    looks: int = 1
    """Searches made (1: the first look settled the list)."""
    understood: tuple[Understood, ...] = ()
    """Interests understood from the text, with the words each came from."""
    total: int | None = None
    """How many listings the whole list could show (when ``query.with_total``)."""
    remote: list[Recommendation] = dataclasses.field(default_factory=list)
    """Remote listings (online, from home): their own group, best first, no distances; on
    the first page only."""

    @property
    def first(self) -> int:
        """Rank of the first result of this page (1-based)."""
        return (self.query.page - 1) * self.query.limit + 1

    @property
    def more(self) -> bool:
        """Whether a next page may have results."""
        if self.total is not None:
            return self.first - 1 + len(self.results) < self.total
        return len(self.results) == self.query.limit

    def extras(self) -> dict[str, Any]:
        """What the JSON answer adds to ``results``: understanding, paging, remote group.

        ``understood``: ``[{"interest", "label", "from", "related"}]``; ``page``,
        ``page_size``, ``total`` (``None`` unless counted), ``remote``: results without
        distances.
        """
        return {
            "understood": [u.to_dict() | {"label": term(u.slug).label} for u in self.understood],
            "page": self.query.page, "page_size": self.query.limit, "total": self.total,
            "remote": [r.to_dict() for r in self.remote],
        }


class Recommender:
    """Ranks opportunities for peers from a :class:`~matching.candidates.CandidateSource`.

    Parameters
    ----------
    source
        Where candidates come from (``store.candidates.StoreCandidates`` in the service).
    params
        The constants of the score.
    """

    def __init__(self, source: CandidateSource, *, params: ScoringParams | None = None) -> None:
        self.source = source
        self.params = params or ScoringParams()
        self.in_process = bool(getattr(source, "in_process", False))
        self._catalogue: Catalogue | None = None
        self._lock = threading.Lock()
        self.builds = 0
        """How many times the catalogue was built (for tests and monitoring)."""

    # -- the cached catalogue --------------------------------------------------------------

    def catalogue(self) -> Catalogue:
        """The current catalogue: rebuilt only when the source's version changed."""
        version = self.source.version()
        current = self._catalogue
        if current is not None and current.version == version:
            return current
        with self._lock:
            current = self._catalogue
            if current is not None and current.version == version:
                return current
            # Version first, then data: a write in between makes the next call rebuild again.
            built = Catalogue(self.source.opportunities(), version=version, spatial=True)
            self._catalogue = built
            self.builds += 1
            return built

    def finder(self, catalogue: Catalogue, query: PeerQuery) -> Finder:
        """Where this query's candidates come from: the catalogue's trees or the source."""
        return Finder(catalogue, query, source=None if self.in_process else self.source)

    # -- the engine ------------------------------------------------------------------------

    def recommend(self, query: PeerQuery) -> Recommendations:
        """The best ``query.limit`` open opportunities for the peer, with reasons.

        Ties are broken by distance, then id, so every source over the same data gives the
        same list.

        With a source that reads its version token with its radius answer
        (``versioned_within``: PostGIS), the request is answered from the catalogue in
        memory and the token of that one answer checks it: one round trip. When the token
        moved (a write since the catalogue was built), the catalogue is rebuilt and the
        request answered again, so a writer's next request sees its write.
        """
        current = self._catalogue
        if (self.in_process or current is None
                or getattr(self.source, "versioned_within", None) is None):
            return self._answer(self.catalogue(), query)[0]
        answer, seen = self._answer(current, query)
        if seen is None:  # the source was not asked (remote listings only)
            seen = self.source.version()
        if seen == current.version:
            return answer
        return self._answer(self.catalogue(), query)[0]

    def _answer(self, catalogue: Catalogue, query: PeerQuery
                ) -> tuple[Recommendations, Hashable]:
        """The answer from ``catalogue``, and the source's token read with it (or ``None``)."""
        org = query.origin.organisation_id
        linked = self.source.linked_associations(org) if org is not None else frozenset()
        peer = profile(query, catalogue, linked=linked, params=self.params)
        finder = self.finder(catalogue, query)
        remote = (self._remote(catalogue, query, peer, finder)
                  if query.filters.remote is not False and query.page == 1 else [])
        if query.filters.remote is True:
            return Recommendations(query=query, results=[], interests_used=peer.tags,
                                   understood=peer.understood, remote=remote,
                                   total=0 if query.with_total else None), None
        found = search(catalogue, query, peer, self.params, finder)
        rows, km, scores = found.rows, found.km, found.scores
        page = found.picked[(query.page - 1) * query.limit:]
        results = [self._result(catalogue, query, peer, rows=rows, km=km, scores=scores, i=i,
                                today=finder.today) for i in page]
        total = self._total(catalogue, query, finder, found) if query.with_total else None
        return Recommendations(query=query, results=results, interests_used=peer.tags,
                               searched_km=found.reach_km, candidates=len(rows),
                               looks=found.looks, understood=peer.understood, total=total,
                               remote=remote), finder.version_seen

    def _remote(self, catalogue: Catalogue, query: PeerQuery, peer: PeerProfile,
                finder: Finder) -> list[Recommendation]:
        """The best remote listings: scored as if at the door (no distance), same order rules."""
        if not catalogue.remote_rows.size:
            return []
        rows, km = finder.allowed((catalogue.remote_rows, np.zeros(catalogue.remote_rows.size)))
        if not rows.size:
            return []
        scores, picked = scored(catalogue, dataclasses.replace(query, page=1), peer,
                                self.params, (rows, km))
        return [self._result(catalogue, query, peer, rows=rows, km=km, scores=scores, i=i,
                             remote=True, today=finder.today) for i in picked]

    @staticmethod
    def _count(catalogue: Catalogue, query: PeerQuery, rows: NDArray[np.intp]) -> int:
        """How many of ``rows`` a list can show: at most ``per_association`` of each."""
        if query.association_id is not None:
            return len(rows)
        _, counts = np.unique(catalogue.association_id[rows], return_counts=True)
        return min(int(np.minimum(counts, query.per_association).sum()), MAX_DEPTH)

    def _total(self, catalogue: Catalogue, query: PeerQuery, finder: Finder,
               found: Found) -> int:
        """How many listings the whole list could show, looking no farther than needed.

        Counting a part of the radius gives at most the total; once that part reaches
        :data:`MAX_DEPTH` (the cap of the total) the rest need not be looked at. The same
        number as counting every listing in the radius. Counted on the catalogue's own
        positions whatever the source: the listings and km a source answers from the same
        data (its version token checks that), without asking it for thousands more rows.
        """
        if found.edge_km >= query.radius_km:
            return self._count(catalogue, query, found.rows)
        local = (finder if finder.in_process
                 else Finder(catalogue, query, source=None, today=finder.today))
        if query.association_id is None:
            if self._count(catalogue, query, found.rows) >= MAX_DEPTH:
                return MAX_DEPTH
            # First as far as the density seen says holds COUNT_GUESS listings: a radius
            # question is cheaper than the same number of nearest ones.
            inside = int(np.count_nonzero(found.km <= found.edge_km))
            if inside and found.edge_km > 0:
                far = found.edge_km * math.sqrt(COUNT_GUESS / inside)
                if far < query.radius_km and self._count(
                        catalogue, query, local.within(far)[0]) >= MAX_DEPTH:
                    return MAX_DEPTH
            for k in COUNT_LOOKS:
                (rows, _), edge = local.nearest(k)
                if edge >= query.radius_km or (
                        self._count(catalogue, query, rows) >= MAX_DEPTH):
                    return self._count(catalogue, query, rows)
        return self._count(catalogue, query, local.within(query.radius_km)[0])

    def score_everything(self, query: PeerQuery) -> Found:
        """Every open listing in the radius scored and the list picked, without early stop.

        What :meth:`recommend` must equal (for tests and benchmarks).
        """
        catalogue = self.catalogue()
        org = query.origin.organisation_id
        linked = self.source.linked_associations(org) if org is not None else frozenset()
        peer = profile(query, catalogue, linked=linked, params=self.params)
        return score_everything(catalogue, query, peer, self.params,
                                self.finder(catalogue, query))

    def rank(self, query: PeerQuery, *, method: Method = "engine") -> list[int]:
        """Opportunity ids, best first, by the engine or a baseline (for evaluation).

        ``nearest`` orders the same open candidates by distance only; ``interest`` by
        relevance only (ties by id); ``tags`` is the two-line rule "shares an interest with
        the peer, then nearest" (the interests the engine understood). Baselines have no
        diversity cap and no boosts.
        """
        if method == "engine":
            return [r.opportunity_id for r in self.recommend(query).results]
        if method not in METHODS:
            msg = f"method={method!r} is not known; use one of {', '.join(METHODS)}"
            raise ValueError(msg)
        catalogue = self.catalogue()
        peer = profile(query, catalogue, params=self.params)
        rows, km = self.finder(catalogue, query).within(query.radius_km)
        ids = catalogue.ids[rows]
        if method == "nearest":
            order = np.lexsort((ids, km))
        elif method == "tags":
            shares = (catalogue.tags[rows] & peer.tag_bits) != 0
            order = np.lexsort((ids, km, ~shares))
        else:
            scores = score_rows(catalogue, rows, km, peer, self.params)
            order = np.lexsort((ids, -scores.relevance))
        best: list[int] = ids[order[: query.limit]].tolist()
        return best

    # -- reasons ---------------------------------------------------------------------------

    def _result(
        self, catalogue: Catalogue, query: PeerQuery, peer: PeerProfile, *,
        rows: NDArray[np.intp], km: NDArray[np.float64], scores: Scores, i: int,
        remote: bool = False, today: int,
    ) -> Recommendation:
        p = int(rows[i])
        info = catalogue.row(p)
        reasons = (["remote: from home or online"] if remote
                   else [f"{km[i]:.1f} km from {query.origin.label}"])
        shared = [s for s in peer.tags if s in catalogue.interests[p]]
        if shared:
            heard = {u.slug: u.phrase for u in peer.understood}
            reasons.append("matches: " + ", ".join(
                term(s).label.lower() + (f" (from '{heard[s]}')" if s in heard else "")
                for s in shared))
        elif query.text.strip() and scores.text[i] > 0:
            matched = catalogue.text.matched_words([p], query.text)[0]
            if matched:
                reasons.append("matches your words: " + ", ".join(matched[:4]))
        if scores.linked[i]:
            reasons.append(f"{info['association']} already works with your group")
        skills = list(catalogue.skills[p])
        if skills:
            if scores.skill_match[i] and query.text.strip():
                said = set(catalogue.text.matched_words([p], query.text)[0])
                first = [s for s in skills if said & set(s.lower().split())]
                skills = first + [s for s in skills if s not in first]
            reasons.append("you can learn: " + ", ".join(skills[:_MAX_REASON_SKILLS]))
        if peer.days_mask or peer.windows:
            reasons.append(self._schedule_reason(catalogue, p, float(scores.schedule[i])))
        left = info["places_left"]
        if left is not None:
            reasons.append(f"{left} place{'s' if left != 1 else ''} left")
        starts = catalogue.starts(p, today)
        if starts is not None:
            reasons.append(f"starts {starts.day} {starts:%b}")
        return Recommendation(
            opportunity_id=info["opportunity_id"], title=info["title"],
            association_id=info["association_id"], association=info["association"],
            category=info["category"], distance_km=None if remote else float(km[i]),
            score=float(scores.score[i]), reasons=tuple(reasons), lat=info["lat"],
            lon=info["lon"], interests=tuple(info["interests"]), skills=tuple(info["skills"]),
            places_left=left, starts_on=None if starts is None else starts.isoformat(),
        )

    def _schedule_reason(self, catalogue: Catalogue, p: int, fit: float) -> str:
        if catalogue.flexible[p]:
            return "flexible: fits around your week"
        mask = int(catalogue.weekdays[p])
        start, end = int(catalogue.start_min[p]), int(catalogue.end_min[p])
        when = format_days([d for d in range(7) if mask >> d & 1], sep=" & ") or "any day"
        if start >= 0 and end > start:
            when += f" {format_time_range(start, end)}"
        if fit >= 1.0:
            return f"fits your week: {when}"
        return f"not quite your days or times: {when}"


__all__ = ["METHODS", "Recommendation", "Recommendations", "Recommender"]
