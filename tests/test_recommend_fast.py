"""The shortcuts that make a recommendation fast give exactly the slow answers, both backends.

* The total counts only until it reaches its cap (``MAX_DEPTH``): equal to counting every
  listing in the radius, with filters, caps per association and pages.
* The text cosine of rows, looked up column by column or read from the cosines of every
  distinct text, has the same bits as the sparse matrix product it replaced.
* A source (PostGIS) asked for the plan's edge plus its tagged rows by id gives the list the
  catalogue's own search gives.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from matching.query import MAX_DEPTH
from matching.query import Filters
from matching.query import Origin
from matching.query import PeerQuery
from matching.recommend import Recommender
from matching.text import TextModel
from store import Store
from store.candidates import StoreCandidates
from tests.test_matching import _dense_store

FILTERS = [Filters(), Filters(commitment="weekly"), Filters(groups=True),
           Filters(fits_week=True), Filters(accessibility=("wheelchair",)),
           Filters(commitment="flexible", groups=True)]


def _brute_total(rec: Recommender, query: PeerQuery) -> int:
    """Every allowed listing in the radius, at most ``per_association`` each, capped."""
    catalogue = rec.catalogue()
    rows, _ = rec.finder(catalogue, query).within(query.radius_km)
    if query.association_id is not None:
        return len(rows)
    _, counts = np.unique(catalogue.association_id[rows], return_counts=True)
    return min(int(np.minimum(counts, query.per_association).sum()), MAX_DEPTH)


def test_fast_total_equals_counting_the_whole_radius(store: Store) -> None:
    _dense_store(store, 4000)
    rec = Recommender(StoreCandidates(store))
    rng = np.random.default_rng(21)
    totals = []
    for i in range(60):
        lat = 53.48 + rng.normal(0, 0.1) if i % 2 else 53.41 + rng.normal(0, 0.1)
        q = PeerQuery(
            Origin((lat, -2.5 + rng.normal(0, 0.4))),
            interests=tuple(rng.choice(["gardening", "music", "waterways"],
                                       size=int(rng.integers(0, 2)), replace=False)),
            text=["", "bikes and canal walks", "choir"][i % 3],
            radius_km=float(rng.choice([3.0, 15.0, 40.0, 100.0])),
            per_association=int(rng.choice([1, 2, 5, 10])),
            days=frozenset({int(rng.integers(7))}) if i % 4 == 0 else frozenset(),
            page=int(rng.choice([1, 2])), filters=FILTERS[i % len(FILTERS)],
            association_id=int(rng.integers(1, 40)) if i % 10 == 9 else None,
            with_total=True)
        got = rec.recommend(q).total
        assert got == _brute_total(rec, q), q
        totals.append(got)
    # Both ways out were taken: the cap reached early, and counts below it.
    assert MAX_DEPTH in totals
    assert any(0 < t < MAX_DEPTH for t in totals)
    assert 0 in totals  # no listing has a wheelchair feature


def test_source_and_catalogue_lists_and_totals_agree(sqlite_store: Store) -> None:
    """Through the store's radius query with rows by id (what PostGIS does) = in-process."""
    _dense_store(sqlite_store, 3000, seed=5)
    rec = Recommender(StoreCandidates(sqlite_store))
    via_store = Recommender(StoreCandidates(sqlite_store))
    via_store.in_process = False
    rng = np.random.default_rng(4)
    for i in range(30):
        q = PeerQuery(Origin((53.45 + rng.normal(0, 0.1), -2.5 + rng.normal(0, 0.4))),
                      interests=(("music",), ("gardening", "waterways"), ())[i % 3],
                      text=["", "bikes and canal walks"][i % 2], limit=20,
                      radius_km=float(rng.choice([10.0, 40.0])),
                      per_association=int(rng.choice([2, 10])), with_total=True)
        a, b = rec.recommend(q), via_store.recommend(q)
        assert [(r.opportunity_id, r.score, r.distance_km) for r in a.results] == \
               [(r.opportunity_id, r.score, r.distance_km) for r in b.results], q
        assert a.total == b.total == _brute_total(rec, dataclasses.replace(q)), q


def test_text_cosines_have_the_bits_of_the_sparse_product() -> None:
    rng = np.random.default_rng(2)
    words = ["canal", "garden", "choir", "football", "kitchen", "bikes", "museum", "shop",
             "festival", "repair", "walks", "trees", "painting", "water", "food", "bank"]
    texts = [" ".join(rng.choice(words, int(rng.integers(1, 12)))) for _ in range(3000)]
    model = TextModel(texts)
    for query in ["bikes and canal walks", "choir", "food bank food bank painting trees",
                  "nothing known", " ".join(words)]:
        cols, weights = model.vector(query)
        rows = rng.integers(0, len(texts), 500)
        dense = np.zeros(model.matrix.shape[1])
        dense[cols] = weights
        product = (np.asarray(model.matrix[model.codes[rows]] @ dense) if len(cols)
                   else np.zeros(len(rows)))
        np.testing.assert_array_equal(model.cosine(rows, (cols, weights)), product)
        np.testing.assert_array_equal(model.cosines((cols, weights))[model.codes[rows]],
                                      product)
        best = float(np.max(model.matrix @ dense)) if len(cols) else 0.0
        assert model.cosine_max((cols, weights)) == min(1.0, best)
