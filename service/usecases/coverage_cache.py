"""Computed-once answers: coverage, sites and map pages, per data change and parameters.

Each worker keeps a small least-recently-used cache. A key is the store's URL, the store's
coverage fingerprint (:func:`store.coverage.coverage_fingerprint`: change counters of meetings
and organisations, aggregates of volunteers and regions), the loaded-demand fingerprint and
the parameters (radius, date, area, count, ...). Any write to what coverage reads changes the
fingerprint, so a stale answer is never served; a worker that has not seen a key computes it
once. Nothing assumes a single process: every worker's cache is checked against the store.

The fingerprint costs three small queries (about a millisecond on SQLite); it can be memoised
for :data:`FINGERPRINT_TTL_S` seconds per store (0 by default: every request checks, so a change
shows at once).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING
from typing import Any

from store.coverage import coverage_fingerprint

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Hashable

    from store import Store

MAX_ENTRIES = 64
FINGERPRINT_TTL_S = 0.0
"""How long a fingerprint look-up is reused (a change shows within this many seconds)."""


class ResultCache:
    """A thread-safe LRU of computed answers keyed by hashable tuples."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._fingerprints: dict[str, tuple[float, Any]] = {}
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def fingerprint(self, store: Store) -> Any:
        """The store's coverage fingerprint, reused for up to ``FINGERPRINT_TTL_S``."""
        now = time.monotonic()
        with self._lock:
            seen = self._fingerprints.get(store.url)
            if seen is not None and now - seen[0] < FINGERPRINT_TTL_S:
                return seen[1]
        value = coverage_fingerprint(store)
        with self._lock:
            self._fingerprints[store.url] = (now, value)
        return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value of ``key``, or ``compute()`` stored under it."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
        value = compute()
        with self._lock:
            self.misses += 1
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything (tests, and after a schema change)."""
        with self._lock:
            self._data.clear()
            self._fingerprints.clear()


CACHE = ResultCache()
"""The worker's cache (one per process)."""

__all__ = ["CACHE", "ResultCache"]
