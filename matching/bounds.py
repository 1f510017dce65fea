"""The best score any listing could reach for a peer before its distance decay, per text.

The early stop of :mod:`matching.search` needs, for one peer, a number no listing's
``weight x boosts x schedule`` (its score without ``decay``) exceeds. The cheap bound multiplies
separate maxima: the most tags any listing shares, the best text cosine of any listing, and
every boost. Those rarely meet in one listing (at 1M, 0.92 against a true best of 0.68 for
"trees and woods"), and since the decay only halves every ``half_km``, a bound 1.35x too high
sends the search 4 km too far (25,000 listings scored instead of 2,000).

:func:`with_exact_tops` takes the maximum over the distinct texts instead. What the score
reads of a listing is its text (the cosine), its tags, whether it names skills and which,
its association (the link boost) and its days and times. Per distinct text, over the listings
that may be recommended near a place, :class:`TextGroups` keeps the union of their tags,
whether any names skills, and their skills' text (when they share one). A text's bound uses
its exact cosine, the tags it shares at most, and a boost only where some listing of it can
get one; the link boost and the schedule (at most 1) are taken at their best. Texts with no
word of the peer's (cosine 0) are bounded by groups of equal tags and skills, so the work is
proportional to the texts that hold the peer's words.

Every listing's ``weight x boosts x schedule`` is at most its text's bound, so the answer
stays the one that scoring every listing in the radius gives; the bound is only tighter.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matching.catalogue import Catalogue
    from matching.scoring import PeerProfile
    from matching.scoring import ScoringParams

_SLACK = 1e-9
"""Relative headroom: the bound is computed in another order than the score's products."""
_MIXED = -1
"""Skill code of a text whose listings name different skills (assume any of them matches)."""
_CACHE = 4096


@dataclass(frozen=True)
class TextGroups:
    """Per distinct text, what its recommendable listings share (see the module docstring).

    Attributes
    ----------
    present
        Some open listing with places left, not remote, has this text.
    tags
        Union of the tag masks of those listings.
    learn
        Some of them name skills.
    skill
        The skills' text code (``Catalogue.skill_codes``) of those naming skills, when they
        all share one, else -1.
    group
        Text -> group of equal ``(tags, learn)`` among present texts (-1 when not present).
    group_tags, group_learn, group_size
        Per group: its tags, its ``learn``, its number of present texts.
    """

    present: NDArray[np.bool_]
    tags: NDArray[np.uint64]
    learn: NDArray[np.bool_]
    skill: NDArray[np.int64]
    group: NDArray[np.int64]
    group_tags: NDArray[np.uint64]
    group_learn: NDArray[np.bool_]
    group_size: NDArray[np.int64]

    @classmethod
    def of(cls, text_codes: NDArray[np.int64], n_texts: int, *, rows: NDArray[np.intp],
           tags: NDArray[np.uint64], has_skills: NDArray[np.bool_],
           skill_codes: NDArray[np.int64]) -> TextGroups:
        """Gather ``rows`` (the recommendable listings) by text."""
        codes = text_codes[rows]
        present = np.bincount(codes, minlength=n_texts)[:n_texts] > 0
        union = np.zeros(n_texts, dtype=np.uint64)
        np.bitwise_or.at(union, codes, tags[rows])
        skilled = has_skills[rows]
        learn = np.zeros(n_texts, dtype=bool)
        learn[codes[skilled]] = True
        low = np.full(n_texts, np.iinfo(np.int64).max, dtype=np.int64)
        high = np.full(n_texts, -1, dtype=np.int64)
        np.minimum.at(low, codes[skilled], skill_codes[rows][skilled])
        np.maximum.at(high, codes[skilled], skill_codes[rows][skilled])
        skill = np.where(learn & (low == high), high, _MIXED)
        group = np.full(n_texts, -1, dtype=np.int64)
        keys = np.stack([union[present], learn[present].astype(np.uint64)], axis=1)
        if len(keys):
            unique, inverse = np.unique(keys, axis=0, return_inverse=True)
            group[present] = inverse.reshape(-1)
        else:
            unique = np.zeros((0, 2), dtype=np.uint64)
        return cls(present=present, tags=union, learn=learn, skill=skill, group=group,
                   group_tags=unique[:, 0].copy(), group_learn=unique[:, 1].astype(bool),
                   group_size=np.bincount(group[present], minlength=len(unique)))


def _weights(params: ScoringParams, peer: PeerProfile, tags: NDArray[np.uint64],
             cosine: NDArray[np.float64] | float) -> tuple[NDArray[np.float64],
                                                           NDArray[np.float64]]:
    """``weight`` at most (any listing, then one sharing no interest of the peer)."""
    floor = params.relevance_floor
    if peer.tags:
        shared = np.bitwise_count(tags & peer.tag_bits).astype(np.float64)
        share = np.minimum(1.0, shared / min(len(peer.tags), 2))
        rel = params.tag_weight * share + (1.0 - params.tag_weight) * cosine
        rel_untagged = (1.0 - params.tag_weight) * cosine + np.zeros(len(tags))
    else:
        rel = rel_untagged = cosine + np.zeros(len(tags))
    return floor + (1.0 - floor) * rel, floor + (1.0 - floor) * rel_untagged


def _boosts(params: ScoringParams, peer: PeerProfile, learn: NDArray[np.bool_],
            skill_match: NDArray[np.bool_]) -> NDArray[np.float64]:
    base = params.places_boost * (params.link_boost if peer.linked.size else 1.0)
    return (base * np.where(learn, params.learn_boost, 1.0)
            * np.where(learn & skill_match, params.skill_match_boost, 1.0))


def exact_tops(catalogue: Catalogue, peer: PeerProfile,
               params: ScoringParams) -> tuple[float, float]:
    """The best ``weight x boosts`` of any listing, then of any sharing no interest.

    Over the recommendable listings, each with a hair of headroom; ``peer`` must be
    personalised.
    """
    groups = catalogue.text_groups
    full = peer.text_cosines(catalogue)
    texts = np.flatnonzero((full != 0.0) & groups.present)
    best = best_untagged = 0.0
    if texts.size:
        weight, weight_untagged = _weights(params, peer, groups.tags[texts], full[texts])
        learn = groups.learn[texts]
        if peer.skill_cols.size:
            per_skill = peer.skill_matches(catalogue)
            skill = groups.skill[texts]
            match = (skill == _MIXED) | (per_skill[np.maximum(skill, 0)] > 0)
        else:
            match = np.zeros(texts.size, dtype=bool)
        boost = _boosts(params, peer, learn, match)
        best = float(np.max(weight * boost))
        best_untagged = float(np.max(weight_untagged * boost))
    # The other texts (no word of the peer's): by groups of equal tags and skills.
    rest = np.flatnonzero(groups.group_size > np.bincount(
        groups.group[texts], minlength=len(groups.group_size)))
    if rest.size:
        weight, weight_untagged = _weights(params, peer, groups.group_tags[rest], 0.0)
        boost = _boosts(params, peer, groups.group_learn[rest],
                        np.full(rest.size, bool(peer.skill_cols.size)))
        best = max(best, float(np.max(weight * boost)))
        best_untagged = max(best_untagged, float(np.max(weight_untagged * boost)))
    return best * (1.0 + _SLACK), best_untagged * (1.0 + _SLACK)


def with_exact_tops(peer: PeerProfile, catalogue: Catalogue,
                    params: ScoringParams) -> PeerProfile:
    """``peer`` with its ``top_score`` and ``top_untagged_score`` from :func:`exact_tops`.

    Remembered per question (forgotten with the text caches).
    """
    if not peer.personalised:
        return peer
    key: Any = (peer.query[0].tobytes(), peer.query[1].tobytes(), int(peer.tag_bits),
                len(peer.tags), peer.skill_cols.tobytes(), bool(peer.linked.size), params)
    memo = catalogue.text.bounds
    found = memo.get(key)
    if found is None:
        found = exact_tops(catalogue, peer, params)
        if len(memo) >= _CACHE:
            memo.clear()
        memo[key] = found
    return dataclasses.replace(peer, top_score=found[0], top_untagged_score=found[1])


__all__ = ["TextGroups", "exact_tops", "with_exact_tops"]
