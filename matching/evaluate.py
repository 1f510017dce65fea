"""Offline evaluation of the ranking against labelled peers and two baselines.

A labelled peer is a :class:`~matching.query.PeerQuery` and the opportunities a person in
their place would accept, with a grade (1 acceptable, 2 a very good fit). The labels must come
from a rule independent of the engine's score (the tests build them from the demo data:
category relevance within a travel limit; see ``tests/test_matching_evaluate.py`` and the
README section "How matching works").

Metrics, averaged over peers:

* precision@k: share of the first k results that are relevant (any grade);
* nDCG@k: discounted cumulative gain ``sum((2**grade - 1) / log2(rank + 1))`` over the first
  k, divided by that of the ideal order of the peer's labels.

Methods: ``engine`` (:meth:`Recommender.recommend`), ``nearest`` (open candidates by distance
only) and ``interest`` (by relevance only), all over the same candidates within the query's
radius.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matching.recommend import METHODS

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from matching.query import PeerQuery
    from matching.recommend import Method
    from matching.recommend import Recommender


@dataclass(frozen=True)
class LabelledPeer:
    """A peer's question and the opportunities they would accept.

    Attributes
    ----------
    name
        For reports (``"meeting 12: gardening"``).
    query
        The question.
    relevant
        Opportunity id -> grade (1 acceptable, 2 very good). Ids not listed are not relevant.
    """

    name: str
    query: PeerQuery
    relevant: Mapping[int, int]


@dataclass(frozen=True)
class MethodScore:
    """Mean metrics of one method over the labelled peers."""

    method: str
    precision: float
    ndcg: float
    peers: int


def precision_at(ranked: Sequence[int], relevant: Mapping[int, int], k: int) -> float:
    """Share of the first ``k`` ranked ids that are relevant (missing ranks count as misses).

    Examples
    --------
    >>> precision_at([1, 2, 3, 4, 5], {1: 1, 4: 2, 9: 1}, 5)
    0.4
    """
    return sum(1 for i in ranked[:k] if relevant.get(i, 0) > 0) / k


def dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain of grades in rank order."""
    return sum((2.0 ** g - 1.0) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg_at(ranked: Sequence[int], relevant: Mapping[int, int], k: int) -> float:
    """Normalised DCG of the first ``k`` ranked ids (0 when nothing is relevant).

    Examples
    --------
    >>> ndcg_at([4, 1], {1: 1, 4: 2}, 10)
    1.0
    >>> round(ndcg_at([1, 4], {1: 1, 4: 2}, 10), 3)
    0.797
    """
    ideal = dcg(sorted((g for g in relevant.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([relevant.get(i, 0) for i in ranked[:k]]) / ideal


def evaluate(
    recommender: Recommender, peers: Sequence[LabelledPeer], *, k_precision: int = 5,
    k_ndcg: int = 10, methods: Sequence[Method] = METHODS,
) -> list[MethodScore]:
    """Mean precision@k and nDCG@k of each method over ``peers``.

    Parameters
    ----------
    recommender
        The engine (its source gives the candidates of every method).
    peers
        Labelled peers; those without any relevant opportunity are skipped (their metrics
        are undefined).
    k_precision, k_ndcg
        Cut-offs.
    methods
        Which of ``engine``, ``nearest``, ``interest``.

    Returns
    -------
    list of MethodScore
        One per method, in the order given.
    """
    usable = [p for p in peers if any(g > 0 for g in p.relevant.values())]
    if not usable:
        msg = "no labelled peer has a relevant opportunity: the metrics are undefined"
        raise ValueError(msg)
    depth = max(k_precision, k_ndcg)
    out = []
    for method in methods:
        precision = ndcg = 0.0
        for peer in usable:
            query = dataclasses.replace(peer.query, limit=depth)
            ranked = recommender.rank(query, method=method)
            precision += precision_at(ranked, peer.relevant, k_precision)
            ndcg += ndcg_at(ranked, peer.relevant, k_ndcg)
        out.append(MethodScore(method, precision / len(usable), ndcg / len(usable),
                               len(usable)))
    return out


def format_table(scores: Sequence[MethodScore], *, k_precision: int = 5,
                 k_ndcg: int = 10) -> str:
    """The scores as a small text table.

    Examples
    --------
    >>> print(format_table([MethodScore("engine", 0.5, 0.61, 12)]))
    method      precision@5   nDCG@10  peers
    engine            0.500     0.610     12
    """
    head = f"{'method':<10}{f'precision@{k_precision}':>13}{f'nDCG@{k_ndcg}':>10}{'peers':>7}"
    lines = [head]
    lines += [f"{s.method:<10}{s.precision:>13.3f}{s.ndcg:>10.3f}{s.peers:>7}" for s in scores]
    return "\n".join(lines)


__all__ = ["LabelledPeer", "MethodScore", "dcg", "evaluate", "format_table", "ndcg_at",
           "precision_at"]
