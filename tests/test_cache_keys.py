"""What a cached answer is kept under: the data it was computed from, and the code that did it.

* An answer computed from data that changed after its key's fingerprint was read (a write
  between the two reads) is not kept under that key, but under the key of its own data.
* Every key carries the code stamp (package version, result schema, a digest of the code
  whose answers are cached): other code, other keys.

The store is a real SQLite file; the "write in between" is a real write, made by a cache
whose fingerprint look-up lets another writer in right after it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from service.usecases import coverage_cache
from service.usecases.coverage import coverage_result
from service.usecases.coverage_cache import CODE_STAMP
from service.usecases.coverage_cache import MISSING
from service.usecases.coverage_cache import ResultCache
from service.usecases.coverage_cache import code_stamp
from service.usecases.coverage_cache import foreground
from service.usecases.coverage_cache import requests_in_flight
from service.usecases.coverage_cache import use_cache
from store import Store
from tests.test_shared_cache import add_serving_meeting

ROOT = Path(__file__).resolve().parents[1]
WIGAN = (53.545, -2.632)


class WriterAfterFingerprint(ResultCache):
    """A cache whose first fingerprint look-up is followed at once by another writer's write."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.first: object = None

    def fingerprint(self, store: Store) -> object:
        value = super().fingerprint(store)
        if self.first is None:
            self.first = value
            add_serving_meeting(self.store, 53.80, -1.55)  # lands between the reads
        return value


def test_an_answer_is_kept_under_the_key_of_the_data_it_was_computed_from(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'race.db'}")
    store.init_db()
    try:
        add_serving_meeting(store, *WIGAN)
        cache = WriterAfterFingerprint(store)
        use_cache(store, cache)
        answer = coverage_result(store, radius_km=10.0)
        assert answer.meetings == 2  # computed from the data after the write
        asked = (*answer.cache_key[:2], cache.first, *answer.cache_key[3:])
        assert asked != answer.cache_key  # the caller's key named the data before the write
        assert cache.peek(asked) is MISSING  # so nothing is kept under it
        assert cache.peek(answer.cache_key) is answer  # but under the key of its own data
        # the next caller reads the new fingerprint and gets the kept answer, not a new one
        assert coverage_result(store, radius_km=10.0) is answer
    finally:
        store.dispose()


def test_every_key_carries_the_code_stamp_and_other_code_is_another_stamp(tmp_path) -> None:
    assert code_stamp() == CODE_STAMP
    version, schema, digest = CODE_STAMP.split("/")
    assert version
    assert schema.isdigit()
    assert len(digest) == 16
    cache = ResultCache()
    cache.get_or_compute(("answer",), lambda: 42)
    assert list(cache._data) == [(CODE_STAMP, ("answer",))]
    other = ResultCache()
    other.stamp = "another release"
    assert other.peek(("answer",)) is MISSING
    # A copy of the code with one line changed has another stamp.
    copy = tmp_path / "code"
    for name in ("matching", "maps", "geo", "service/usecases"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("ingest/demand.py", "store/coverage.py", "store/hotspots.py"):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "ingest/data", copy / "ingest/data")
    assert code_stamp(copy) == CODE_STAMP
    sites = copy / "matching" / "sites.py"
    sites.write_text(sites.read_text() + "\n# changed\n")
    assert code_stamp(copy) != CODE_STAMP


def test_background_work_waits_for_the_requests_in_flight() -> None:
    """A background answer started by a request does not run beside it (one interpreter
    lock: it would stretch the request); it runs once no request is in flight."""
    cache = ResultCache()
    over = [False]  # set when the request ends
    ran: list[bool] = []  # whether the request had ended when the job ran
    with foreground():
        value, ready = cache.get_or_start(("k",), lambda: ran.append(over[0]) or 1)
        assert (value, ready) == (MISSING, False)
        time.sleep(0.3)
        assert ran == []  # still stepping aside
        over[0] = True
    assert cache.wait_background(10)
    assert ran == [True]
    assert cache.peek(("k",)) == 1


def test_background_work_steps_aside_for_a_bounded_time(monkeypatch) -> None:
    """Steady traffic delays a background answer by at most STEP_ASIDE_S, never for ever."""
    monkeypatch.setattr(coverage_cache, "STEP_ASIDE_S", 0.2)
    cache = ResultCache()
    with foreground():
        cache.get_or_start(("k",), lambda: 2)
        assert cache.wait_background(10)  # ran although the request never ended
        assert cache.peek(("k",)) == 2
    assert requests_in_flight() == 0
