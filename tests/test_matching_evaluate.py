"""Offline evaluation on the demo data: the engine must beat nearest-first and interest-only.

The labelled set is built here, from a rule that does not look at the engine's score:

* peers: at every active meeting of the demo, two peers, each with one or two interests
  drawn (seeded) from the interests that the *association categories* near the meeting
  stand for; each peer asks once with interest tags and once in free text written from a
  synonym of each interest;
* labels: a person would accept a listing that is open with places left, within a travel
  limit of 10 km, at an association whose category stands for one of their interests (the
  first two interests of the category in ``ingest._demo_vocab.CATEGORIES``: a canal trust
  stands for waterways and outdoors, a food bank for cooking & food and befriending & care);
  grade 2 within 5 km, grade 1 beyond.

The engine never sees categories' interests: it scores each listing's own tags (drawn, per
listing, from its need and category) and its text. Labels are made on the demo data, which
is synthetic, so the figures say the engine ranks sensibly, not how it does with real people.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from geo.distance import haversine_km
from ingest._demo_vocab import CATEGORIES
from matching.evaluate import LabelledPeer
from matching.evaluate import MethodScore
from matching.evaluate import dcg
from matching.evaluate import evaluate
from matching.evaluate import format_table
from matching.evaluate import ndcg_at
from matching.evaluate import precision_at
from matching.query import Origin
from matching.query import PeerQuery
from matching.recommend import Recommender
from matching.taxonomy import term
from store import Store
from store.candidates import StoreCandidates

TRAVEL_KM = 10.0
NEAR_KM = 5.0
CORE = {slug: set(cat.interests[:2]) for slug, cat in CATEGORIES.items()}


def labelled_peers(source: StoreCandidates, *, seed: int = 7) -> list[LabelledPeer]:
    opps = source.opportunities()
    meetings = source._meetings()
    rng = random.Random(seed)  # noqa: S311 - labels, not secrets
    acceptable = ((opps["status"] == "open")
                  & (opps["capacity"].isna() | (opps["places_taken"] < opps["capacity"])))
    peers = []
    for m in meetings.itertuples():
        d = haversine_km(m.lat, m.lon, opps["lat"].to_numpy(), opps["lon"].to_numpy())
        near = acceptable.to_numpy() & (d <= TRAVEL_KM)
        pool = sorted({i for c in opps["category"][near] for i in CORE.get(c, ())})
        if not pool:
            continue
        origin = Origin((m.lat, m.lon), label="your meeting", kind="meeting",
                        organisation_id=int(m.organisation_id), meeting_id=int(m.id))
        for _ in range(2):
            wants = rng.sample(pool, min(len(pool), rng.choice((1, 2))))
            relevant = {int(opps["id"].iloc[j]): 2 if d[j] <= NEAR_KM else 1
                        for j in np.flatnonzero(near)
                        if CORE.get(opps["category"].iloc[j], set()) & set(wants)}
            peers.append(LabelledPeer(f"meeting {m.id}: {wants}",
                                      PeerQuery(origin, interests=tuple(wants)), relevant))
            words = [rng.choice(term(w).synonyms) for w in wants]
            text = "I would enjoy " + " and ".join(words)
            peers.append(LabelledPeer(f"meeting {m.id}: {text!r}",
                                      PeerQuery(origin, text=text), relevant))
    return peers


def test_metrics_by_hand() -> None:
    assert precision_at([3, 1, 2], {1: 1, 2: 2}, 5) == 2 / 5
    assert dcg([2, 0, 1]) == pytest.approx(3 + 1 / 2)
    assert ndcg_at([9, 8], {1: 2}, 10) == 0.0
    assert ndcg_at([1, 2], {1: 2, 2: 1}, 10) == 1.0
    assert ndcg_at([2, 1], {1: 2, 2: 1}, 10) == pytest.approx(
        (1 + 3 / np.log2(3)) / (3 + 1 / np.log2(3)))


def test_engine_beats_both_baselines(demo_stores: dict[str, Store],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    source = StoreCandidates(demo_stores["sqlite"])
    peers = labelled_peers(source)
    assert len(peers) >= 100
    assert sum(len(p.relevant) for p in peers) > 1000
    rec = Recommender(source)
    tables = {}
    for name, subset in (("tags", [p for p in peers if not p.query.text]),
                         ("free text", [p for p in peers if p.query.text]),
                         ("all", peers)):
        scores = {s.method: s for s in evaluate(rec, subset)}
        tables[name] = scores
        with capsys.disabled():
            print(f"\nmatching evaluation, {name} peers (demo data):")
            print(format_table(list(scores.values())))
        engine = scores["engine"]
        for baseline in ("nearest", "interest"):
            assert engine.precision > scores[baseline].precision, (name, baseline)
            assert engine.ndcg > scores[baseline].ndcg, (name, baseline)
    assert tables["all"]["engine"].peers == len(peers)


def test_evaluate_needs_labels(demo_stores: dict[str, Store]) -> None:
    rec = Recommender(StoreCandidates(demo_stores["sqlite"]))
    empty = LabelledPeer("nobody", PeerQuery(Origin((53.0, -2.0))), {})
    with pytest.raises(ValueError, match="undefined"):
        evaluate(rec, [empty])
    assert format_table([MethodScore("x", 1.0, 0.5, 3)]).splitlines()[1].split() == [
        "x", "1.000", "0.500", "3"]
