"""The score of an opportunity for a peer, vectorised over candidate rows.

::

    score = relevance' x decay(d) x boosts x schedule

    relevance' = floor + (1 - floor) x relevance       (1 when the peer said nothing)
    relevance  = w x tags + (1 - w) x text             (text alone when no tag is known)
    matched    = shares an interest (chosen or understood) with the peer: with interests,
                 every matched listing ranks above every unmatched one
    tags       = min(1, shared tags / min(peer tags, 2))
    text       = cosine of TF-IDF vectors (peer words + their interests' words, listing text)
    decay(d)   = 2 ** (-d / half_km)                   (halves every ``half_km``)
    boosts     = link x learn x skill x places         (each 1 when it does not apply)
    schedule   = 1 fits (or flexible, or no days/times given) | partial | miss

The defaults are :class:`ScoringParams`. Every factor is positive, the decay is strictly
decreasing and the rest does not depend on distance, so at equal relevance nearer always
ranks higher, and at equal distance more relevant always ranks higher.

A bound for early stopping: for one peer, ``relevance'`` is at most what the best listing of
the whole catalogue could reach (:attr:`PeerProfile.top_weight`: the most tags any listing
shares, the largest TF-IDF weight of each of the peer's words) and the boosts at most
:meth:`ScoringParams.max_boost`; so a candidate at ``d`` km or more scores at most
``top_weight x max_boost x decay(d)``. The recommender stops looking once that is below the
last score of its list. When that cheap product is not enough, :mod:`matching.bounds` gives
the best ``relevance' x boosts`` of any text of the catalogue (:attr:`PeerProfile.top_score`),
usually much lower, since the best cosine, the most tags and every boost rarely meet in one
listing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from matching.catalogue import tag_mask
from matching.taxonomy import term
from matching.text import Understood
from matching.text import analyse
from matching.text import understand

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matching.catalogue import Catalogue
    from matching.query import PeerQuery


_ROWS_PER_TEXT = 4
"""Scoring more than one row x query word per this many distinct texts: the cosines of all
texts at once (one pass over the query's columns) beat looking the rows up."""


@dataclass(frozen=True)
class ScoringParams:
    """The documented constants of the score.

    Attributes
    ----------
    half_km
        Distance over which the decay halves: 10 km; at the default 15 km radius the edge
        weighs 0.35 of the doorstep. (5 km, the first choice, let a weak match next door beat
        what the peer asked for two bus stops further; measured on the frozen evaluation sets,
        README "Evaluation".)
    tag_weight
        Share of relevance from shared interest tags (the rest is text similarity). Shared
        interests already put a listing in the first group (``matched_first``); within it the
        peer's own words tell listings apart.
    relevance_floor
        Relevance of a listing that matches nothing the peer said: it can still appear, after
        the ones that match.
    link_boost
        The association already has an active mutual-interest link with the peer's group.
    learn_boost
        The listing names skills a peer can learn.
    skill_match_boost
        On top of ``learn_boost``: one of those skills is something the peer wrote.
    places_boost
        Open with places left (or no stated capacity).
    schedule_partial, schedule_miss
        Multipliers when only the day or only the time fits, or neither.
    """

    half_km: float = 10.0
    tag_weight: float = 0.4
    relevance_floor: float = 0.1
    link_boost: float = 1.25
    learn_boost: float = 1.1
    skill_match_boost: float = 1.1
    places_boost: float = 1.1
    schedule_partial: float = 0.6
    schedule_miss: float = 0.3
    matched_first: bool = True
    """When the peer has interests (chosen or understood), a listing sharing one always
    ranks above one sharing none; the score orders within each group."""
    expand_understood: bool = False
    """Add the label and synonyms of understood interests to the peer's words (as for
    chosen ones)."""

    def __post_init__(self) -> None:
        """Keep the guarantees of the module docstring true."""
        if not self.half_km > 0:
            msg = f"half_km={self.half_km!r} must be positive"
            raise ValueError(msg)
        if not 0.0 < self.relevance_floor < 1.0 or not 0.0 <= self.tag_weight <= 1.0:
            msg = "relevance_floor must be in (0, 1) and tag_weight in [0, 1]"
            raise ValueError(msg)
        if min(self.link_boost, self.learn_boost, self.skill_match_boost,
               self.places_boost) < 1.0:
            msg = "boosts must be at least 1"
            raise ValueError(msg)
        if not 0.0 < self.schedule_miss <= self.schedule_partial <= 1.0:
            msg = "need 0 < schedule_miss <= schedule_partial <= 1"
            raise ValueError(msg)

    def decay(self, km: NDArray[np.float64] | float) -> NDArray[np.float64]:
        """``2 ** (-km / half_km)``."""
        return np.exp2(-np.asarray(km, dtype=np.float64) / self.half_km)

    def max_boost(self, peer: PeerProfile) -> float:
        """The largest product of boosts any listing can get for this peer."""
        boost = self.learn_boost * self.places_boost
        if peer.linked.size:
            boost *= self.link_boost
        if peer.skill_cols.size:
            boost *= self.skill_match_boost
        return boost

    def top(self, peer: PeerProfile, *, tagged: bool = True) -> float:
        """The highest score any listing can reach before its decay (see :meth:`bound`)."""
        top = (peer.top_weight if tagged else peer.top_untagged) * self.max_boost(peer)
        exact = peer.top_score if tagged else peer.top_untagged_score
        return top if exact is None else min(top, exact)

    def bound(self, km: float, peer: PeerProfile, *, tagged: bool = True) -> float:
        """The highest score a listing at ``km`` or farther can reach.

        With ``tagged=False``: a listing that shares none of the peer's interests.
        """
        return float(self.top(peer, tagged=tagged) * self.decay(km))

    def radius_for(self, score: float, peer: PeerProfile, *, tagged: bool = True) -> float:
        """The distance from which no listing (see :meth:`bound`) can score ``score``."""
        top = self.top(peer, tagged=tagged)
        if score >= top:
            return 0.0
        return self.half_km * math.log2(top / score)


@dataclass(frozen=True)
class PeerProfile:
    """What the score needs of a query, resolved against one catalogue."""

    tags: tuple[str, ...]
    """Chosen interests, then those spotted in the text."""
    tag_bits: np.uint64
    personalised: bool
    query: tuple[NDArray[np.int64], NDArray[np.float64]]
    """TF-IDF vector of the peer's words and their interests' words."""
    skill_cols: NDArray[np.int64]
    """Vocabulary columns of the peer's own words (for skills they want to learn)."""
    linked: NDArray[np.int64]
    """Associations linked to the peer's group, sorted."""
    days_mask: int
    windows: tuple[tuple[int, int], ...]
    top_weight: float = 1.0
    """The largest ``relevance'`` any listing of the catalogue can have for this peer."""
    top_untagged: float = 1.0
    """The same, for listings that share none of the peer's interests."""
    top_score: float | None = None
    """When known (:func:`matching.bounds.with_exact_tops`): the largest ``relevance' x
    boosts`` any listing can have, tighter than ``top_weight x max_boost``."""
    top_untagged_score: float | None = None
    """The same, for listings that share none of the peer's interests."""
    understood: tuple[Understood, ...] = ()
    """Interests understood from the text (not chosen, not removed), with their words."""
    memo: dict[str, NDArray[np.float64]] = dataclasses.field(
        default_factory=dict, compare=False, repr=False)
    """Per-request memo: the cosine of every distinct text with :attr:`query`, once a search
    has scored enough rows that computing it for all is the cheaper way."""

    def cosines(self, catalogue: Catalogue, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """The text cosine of ``rows`` with :attr:`query` (the same bits either way)."""
        full = self.memo.get("cosines")
        if full is None and (len(rows) * len(self.query[0]) * _ROWS_PER_TEXT
                             >= catalogue.text.n_distinct):
            full = self.text_cosines(catalogue)
        if full is None:
            return catalogue.text.cosine(rows, self.query)
        return full[catalogue.text.codes[rows]]

    def text_cosines(self, catalogue: Catalogue) -> NDArray[np.float64]:
        """The cosine of every distinct text with :attr:`query` (remembered per request)."""
        full = self.memo.get("cosines")
        if full is None:
            full = self.memo["cosines"] = catalogue.text.cosines(self.query)
        return full

    def skill_matches(self, catalogue: Catalogue) -> NDArray[np.float64]:
        """Per distinct skills text: above 0 when it holds one of :attr:`skill_cols`."""
        found = self.memo.get("skills")
        if found is None:
            found = self.memo["skills"] = np.asarray(
                catalogue.skill_matrix[:, self.skill_cols].sum(axis=1),
                dtype=np.float64).ravel()
        return found

    def cosine_max(self, catalogue: Catalogue) -> float:
        """The best text cosine of any listing (:meth:`TextModel.cosine_max`)."""
        if not len(self.query[0]) or not catalogue.text.n_distinct:
            return 0.0
        full = self.memo.get("cosines")
        if full is None:
            return catalogue.text.cached_cosine_max(self.query)
        return float(min(1.0, float(np.max(full))))


def profile(
    query: PeerQuery, catalogue: Catalogue, *, linked: frozenset[int] = frozenset(),
    params: ScoringParams | None = None,
) -> PeerProfile:
    """Resolve a query against a catalogue's vocabulary."""
    params = params or ScoringParams()
    tags = list(query.interests)
    understood = tuple(u for u in understand(query.text)
                       if u.slug not in tags and u.slug not in query.ignore)
    tags += [u.slug for u in understood]
    words = [query.text]
    expand = tags if params.expand_understood else query.interests
    for slug in expand:
        t = term(slug)
        words += [t.label, *t.synonyms]
    vocab = catalogue.text.vocabulary
    own = sorted({vocab[s] for s in analyse(query.text) if s in vocab})
    vector = catalogue.text.cached_vector(" ".join(words))
    peer = PeerProfile(
        tags=tuple(tags), tag_bits=tag_mask(tags), personalised=query.personalised,
        query=vector, skill_cols=np.asarray(own, dtype=np.int64),
        linked=np.asarray(sorted(linked), dtype=np.int64),
        days_mask=sum(1 << d for d in query.days), windows=tuple(query.times),
        understood=understood,
    )
    return with_tops(peer, catalogue, params, text_top=catalogue.text.cosine_bound(vector))


def with_tops(
    peer: PeerProfile, catalogue: Catalogue, params: ScoringParams, *, text_top: float
) -> PeerProfile:
    """``peer`` with :attr:`PeerProfile.top_weight` and ``top_untagged`` set.

    ``text_top`` bounds the text cosine of any listing: ``TextModel.cosine_bound`` is cheap,
    ``TextModel.cosine_max`` exact.
    """
    if not peer.personalised:
        return dataclasses.replace(peer, top_weight=1.0, top_untagged=1.0)
    floor = params.relevance_floor
    rel_top = rel_untagged = text_top
    if peer.tags:
        shared = int(np.bitwise_count(catalogue.tag_sets & peer.tag_bits).max(initial=0))
        tag_top = min(1.0, shared / min(len(peer.tags), 2))
        rel_top = params.tag_weight * tag_top + (1.0 - params.tag_weight) * text_top
        rel_untagged = (1.0 - params.tag_weight) * text_top
    return dataclasses.replace(
        peer, top_weight=floor + (1.0 - floor) * min(1.0, rel_top),
        top_untagged=floor + (1.0 - floor) * min(1.0, rel_untagged))


@dataclass(frozen=True)
class Scores:
    """Every factor of the score for some candidate rows (arrays of one length)."""

    score: NDArray[np.float64]
    relevance: NDArray[np.float64]
    shared_tags: NDArray[np.int64]
    text: NDArray[np.float64]
    decay: NDArray[np.float64]
    boost: NDArray[np.float64]
    linked: NDArray[np.bool_]
    skill_match: NDArray[np.bool_]
    schedule: NDArray[np.float64]
    matched: NDArray[np.bool_]
    """Shares an interest with the peer (all true when the peer has none)."""


def relevance(
    catalogue: Catalogue, rows: NDArray[np.intp], peer: PeerProfile, params: ScoringParams
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Relevance in [0, 1], shared tag counts and text cosine of ``rows``."""
    text = peer.cosines(catalogue, rows)
    shared = np.bitwise_count(catalogue.tags[rows] & peer.tag_bits).astype(np.int64)
    if not peer.personalised:
        return np.ones(len(rows)), shared, text
    if peer.tags:
        tags = np.minimum(1.0, shared / min(len(peer.tags), 2))
        return params.tag_weight * tags + (1.0 - params.tag_weight) * text, shared, text
    return text, shared, text


def schedule_fit(
    catalogue: Catalogue, rows: NDArray[np.intp], peer: PeerProfile, params: ScoringParams
) -> NDArray[np.float64]:
    """1 where the listing fits the peer's days and times, else partial or miss."""
    return week_fit(catalogue, rows, peer.days_mask, peer.windows, params)


def week_fit(
    catalogue: Catalogue, rows: NDArray[np.intp], days_mask: int,
    windows: tuple[tuple[int, int], ...], params: ScoringParams,
) -> NDArray[np.float64]:
    """:func:`schedule_fit` for a weekday bitmask and time windows."""
    if not days_mask and not windows:
        return np.ones(len(rows))
    weekdays = catalogue.weekdays[rows]
    start = catalogue.start_min[rows].astype(np.int32)
    end = catalogue.end_min[rows].astype(np.int32)
    timed = (start >= 0) & (end > start)
    anytime = catalogue.flexible[rows] | ((weekdays == 0) & ~timed)
    day_ok = (days_mask == 0) | (weekdays == 0) | ((weekdays & days_mask) != 0)
    time_ok = ~timed
    if windows:
        for w_start, w_end in windows:
            time_ok = time_ok | ((start < w_end) & (end > w_start))
    else:
        time_ok = np.ones(len(rows), dtype=bool)
    return np.where(anytime | (day_ok & time_ok), 1.0,
                    np.where(day_ok | time_ok, params.schedule_partial, params.schedule_miss))


def score_rows(
    catalogue: Catalogue, rows: NDArray[np.intp], km: NDArray[np.float64], peer: PeerProfile,
    params: ScoringParams,
) -> Scores:
    """Score candidate ``rows`` (catalogue positions) at distances ``km``."""
    rel, shared, text = relevance(catalogue, rows, peer, params)
    floor = params.relevance_floor
    weight = floor + (1.0 - floor) * rel if peer.personalised else np.ones(len(rows))
    decay = params.decay(km)
    linked = (np.isin(catalogue.association_id[rows], peer.linked) if peer.linked.size
              else np.zeros(len(rows), dtype=bool))
    if peer.skill_cols.size:
        skill_match = peer.skill_matches(catalogue)[catalogue.skill_codes[rows]] > 0
    else:
        skill_match = np.zeros(len(rows), dtype=bool)
    boost = (np.where(linked, params.link_boost, 1.0)
             * np.where(catalogue.has_skills[rows], params.learn_boost, 1.0)
             * np.where(skill_match & catalogue.has_skills[rows], params.skill_match_boost, 1.0)
             * np.where(catalogue.has_places[rows], params.places_boost, 1.0))
    sched = schedule_fit(catalogue, rows, peer, params)
    matched = shared > 0 if peer.tags else np.ones(len(rows), dtype=bool)
    return Scores(score=weight * decay * boost * sched, relevance=rel, shared_tags=shared,
                  text=text, decay=decay, boost=boost, linked=linked,
                  skill_match=skill_match & catalogue.has_skills[rows], schedule=sched,
                  matched=matched)


__all__ = ["PeerProfile", "Scores", "ScoringParams", "profile", "relevance", "schedule_fit",
           "score_rows", "week_fit", "with_tops"]
