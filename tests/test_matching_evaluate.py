"""Offline evaluation on the frozen sets (``tests/data/eval``): metrics, intervals, README.

The sets and their labels are described in ``tests/data/eval/README.md`` and
:mod:`matching.evaluate`; the labels never come from the engine's tag map.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from matching.candidates import FrameCandidates
from matching.evaluate import SETS
from matching.evaluate import Interval
from matching.evaluate import Report
from matching.evaluate import dcg
from matching.evaluate import evaluate
from matching.evaluate import evaluate_set
from matching.evaluate import format_table
from matching.evaluate import ndcg_at
from matching.evaluate import precision_at
from matching.evaluate import read_set
from matching.recommend import Recommender

ROOT = Path(__file__).resolve().parents[1]


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_evaluate", ROOT / "bench" / "evaluate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {name: evaluate_set(name) for name in SETS}


def test_metrics_by_hand() -> None:
    assert precision_at([3, 1, 2], {1: 1, 2: 2}, 5) == 2 / 5
    assert dcg([2, 0, 1]) == pytest.approx(3 + 1 / 2)
    assert ndcg_at([9, 8], {1: 2}, 10) == 0.0
    assert ndcg_at([1, 2], {1: 2, 2: 1}, 10) == 1.0
    assert ndcg_at([2, 1], {1: 2, 2: 1}, 10) == pytest.approx(
        (1 + 3 / np.log2(3)) / (3 + 1 / np.log2(3)))


def test_labels_stop_at_the_search_radius() -> None:
    frame, peers = read_set("everyday", radius_km=5.0)
    lat = dict(zip(frame["id"], frame["lat"], strict=True))
    assert peers
    for peer in peers[:50]:
        assert peer.query.radius_km == 5.0
        for i in peer.relevant:
            assert abs(lat[i] - peer.query.origin.latlon[0]) < 0.05


def test_the_engine_never_sees_the_labels() -> None:
    frame, _ = read_set("trafford")
    assert "label" not in FrameCandidates(frame).opportunities().columns


def test_unjudged_listings_are_dropped_from_rankings() -> None:
    frame, peers = read_set("trafford")
    rec = Recommender(FrameCandidates(frame))
    peer = peers[0]
    assert peer.judged is not None
    assert len(peer.judged) < len(frame)
    report = evaluate(rec, peers[:5], methods=("engine", "ceiling"), bootstrap=50)
    assert report.score("ceiling").precision.mean > 0


def test_evaluate_needs_labels() -> None:
    frame, peers = read_set("everyday")
    rec = Recommender(FrameCandidates(frame))
    empty = [type(peers[0])("nobody", peers[0].query, {})]
    with pytest.raises(ValueError, match="undefined"):
        evaluate(rec, empty)
    with pytest.raises(ValueError, match="set='nope'"):
        read_set("nope")


def test_format_table() -> None:
    iv = Interval(0.5, 0.25, 0.75)
    from matching.evaluate import MethodScore

    table = format_table(Report("x", 2, 4, 15.0, [MethodScore("tags", iv, iv)], iv, iv))
    assert "| shares a tag, then nearest | 0.500 [0.25, 0.75] |" in table


def test_readme_shows_what_the_command_prints(reports: dict[str, Report]) -> None:
    bench = _bench()
    shown = bench.readme_tables((ROOT / "README.md").read_text())  # type: ignore[attr-defined]
    for name, report in reports.items():
        assert shown.get(name) == format_table(report), (
            f"README's {name} table is stale: run python bench/evaluate.py --write-readme")
