"""Offline evaluation: the engine and its baselines on labelled requests, with intervals.

A labelled peer is a :class:`~matching.query.PeerQuery` and the listings a person in their
place would accept, graded (0 not relevant ... 3 what they asked for). The labels must not come
from the engine's own tag map. The two frozen sets under ``tests/data/eval/`` (see its README)
are read by :func:`read_set`:

* ``everyday``: 65 everyday requests ("I like being outdoors near water") judged by hand
  against the demo data's need templates, each asked from 15 towns;
* ``trafford``: 30 everyday requests against 879 real Trafford associations, judged by fields
  the engine never sees (a sports club's sport, the source file), each asked from the 21
  Trafford wards.

The travel limit of the labels is the search radius: a listing counts as relevant for one
origin only if it lies within the radius of that origin.

Metrics, per labelled peer (an origin of a request):

* precision@k: share of the first k results that are relevant (any grade > 0);
* nDCG@k: ``sum((2**grade - 1) / log2(rank + 1))`` over the first k, divided by that of the
  ideal order of the peer's labels.

When a set leaves some listings unjudged (Trafford's charities), they are removed from each
ranked list before the metrics (condensed lists, Sakai 2007): an unjudged listing neither
helps nor hurts.

Each request's metrics are averaged over its origins, then over requests. 95% intervals are
percentile bootstrap intervals resampling *requests* (origins of one request are not
independent), 2,000 resamples, fixed seed; the engine-minus-rule difference is bootstrapped
paired by request.

Methods: ``engine`` (:meth:`Recommender.recommend`), ``nearest`` (by distance only),
``interest`` (by relevance only), ``tags`` (the rule "shares an interest with the peer, then
nearest") and ``ceiling`` (the labels' own best order: the best any method could do).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd

from geo.distance import haversine_km
from matching.candidates import FrameCandidates
from matching.query import Origin
from matching.query import PeerQuery
from matching.recommend import METHODS
from matching.recommend import Recommender

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from matching.scoring import ScoringParams

SETS = ("everyday", "trafford")
"""The frozen evaluation sets."""
EVAL_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "eval"
"""Where the frozen sets live in a checkout."""
TABLE_METHODS = ("engine", "tags", "interest", "nearest", "ceiling")
"""Rows of the table, in order."""
BOOTSTRAP = 2000
SEED = 12
_DEPTH_CONDENSED = 50  # listings asked for when unjudged ones are dropped afterwards


@dataclass(frozen=True)
class LabelledPeer:
    """A peer's question and the listings they would accept.

    Attributes
    ----------
    name
        For reports (``"e01 from Wigan"``).
    query
        The question.
    relevant
        Opportunity id -> grade (> 0). Ids not listed are not relevant.
    request
        The request this peer asks (the unit the bootstrap resamples).
    judged
        Ids that have a judgment; ``None``: every listing. Others are dropped from rankings.
    """

    name: str
    query: PeerQuery
    relevant: Mapping[int, int]
    request: str = ""
    judged: frozenset[int] | None = None


@dataclass(frozen=True)
class Interval:
    """A mean and its 95% bootstrap interval."""

    mean: float
    low: float
    high: float

    def __str__(self) -> str:
        """``0.512 [0.47, 0.55]``."""
        return f"{self.mean:.3f} [{self.low:.2f}, {self.high:.2f}]"


@dataclass(frozen=True)
class MethodScore:
    """Mean metrics of one method over the requests."""

    method: str
    precision: Interval
    ndcg: Interval


@dataclass(frozen=True)
class Report:
    """One set's table."""

    name: str
    requests: int
    queries: int
    radius_km: float
    scores: list[MethodScore]
    diff_precision: Interval
    """Engine minus the ``tags`` rule, P@5."""
    diff_ndcg: Interval
    """Engine minus the ``tags`` rule, nDCG@10."""
    per_request: dict[str, dict[str, list[float]]] = field(default_factory=dict, repr=False)

    def score(self, method: str) -> MethodScore:
        """The row of ``method``."""
        return next(s for s in self.scores if s.method == method)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape."""
        def iv(i: Interval) -> dict[str, float]:
            return {"mean": round(i.mean, 4), "low": round(i.low, 4), "high": round(i.high, 4)}
        return {
            "set": self.name, "requests": self.requests, "queries": self.queries,
            "radius_km": self.radius_km,
            "methods": {s.method: {"precision_at_5": iv(s.precision), "ndcg_at_10": iv(s.ndcg)}
                        for s in self.scores},
            "engine_minus_tags": {"precision_at_5": iv(self.diff_precision),
                                  "ndcg_at_10": iv(self.diff_ndcg)},
        }


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


# -- the frozen sets ------------------------------------------------------------------------


def _split(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return []
    return [v for v in str(value).split(";") if v]


def read_catalogue(path: Path) -> pd.DataFrame:
    """A frozen catalogue CSV as an opportunities frame (plus its ``label`` column)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = pd.DataFrame({
        "id": raw["id"].astype(np.int64), "association_id": raw["association_id"].astype(np.int64),
        "association": raw["association"], "category": raw["category"], "title": raw["title"],
        "description": raw["description"],
        "interests": [_split(v) for v in raw["interests"]],
        "skills": [_split(v) for v in raw["skills"]],
        "weekdays": [[int(d) for d in _split(v)] for v in raw["weekdays"]],
        "start_time": [v or None for v in raw["start_time"]],
        "end_time": [v or None for v in raw["end_time"]],
        "flexible": raw["flexible"] == "1",
        "capacity": pd.to_numeric(raw["capacity"].replace("", np.nan)),
        "places_taken": raw["places_taken"].astype(np.int64),
        "status": raw["status"], "lat": raw["lat"].astype(float), "lon": raw["lon"].astype(float),
        "label": raw["label"],
    })
    return frame


def _label_parts(label: str) -> list[str]:
    """``"sport:Cricket, Tennis"`` -> ``["sport:Cricket", "sport:Tennis"]``."""
    if not label:
        return []
    kind, _, rest = label.partition(":")
    if kind == "sport" and "," in rest:
        return [f"sport:{p.strip()}" for p in rest.split(",")]
    return [label]


def read_set(name: str, *, directory: Path = EVAL_DIR,
             radius_km: float = 15.0) -> tuple[pd.DataFrame, list[LabelledPeer]]:
    """A frozen set: its catalogue and its labelled peers (every request from every origin).

    Listings count as relevant only within ``radius_km`` of the origin (the travel limit
    equals the search radius). Peers with nothing relevant in reach are left out.
    """
    if name not in SETS:
        msg = f"set={name!r} is not known; use one of {', '.join(SETS)}"
        raise ValueError(msg)
    frame = read_catalogue(directory / f"{name}_catalogue.csv")
    requests = json.loads((directory / f"{name}_requests.json").read_text())["requests"]
    origins = pd.read_csv(directory / f"{name}_origins.csv")
    ids = frame["id"].to_numpy()
    parts = [_label_parts(str(v)) for v in frame["label"]]
    judged = (frozenset(int(i) for i, p in zip(ids, parts, strict=True) if p)
              if any(not p for p in parts) else None)
    lat, lon = frame["lat"].to_numpy(), frame["lon"].to_numpy()
    peers = []
    for o in origins.itertuples(index=False):
        km = haversine_km(float(o.lat), float(o.lon), lat, lon)
        near = km <= radius_km
        origin = Origin((float(o.lat), float(o.lon)), label=str(o.origin), kind="place")
        for r in requests:
            grades = r["judgments"]
            relevant = {int(i): g for i, p, ok in zip(ids, parts, near, strict=True)
                        if ok and (g := max((grades.get(x, 0) for x in p), default=0)) > 0}
            if relevant:
                peers.append(LabelledPeer(
                    f"{r['id']} from {o.origin}",
                    PeerQuery(origin, text=r["text"], radius_km=radius_km), relevant,
                    request=r["id"], judged=judged))
    return frame, peers


# -- running the methods --------------------------------------------------------------------


def ranked_ids(recommender: Recommender, peer: LabelledPeer, method: str, depth: int
               ) -> list[int]:
    """The ids ``method`` ranks for ``peer``, unjudged ones removed."""
    if method == "ceiling":
        return sorted(peer.relevant, key=lambda i: (-peer.relevant[i], i))
    ask = depth if peer.judged is None else _DEPTH_CONDENSED
    query = dataclasses.replace(peer.query, limit=ask)
    ranked = recommender.rank(query, method=method)  # type: ignore[arg-type]
    if peer.judged is not None:
        ranked = [i for i in ranked if i in peer.judged]
    return ranked


def _interval(values: NDArray[np.float64], samples: NDArray[np.intp]) -> Interval:
    means = values[samples].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(values.mean()), float(low), float(high))


def evaluate(
    recommender: Recommender, peers: Sequence[LabelledPeer], *, name: str = "",
    k_precision: int = 5, k_ndcg: int = 10,
    methods: Sequence[str] = TABLE_METHODS, bootstrap: int = BOOTSTRAP, seed: int = SEED,
) -> Report:
    """Mean precision@k and nDCG@k of each method, with 95% intervals by request."""
    usable = [p for p in peers if any(g > 0 for g in p.relevant.values())]
    if not usable:
        msg = "no labelled peer has a relevant opportunity: the metrics are undefined"
        raise ValueError(msg)
    for method in methods:
        if method != "ceiling" and method not in METHODS:
            msg = f"method={method!r} is not known; use one of {', '.join(TABLE_METHODS)}"
            raise ValueError(msg)
    depth = max(k_precision, k_ndcg)
    requests = list(dict.fromkeys(p.request or p.name for p in usable))
    index = {r: i for i, r in enumerate(requests)}
    per: dict[str, dict[str, list[float]]] = {}
    for method in methods:
        sums = np.zeros((2, len(requests)))
        counts = np.zeros(len(requests))
        for peer in usable:
            ranked = ranked_ids(recommender, peer, method, depth)
            j = index[peer.request or peer.name]
            sums[0, j] += precision_at(ranked, peer.relevant, k_precision)
            sums[1, j] += ndcg_at(ranked, peer.relevant, k_ndcg)
            counts[j] += 1
        means = sums / counts
        per[method] = {"precision": means[0].tolist(), "ndcg": means[1].tolist()}
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(requests), size=(bootstrap, len(requests)))
    scores = [MethodScore(m, _interval(np.asarray(per[m]["precision"]), samples),
                          _interval(np.asarray(per[m]["ndcg"]), samples)) for m in methods]
    if "engine" in per and "tags" in per:
        dp = np.asarray(per["engine"]["precision"]) - np.asarray(per["tags"]["precision"])
        dn = np.asarray(per["engine"]["ndcg"]) - np.asarray(per["tags"]["ndcg"])
        diff_p, diff_n = _interval(dp, samples), _interval(dn, samples)
    else:
        diff_p = diff_n = Interval(math.nan, math.nan, math.nan)
    return Report(name, len(requests), len(usable), float(usable[0].query.radius_km), scores,
                  diff_p, diff_n, per_request=per)


def evaluate_set(name: str, *, directory: Path = EVAL_DIR, radius_km: float = 15.0,
                 params: ScoringParams | None = None,
                 methods: Sequence[str] = TABLE_METHODS) -> Report:
    """Read a frozen set and evaluate the engine and the baselines on it."""
    frame, peers = read_set(name, directory=directory, radius_km=radius_km)
    recommender = Recommender(FrameCandidates(frame), params=params)
    return evaluate(recommender, peers, name=name, methods=methods)


_NAMES = {"engine": "engine", "tags": "shares a tag, then nearest", "interest": "interest only",
          "nearest": "nearest first", "ceiling": "label ceiling (best possible)"}


def format_table(report: Report) -> str:
    """The report as a Markdown table, as README shows it.

    Examples
    --------
    >>> iv = Interval(0.5, 0.4, 0.6)
    >>> print(format_table(Report("x", 3, 9, 15.0, [MethodScore("engine", iv, iv)], iv, iv)))
    | `x` set: 3 requests, 9 queries, 15 km | P@5 [95% CI] | nDCG@10 [95% CI] |
    |---|---:|---:|
    | engine | 0.500 [0.40, 0.60] | 0.500 [0.40, 0.60] |
    | engine minus "shares a tag, then nearest" | 0.500 [0.40, 0.60] | 0.500 [0.40, 0.60] |
    """
    head = (f"| `{report.name}` set: {report.requests} requests, {report.queries} queries, "
            f"{report.radius_km:g} km | P@5 [95% CI] | nDCG@10 [95% CI] |")
    lines = [head, "|---|---:|---:|"]
    lines += [f"| {_NAMES.get(s.method, s.method)} | {s.precision} | {s.ndcg} |"
              for s in report.scores]
    lines.append(f"| engine minus \"shares a tag, then nearest\" | {report.diff_precision} | "
                 f"{report.diff_ndcg} |")
    return "\n".join(lines)


if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["EVAL_DIR", "SETS", "TABLE_METHODS", "Interval", "LabelledPeer", "MethodScore",
           "Report", "dcg", "evaluate", "evaluate_set", "format_table", "ndcg_at",
           "precision_at", "ranked_ids", "read_catalogue", "read_set"]
