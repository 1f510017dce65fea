"""Read routing: a primary for writes, streaming replicas for reads that may be a second stale.

:class:`ReadRouter` holds the primary engine and one engine per replica. Read functions of the
store that can answer from a slightly stale copy (recommendations, listings, coverage, maps)
are wrapped in :func:`replica_read`: the router picks a replica for the whole call and, when
that replica fails (connection refused, dropped or a recovery conflict), marks it down for
:attr:`ReadRouter.retry_after_s` seconds and runs the call again on the primary, so losing a
replica never fails a request. Read functions are free of writes, so running one twice is safe.

Read-your-writes: after a write, :meth:`ReadRouter.note_write` keeps the primary's WAL insert
position (an LSN). A caller that wrote (a staff session, through its cookie) hands that LSN
back on its next requests with :meth:`ReadRouter.requiring`; a replica then serves those
requests only once ``pg_last_wal_replay_lsn()`` has passed it, otherwise the primary does.

Without replicas (SQLite, or PostGIS with no ``DATABASE_REPLICA_URLS``) every read goes to
the primary and none of this costs anything.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import threading
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator

    from sqlalchemy.engine import Connection
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.interfaces import Dialect

log = logging.getLogger("commonground.store")
F = TypeVar("F", bound="Callable[..., Any]")

#: The engine chosen for the read call in progress (set by :func:`replica_read`).
_target: ContextVar[Engine | None] = ContextVar("cg_read_target", default=None)
#: The LSN the current caller must see (set by :meth:`ReadRouter.requiring`).
_required_lsn: ContextVar[str | None] = ContextVar("cg_required_lsn", default=None)
#: The primary's WAL position after the current caller's last write.
_written_lsn: ContextVar[str | None] = ContextVar("cg_written_lsn", default=None)


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or dropped the connection.

    Such errors are about the server, not the query: the request may be tried again on
    another server (a replica's failure) or answered with 503 (the primary's).
    """
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class ReadRouter:
    """Chooses the engine of each read: a live, caught-up replica, else the primary.

    Parameters
    ----------
    primary
        The engine of the primary (all writes; reads when no replica can serve).
    replicas
        Engines of streaming replicas of that primary (may be empty).
    retry_after_s
        How long a replica that failed is left out before it is tried again.
    """

    def __init__(
        self, primary: Engine, replicas: list[Engine] | tuple[Engine, ...] = (), *,
        retry_after_s: float = 5.0,
    ) -> None:
        self.primary = primary
        self.replicas = list(replicas)
        self.retry_after_s = retry_after_s
        self._down_until: dict[int, float] = {}
        self._caught_up: dict[int, str] = {}
        self._turn = itertools.count()
        self._lock = threading.Lock()

    @property
    def dialect(self) -> Dialect:
        """The dialect of the primary (replicas are copies of it)."""
        return self.primary.dialect

    # ----------------------------------------------------------------- choosing

    def _live(self) -> list[int]:
        now = time.monotonic()
        with self._lock:
            return [i for i in range(len(self.replicas)) if self._down_until.get(i, 0.0) <= now]

    def _has_replayed(self, i: int, lsn: str) -> bool:
        if self._caught_up.get(i) == lsn:
            return True
        with self.replicas[i].connect() as conn:
            done = bool(conn.execute(
                text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"),
                {"lsn": lsn}).scalar())
        if done:
            self._caught_up[i] = lsn
        return done

    def pick(self) -> Engine:
        """The engine for a read now.

        Round-robin over live replicas that have replayed the caller's last write (see
        :meth:`requiring`), else the primary.
        """
        target = _target.get()
        if target is not None:
            return target
        live = self._live()
        if not live:
            return self.primary
        start = next(self._turn)
        required = _required_lsn.get()
        for k in range(len(live)):
            i = live[(start + k) % len(live)]
            if required is None:
                return self.replicas[i]
            try:
                if self._has_replayed(i, required):
                    return self.replicas[i]
            except DBAPIError as exc:
                if not is_connection_error(exc):
                    raise
                self.mark_down(self.replicas[i], exc)
        return self.primary

    def mark_down(self, engine: Engine, exc: BaseException | None = None) -> None:
        """Leave a failed replica out for :attr:`retry_after_s` seconds."""
        for i, replica in enumerate(self.replicas):
            if replica is engine:
                with self._lock:
                    was_up = self._down_until.get(i, 0.0) <= time.monotonic()
                    self._down_until[i] = time.monotonic() + self.retry_after_s
                if was_up:
                    reason = str(getattr(exc, "orig", exc) or "").strip().splitlines()
                    log.warning("replica %s left out for %.0f s, reads go to the primary: %s",
                                replica.url.render_as_string(hide_password=True),
                                self.retry_after_s, reason[0] if reason else "failed")

    def connect(self) -> Connection:
        """A connection for reading (see :meth:`pick`); use as a context manager."""
        return self.pick().connect()

    # ------------------------------------------------------------ read-your-writes

    def note_write(self) -> None:
        """Remember the primary's WAL position after a committed write (replicas only)."""
        if not self.replicas:
            return
        with self.primary.connect() as conn:
            lsn = conn.execute(text("SELECT CAST(pg_current_wal_insert_lsn() AS text)")).scalar()
        _written_lsn.set(str(lsn))

    @staticmethod
    def written_lsn() -> str | None:
        """The LSN after this caller's last write, or ``None`` when it wrote nothing."""
        return _written_lsn.get()

    @contextlib.contextmanager
    def requiring(self, lsn: str | None) -> Iterator[None]:
        """Within the block, read only from replicas that have replayed ``lsn``.

        Also starts a fresh :meth:`written_lsn` for the block (one request).
        """
        required = _required_lsn.set(lsn or None)
        written = _written_lsn.set(None)
        try:
            yield
        finally:
            _required_lsn.reset(required)
            _written_lsn.reset(written)

    @contextlib.contextmanager
    def primary_reads(self) -> Iterator[None]:
        """Within the block, every read runs on the primary.

        For answers cached under a key read on the primary: their data must not come from a
        replica that lags behind that key.
        """
        token = _target.set(self.primary)
        try:
            yield
        finally:
            _target.reset(token)

    def caught_up(self, lsn: str) -> bool:
        """Whether every live replica has replayed ``lsn`` (so a caller may forget it)."""
        try:
            return all(self._has_replayed(i, lsn) for i in self._live())
        except DBAPIError:
            return False

    def dispose(self) -> None:
        """Close the pooled connections of the replicas (the primary's belong to the store)."""
        for replica in self.replicas:
            replica.dispose()


def replica_read(fn: F) -> F:
    """Run a read-only store function on a replica, and again on the primary if that fails.

    The wrapped function's first argument has a ``router`` (:class:`ReadRouter`): a
    :class:`store.Store`, a spatial backend, a candidate source. Nested wrapped calls run on
    the engine chosen by the outermost one.
    """

    @functools.wraps(fn)
    def wrapper(owner: Any, *args: Any, **kwargs: Any) -> Any:
        router: ReadRouter = owner.router
        if _target.get() is not None or not router.replicas:
            return fn(owner, *args, **kwargs)
        engine = router.pick()
        token = _target.set(engine)
        try:
            return fn(owner, *args, **kwargs)
        except DBAPIError as exc:
            if engine is router.primary or not is_connection_error(exc):
                raise
            router.mark_down(engine, exc)
        finally:
            _target.reset(token)
        token = _target.set(router.primary)
        try:
            return fn(owner, *args, **kwargs)
        finally:
            _target.reset(token)

    return wrapper  # type: ignore[return-value]


__all__ = ["ReadRouter", "is_connection_error", "replica_read"]
