"""The search's bound per text (``matching/bounds.py``) changes no answer, only the work.

* Over hundreds of random questions (everyday words from the frozen evaluation set, chosen
  interests, both or neither; days, times, filters, pages, caps, one association, linked
  associations, remote listings, dates), the whole answer of :meth:`Recommender.recommend`
  (ids, order, scores, reasons, distances, remote group, total) equals the engine's with the
  search replaced by scoring every listing in the radius: in-process over a frame, and
  through a store's radius queries on both backends (what PostGIS does).
* The bound holds: no recommendable listing's score before decay exceeds it, and it is never
  above the cheap product of maxima it replaces.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matching.recommend as recommend_module
from ingest._demo_vocab import CATEGORIES
from ingest._demo_vocab import OUTROS
from matching.bounds import exact_tops
from matching.candidates import FrameCandidates
from matching.query import Filters
from matching.query import Origin
from matching.query import PeerQuery
from matching.recommend import Recommender
from matching.scoring import ScoringParams
from matching.scoring import profile
from matching.scoring import score_rows
from matching.search import score_everything
from matching.taxonomy import SLUGS
from store import Store
from store.candidates import StoreCandidates
from tests.test_matching import _dense_store

EVERYDAY = [r["text"] for r in json.loads(
    (Path(__file__).parent / "data" / "eval" / "everyday_requests.json").read_text())["requests"]]
TOWNS = [(53.48, -2.24, 0.02), (53.41, -2.99, 0.05), (51.51, -0.13, 0.03), (54.6, -3.1, 0.3)]
TODAY = dt.date(2026, 6, 1)
N_ASSOCIATIONS = 200
LINKED = frozenset(range(1, N_ASSOCIATIONS, 7))


class LinkedFrame(FrameCandidates):
    """A frame whose organisation 1 has active links (the win/win boost)."""

    def linked_associations(self, organisation_id: int) -> frozenset[int]:
        """Every seventh association, for organisation 1."""
        return LINKED if organisation_id == 1 else frozenset()


def _frame(n: int, *, seed: int = 8) -> pd.DataFrame:
    """Listings like the bench's (demo vocabulary) around four towns, dense to sparse."""
    rng = np.random.default_rng(seed)
    cats = list(CATEGORIES)
    assoc_cat = [cats[int(rng.integers(len(cats)))] for _ in range(N_ASSOCIATIONS)]
    rows = []
    for i in range(n):
        a = int(rng.integers(N_ASSOCIATIONS))
        cat = CATEGORIES[assoc_cat[a]]
        need = cat.needs[int(rng.integers(len(cat.needs)))]
        lat, lon, spread = TOWNS[int(rng.integers(len(TOWNS)))]
        tags = list(dict.fromkeys(need.interests[:1] + cat.interests[:int(rng.integers(1, 3))]))
        flexible = need.schedule == "flexible" or rng.random() < 0.1
        cap = int(rng.choice([2, 4, 6, 10]))
        start = int(rng.integers(-60, 60))
        rows.append({
            "id": i + 1, "association_id": a + 1, "association": f"Group {a + 1}",
            "category": assoc_cat[a], "title": need.title,
            "description": f"{need.text} {OUTROS[int(rng.integers(len(OUTROS)))]}",
            "interests": tags if rng.random() < 0.9 else [],
            "skills": list(need.skills) if rng.random() < 0.8 else [],
            "weekdays": [] if flexible else [int(rng.integers(7))],
            "start_time": None if flexible else "10:00:00",
            "end_time": None if flexible else str(rng.choice(["13:00:00", "20:00:00"])),
            "flexible": flexible, "capacity": cap, "places_taken": int(rng.integers(cap + 1)),
            "status": str(rng.choice(["open"] * 8 + ["paused", "closed"])),
            "lat": lat + rng.normal(0, spread), "lon": lon + rng.normal(0, spread * 1.6),
            "starts_on": TODAY + dt.timedelta(days=start) if rng.random() < 0.2 else None,
            "ends_on": TODAY + dt.timedelta(days=start + 10) if rng.random() < 0.1 else None,
            "commitment": str(rng.choice(["weekly", "monthly", ""])),
            "accessibility": [str(x) for x in rng.choice(
                ["wheelchair", "step_free", "remote"], size=int(rng.integers(0, 2)))],
        })
    return pd.DataFrame(rows)


FILTERS = [Filters(), Filters(), Filters(), Filters(commitment="weekly"), Filters(groups=True),
           Filters(fits_week=True), Filters(accessibility=("wheelchair",)),
           Filters(remote=False)]


def _queries(rng: np.random.Generator, k: int, *, towns: list[tuple[float, float, float]],
             slugs: list[str]) -> list[PeerQuery]:
    """Half in everyday words alone; the rest interests, words and interests, or nothing."""
    out = []
    for i in range(k):
        lat, lon, spread = towns[int(rng.integers(len(towns)))]
        kind = i % 6
        text = str(rng.choice(EVERYDAY)) if kind in (0, 1, 2, 4) else ""
        interests = (tuple(str(s) for s in rng.choice(slugs, size=int(rng.integers(1, 3)),
                                                      replace=False))
                     if kind in (3, 4) else ())
        out.append(PeerQuery(
            Origin((lat + rng.normal(0, spread * 2), lon + rng.normal(0, spread * 3)),
                   organisation_id=1 if i % 5 == 0 else None),
            interests=interests, text=text,
            radius_km=float(rng.choice([5.0, 15.0, 15.0, 40.0])),
            limit=int(rng.choice([1, 5, 10, 10, 20])), page=int(rng.choice([1, 1, 2])),
            per_association=int(rng.choice([1, 2, 3])),
            days=frozenset({int(rng.integers(7))}) if i % 4 == 0 else frozenset(),
            times=((600, 720),) if i % 8 == 1 else (),
            association_id=int(rng.integers(1, 40)) if i % 13 == 12 else None,
            filters=FILTERS[int(rng.integers(len(FILTERS)))], today=TODAY,
            with_total=bool(i % 3)))
    return out


def _answer(rec: Recommender, query: PeerQuery) -> tuple[object, ...]:
    got = rec.recommend(query)
    return ([r.to_dict() for r in got.results], [r.to_dict() for r in got.remote], got.total,
            got.interests_used)


def _exhaustive(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine with its search replaced by scoring every listing in the radius."""
    def everything(catalogue, query, peer, params, finder, *, also_km=0.0):
        del also_km
        return score_everything(catalogue, query, peer, params, finder)

    monkeypatch.setattr(recommend_module, "search", everything)


def _compare(rec: Recommender, queries: list[PeerQuery],
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Assert equal answers; return (questions, how many scored fewer than the radius)."""
    fast = [_answer(rec, q) for q in queries]
    scored = [rec.recommend(q).candidates for q in queries]
    whole = [len(rec.score_everything(q).rows) for q in queries]
    with monkeypatch.context() as patch:
        _exhaustive(patch)
        slow = [_answer(rec, q) for q in queries]
    for q, a, b in zip(queries, fast, slow, strict=True):
        assert a == b, q
    return len(queries), sum(s < w for s, w in zip(scored, whole, strict=True))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return _frame(6000)


def test_in_process_answers_equal_scoring_the_whole_radius(
        frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(31)
    queries = _queries(rng, 240, towns=TOWNS, slugs=list(SLUGS))
    for params in (ScoringParams(), ScoringParams(half_km=2.0),
                   ScoringParams(half_km=30.0, tag_weight=0.7)):
        rec = Recommender(LinkedFrame(frame), params=params)
        asked, cut = _compare(rec, queries, monkeypatch)
        # The bound did its work: many questions stopped short of the radius.
        assert cut > asked // 4, (cut, asked)
    assert sum(bool(q.text) for q in queries) >= 150


def test_store_answers_equal_scoring_the_whole_radius(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the store's radius queries, rows by id included (what PostGIS does)."""
    _dense_store(store, 3000, seed=12)
    rec = Recommender(StoreCandidates(store))
    rec.in_process = False
    towns = [(53.48, -2.5, 0.1), (53.41, -2.5, 0.1)]
    slugs = ["gardening", "music", "waterways", "heritage", "diy-repair"]
    queries = [dataclasses.replace(q, filters=Filters(), association_id=None, today=None,
                                   origin=Origin(q.origin.latlon))
               for q in _queries(np.random.default_rng(5), 60, towns=towns, slugs=slugs)]
    asked, cut = _compare(rec, queries, monkeypatch)
    assert cut > asked // 10, (cut, asked)  # the total often asks for the radius


def test_the_bound_holds_and_is_no_looser_than_the_product(frame: pd.DataFrame) -> None:
    rec = Recommender(LinkedFrame(frame))
    catalogue = rec.catalogue()
    rows = catalogue.open_rows
    tighter = 0
    for q in _queries(np.random.default_rng(2), 80, towns=TOWNS, slugs=list(SLUGS)):
        linked = LINKED if q.origin.organisation_id == 1 else frozenset()
        peer = profile(q, catalogue, linked=linked, params=rec.params)
        if not peer.personalised:
            continue
        top, top_untagged = exact_tops(catalogue, peer, rec.params)
        # Every listing at the door (decay 1): its score is its weight x boosts x schedule.
        scores = score_rows(catalogue, rows, np.zeros(len(rows)), peer, rec.params)
        assert scores.score.max() <= top
        untagged = scores.score[scores.shared_tags == 0]
        assert untagged.max(initial=0.0) <= top_untagged
        cheap = peer.top_weight * rec.params.max_boost(peer)
        assert top <= cheap * (1 + 1e-9)
        tighter += top < 0.95 * cheap
    assert tighter > 20
