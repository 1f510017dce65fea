"""Computed-once answers: coverage, sites and map pages, per data change and parameters.

Each worker keeps a small least-recently-used cache. A key is the store's URL, the store's
coverage fingerprint (:func:`store.coverage.coverage_fingerprint`: change counters of meetings
and organisations, aggregates of volunteers and regions), the loaded-demand fingerprint and
the parameters (radius, date, area, count, ...). Any write to what coverage reads changes the
fingerprint, so a stale answer is never served; a worker that has not seen a key computes it
once. Nothing assumes a single process: every worker's cache is checked against the store.

Several workers (``REDIS_URL``): a cache made by :func:`service.web.app.create_app` for its
store has a shared tier behind its LRU (:class:`SharedTier`, implemented on Redis by
:class:`service.web.shared.RedisResults`): an answer one worker computed is fetched by the
others instead of being computed again. While one worker computes a key it holds a short
claim on it; the others wait up to :data:`CLAIM_WAIT_S` for its answer, then compute it
themselves. A shared tier that fails answers "absent": the worker computes locally.

The fingerprint costs three small queries (about a millisecond on SQLite); it can be memoised
for :data:`FINGERPRINT_TTL_S` seconds per store (0 by default: every request checks, so a change
shows at once).

Code stamp: every key is stored together with :data:`CODE_STAMP` (the package version, the
:data:`RESULT_SCHEMA` number and a digest of the source of the code whose answers are cached),
so that after a deploy with changed code no worker takes an answer the old code computed
(from Redis, where answers outlive a release).

An answer computed from data newer or older than its key's fingerprint (a write between
reading the fingerprint and reading the data) is returned but not kept: the compute function
wraps it in :class:`NotCached`.

Answers too slow for a page (the exact site solver, "links worth making" on a cold cache) can
be computed in the background (:meth:`ResultCache.get_or_start`): the caller gets the answer
when it is cached, else a stand-in at once while one thread per key computes it;
:meth:`ResultCache.wait_background` waits for those threads (tests, benches).

Requests first: in one process the threads share one interpreter lock, so a background
computation running beside a request stretches the request (the exact solver's model is built
in Python). The web face counts the requests in flight (:func:`foreground`, around every
request); background work steps aside while any is (:class:`StepAside`: at its start and at
points the computation offers), for at most :data:`STEP_ASIDE_S` in all, so steady traffic
delays a background answer by that much and never starves it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

from store.coverage import coverage_fingerprint

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Hashable
    from collections.abc import Iterator

    from store import Store

log = logging.getLogger("commonground.cache")

MAX_ENTRIES = 256
FINGERPRINT_TTL_S = 0.0
"""How long a fingerprint look-up is reused (a change shows within this many seconds)."""
CLAIM_WAIT_S = 1.0
"""How long a worker waits for another worker's answer to a claimed key before computing."""
CLAIM_POLL_S = 0.05

STEP_ASIDE_S = 3.0
"""The most a background computation waits, in all, for requests in flight to end."""
STEP_ASIDE_POLL_S = 0.005

MISSING = object()
"""What :meth:`SharedTier.get` returns for a key it does not hold (or cannot reach)."""

RESULT_SCHEMA = 2
"""Bump when the shape of a cached answer changes without its code changing (a pickle of an
older shape must not be taken for a newer one)."""
_STAMPED_CODE = ("matching", "maps", "service/usecases", "ingest/demand.py", "ingest/data",
                 "store/coverage.py", "store/hotspots.py", "geo")


def _package_version() -> str:
    try:
        return metadata.version("commonground")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def code_stamp(root: Path | None = None) -> str:
    """The package version, :data:`RESULT_SCHEMA` and a digest of the code whose answers are kept.

    The digest covers the sources (and shipped data) of the packages that compute, draw or
    read what is cached, so two releases with the same version number but different code get
    different stamps.
    """
    base = Path(__file__).resolve().parents[2] if root is None else root
    digest = hashlib.sha256()
    for name in _STAMPED_CODE:
        path = base / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and f.suffix in {".py", ".csv", ".json"}:
                digest.update(f.relative_to(base).as_posix().encode())
                digest.update(f.read_bytes())
    return f"{_package_version()}/{RESULT_SCHEMA}/{digest.hexdigest()[:16]}"


CODE_STAMP = code_stamp()
"""This code's stamp: part of every cached key (:meth:`ResultCache.get_or_compute`)."""


@dataclass(frozen=True)
class NotCached:
    """An answer to return but not to keep (its data did not match its key)."""

    value: Any


class SharedTier(Protocol):
    """Answers shared by every worker (Redis). Every method fails soft: never raises."""

    def get(self, key: Hashable) -> Any:
        """The answer under ``key``, or :data:`MISSING`."""

    def put(self, key: Hashable, value: Any) -> None:
        """Share ``value`` under ``key`` (skipped when too large or unreachable)."""

    def claim(self, key: Hashable) -> bool:
        """Whether this worker may compute ``key`` (no other worker is computing it)."""

    def release(self, key: Hashable) -> None:
        """Give up the claim on ``key``."""


_in_flight = 0
_in_flight_lock = threading.Lock()


@contextlib.contextmanager
def foreground() -> Iterator[None]:
    """Count a request in flight while the block runs (background work steps aside)."""
    global _in_flight  # noqa: PLW0603 - one count per process, like the interpreter lock
    with _in_flight_lock:
        _in_flight += 1
    try:
        yield
    finally:
        with _in_flight_lock:
            _in_flight -= 1


def step_aside() -> Callable[[], None]:
    """The :class:`StepAside` of this background thread (a no-op outside background work)."""
    return getattr(_thread, "aside", None) or _no_pause


def _no_pause() -> None:
    return None


def requests_in_flight() -> int:
    """How many requests of this process are being answered (:func:`foreground`)."""
    return _in_flight


class StepAside:
    """Called by background work at its pauses: wait while requests are in flight.

    Waits at most ``budget_s`` in all (over every call), so a busy worker still finishes
    its background answers. Only background threads get one (:func:`step_aside`).
    """

    def __init__(self, budget_s: float | None = None) -> None:
        self.left = STEP_ASIDE_S if budget_s is None else budget_s

    def __call__(self) -> None:
        """Wait (up to what is left of the budget) until no request is in flight."""
        while _in_flight > 0 and self.left > 0:
            time.sleep(STEP_ASIDE_POLL_S)
            self.left -= STEP_ASIDE_POLL_S


_thread = threading.local()


class ResultCache:
    """A thread-safe LRU of computed answers keyed by hashable tuples."""

    def __init__(self, max_entries: int = MAX_ENTRIES, shared: SharedTier | None = None) -> None:
        self.shared = shared
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._fingerprints: dict[str, tuple[float, Any]] = {}
        self.max_entries = max_entries
        self.stamp = CODE_STAMP
        self.hits = 0
        self.misses = 0
        self.shared_hits = 0
        self._jobs: dict[Hashable, threading.Thread] = {}

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
        """The cached value of ``key``: from this worker, else shared, else ``compute()``.

        ``compute`` may return :class:`NotCached`: its value is returned and not kept.
        """
        key = (self.stamp, key)
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
        value = (self._computed(compute) if self.shared is None
                 else self._shared_or_compute(self.shared, key, compute))
        if isinstance(value, NotCached):
            return value.value
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> Any:
        """The cached value of ``key`` (this worker's, else shared), or :data:`MISSING`."""
        stamped = (self.stamp, key)
        with self._lock:
            if stamped in self._data:
                self._data.move_to_end(stamped)
                self.hits += 1
                return self._data[stamped]
        if self.shared is None:
            return MISSING
        value = self.shared.get(stamped)
        if value is not MISSING:
            with self._lock:
                self.shared_hits += 1
                self._data[stamped] = value
        return value

    def get_or_start(self, key: Hashable, compute: Callable[[], Any]) -> tuple[Any, bool]:
        """``(value, True)`` when ``key`` is cached; else ``(MISSING, False)`` at once.

        In the second case one background thread per key (per worker) computes it
        (:meth:`get_or_compute`, so other workers share it through Redis); a failure is logged
        and the next call starts it again.
        """
        value = self.peek(key)
        if value is not MISSING:
            return value, True
        with self._lock:
            job = self._jobs.get(key)
            if job is None or not job.is_alive():
                job = threading.Thread(target=self._background, args=(key, compute),
                                       name="cg-result", daemon=True)
                self._jobs[key] = job
                job.start()
        return MISSING, False

    def _background(self, key: Hashable, compute: Callable[[], Any]) -> None:
        try:
            _thread.aside = StepAside()
            _thread.aside()  # let the request that started it finish first
            self.get_or_compute(key, compute)
        except Exception:  # a background answer must never take the worker down
            log.exception("background computation of a cached answer failed")
        finally:
            with self._lock:
                if self._jobs.get(key) is threading.current_thread():
                    del self._jobs[key]

    def wait_background(self, timeout_s: float = 60.0) -> bool:
        """Wait for the background computations started so far; ``True`` when all ended."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                jobs = [j for j in self._jobs.values() if j.is_alive()]
            if not jobs:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            jobs[0].join(left)

    def _computed(self, compute: Callable[[], Any]) -> Any:
        value = compute()
        with self._lock:
            self.misses += 1
        return value

    def _shared_or_compute(self, shared: SharedTier, key: Hashable,
                           compute: Callable[[], Any]) -> Any:
        """Another worker's answer, or one computed here and shared."""
        value = shared.get(key)
        claimed = False
        if value is MISSING:
            claimed = shared.claim(key)
            if not claimed:  # another worker is computing it: wait a little for its answer
                deadline = time.monotonic() + CLAIM_WAIT_S
                while value is MISSING and time.monotonic() < deadline:
                    time.sleep(CLAIM_POLL_S)
                    value = shared.get(key)
        if value is not MISSING:
            with self._lock:
                self.shared_hits += 1
            return value
        try:
            value = self._computed(compute)
            if not isinstance(value, NotCached):
                shared.put(key, value)
        finally:
            if claimed:
                shared.release(key)
        return value

    def clear(self) -> None:
        """Forget everything (tests, and after a schema change)."""
        with self._lock:
            self._data.clear()
            self._fingerprints.clear()


CACHE = ResultCache()
"""The worker's cache (one per process), for stores without a cache of their own."""

_BY_STORE: weakref.WeakKeyDictionary[Store, ResultCache] = weakref.WeakKeyDictionary()


def use_cache(store: Store, cache: ResultCache) -> None:
    """Give ``store`` a cache of its own (an app with a shared tier: ``REDIS_URL``)."""
    _BY_STORE[store] = cache


def cache_for(store: Store) -> ResultCache:
    """The cache of ``store``'s answers: its own (:func:`use_cache`) or :data:`CACHE`."""
    return _BY_STORE.get(store, CACHE)


__all__ = ["CACHE", "CODE_STAMP", "MISSING", "RESULT_SCHEMA", "NotCached", "ResultCache",
           "SharedTier", "StepAside", "cache_for", "code_stamp", "foreground",
           "requests_in_flight", "step_aside", "use_cache"]
