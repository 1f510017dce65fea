"""The only place that speaks SQL: models, engine, migrations and the spatial queries.

:class:`Store` is the handle the rest of the code holds: one per process (or per app), built
from a database URL, stateless beyond its connection pool and caches, so any number of
processes can share one database.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from store import models
from store.engine import DEFAULT_SQLITE_URL
from store.engine import backend_of
from store.engine import check_connection
from store.engine import explain_db_error
from store.engine import make_engine
from store.engine import make_sessionmaker
from store.engine import redact_url
from store.engine import transaction
from store.errors import NotFoundError
from store.errors import StoreBusyError
from store.errors import StoreError
from store.errors import StoreNotInitialisedError
from store.errors import StoreUnavailableError
from store.migrate import current_revision
from store.migrate import head_revision
from store.migrate import upgrade
from store.replicas import ReadRouter
from store.replicas import is_connection_error
from store.replicas import replica_read
from store.spatial import backend_for
from store.upsert import upsert_rows

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable
    from collections.abc import Iterator
    from collections.abc import Sequence

    from store.spatial import SpatialBackend
    from store.upsert import Outcome


#: Exceptions that may mean "database unreachable": see :func:`unavailable_error`.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    StoreUnavailableError, OperationalError, InterfaceError, PoolTimeoutError)


def unavailable_error(exc: BaseException) -> StoreUnavailableError | None:
    """``exc`` as a :class:`StoreUnavailableError` when the database cannot be reached.

    That is: server down, restarting, or the connection dropped; else ``None``. The service
    answers such errors with 503 and ``Retry-After`` instead of 500.
    """
    if isinstance(exc, StoreUnavailableError):
        return exc
    if is_connection_error(exc):
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return StoreUnavailableError(
            f"database unreachable: {reason[0] if reason else type(exc).__name__}")
    return None


class Store:
    """A CommonGround database: sessions, schema and spatial queries.

    Parameters
    ----------
    url
        ``sqlite:///path.db`` (embedded) or ``postgresql+psycopg://...`` (PostGIS): the
        primary, which takes every write.
    replica_urls
        PostGIS only: URLs of streaming replicas of ``url``. Reads that may be a second
        stale (recommendations, listings, coverage, maps) go to them; see
        :mod:`store.replicas`.
    **engine_kwargs
        Passed to :func:`sqlalchemy.create_engine`.

    Notes
    -----
    ``engine`` and ``sessions`` are the primary's: writes, sign-in, a partner's own needs.
    Stale-tolerant reads use ``router`` (:meth:`read_session`, ``router.connect()``) inside
    functions wrapped in :func:`store.replicas.replica_read`.
    """

    def __init__(
        self, url: str = DEFAULT_SQLITE_URL, replica_urls: Iterable[str] = (),
        **engine_kwargs: Any,
    ) -> None:
        self.url = url
        self.backend = backend_of(url)
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = make_sessionmaker(self.engine)
        replicas = [u.strip() for u in replica_urls if u and u.strip()]
        for replica in replicas:
            if self.backend != "postgis" or backend_of(replica) != "postgis":
                msg = (f"DATABASE_REPLICA_URLS {redact_url(replica)!r}: read replicas need a "
                       "PostGIS primary and postgresql+psycopg:// replica URLs")
                raise StoreUnavailableError(msg)
        # A replica that does not answer quickly is left out, not waited for.
        self.router = ReadRouter(self.engine, [
            make_engine(u, connect_args={"connect_timeout": 2, "prepare_threshold": None})
            for u in replicas])
        self.replica_urls = replicas
        self.spatial: SpatialBackend = backend_for(self.router)
        self._head: str | None = None

    def __repr__(self) -> str:
        """Show the backend and the URL without its password."""
        return f"Store({self.backend}, {redact_url(self.url)!r})"

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden."""
        return redact_url(self.url)

    def check(self) -> None:
        """Raise :class:`StoreUnavailableError` (one line, URL named) unless the store answers."""
        check_connection(self.engine)

    def explain(self, exc: BaseException) -> StoreError | None:
        """A one-line store error for a database failure a user can act on, else ``None``.

        (Cannot connect, not initialised, another writer still busy.)
        """
        return explain_db_error(exc, self.url)

    def init_db(self) -> str | None:
        """Apply the migrations; return the schema revision reached."""
        self.check()
        try:
            upgrade(self.engine)
        except (OperationalError, DBAPIError) as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            msg = f"cannot migrate database {self.safe_url}: {reason}"
            raise StoreUnavailableError(msg) from None
        return current_revision(self.engine)

    def is_current(self) -> bool:
        """Whether the schema is at the newest revision."""
        if self._head is None:  # reading the migration scripts is slow: once per process
            self._head = head_revision(self.engine)
        return current_revision(self.engine) == self._head

    def is_initialised(self) -> bool:
        """Whether ``init-db`` has run here (cheap: no migration script is read)."""
        return current_revision(self.engine) is not None

    def healthy(self) -> bool:
        """Whether the store answers a trivial query and its schema is current."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return self.is_current()
        except (DBAPIError, OSError):
            return False

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction on the primary: committed on success, rolled back.

        Rolled back on any error. With replicas, the WAL position after the commit is noted
        for read-your-writes (:meth:`store.replicas.ReadRouter.note_write`).
        """
        with transaction(self.sessions) as session:
            yield session
        self.router.note_write()

    def read_session(self) -> Session:
        """A session for stale-tolerant reads: a replica when one can serve, else the primary.

        Use inside a :func:`store.replicas.replica_read` function, as a context manager.
        """
        return Session(self.router.pick(), expire_on_commit=False)

    def dispose(self) -> None:
        """Close all pooled connections (primary and replicas)."""
        self.engine.dispose()
        self.router.dispose()

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables."""
        tables = {
            "regions": models.Region,
            "organisations": models.PeerOrganisation,
            "meetings": models.Meeting,
            "volunteers": models.Volunteer,
            "associations": models.Association,
            "opportunities": models.Opportunity,
            "mutual_interest_links": models.MutualInterestLink,
            "outcome_records": models.OutcomeRecord,
            "interests": models.Interest,
            "users": models.User,
        }
        with self.sessions() as s:
            return {
                name: int(s.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in tables.items()
            }

    def seed_interests(self, terms: Iterable[dict[str, Any]]) -> list[tuple[Outcome, int]]:
        """Insert or update the interest taxonomy (rows of :class:`models.Interest` fields)."""
        with self.session() as s:
            return upsert_rows(s, models.Interest, list(terms), key=("slug",))

    @replica_read
    def data_version(self, table: str) -> int | None:
        """The change counter of ``table``, bumped by triggers on every write."""
        with self.read_session() as s:
            return s.scalar(
                select(models.DataVersion.version).where(models.DataVersion.table_name == table)
            )

    def changed_at(self, *tables: str) -> dt.datetime | None:
        """UTC time of the last committed write to any of ``tables`` (``None``: never known).

        Set by the triggers that bump the change counters, so deletions count too.
        """
        with self.sessions() as s:
            return s.scalar(
                select(func.max(models.DataVersion.changed_at))
                .where(models.DataVersion.table_name.in_(tables))
            )

    def analyze(self, session: Session, table: str, columns: Sequence[str] = ()) -> None:
        """Refresh the planner's statistics of ``table`` (PostGIS; a no-op on SQLite).

        Called after a large load, so the next lookups use the indexes instead of plans made
        for an empty table. ``columns`` limits it to those columns (all by default): the
        statistics of ``geom`` cost most of a whole-table ``ANALYZE`` (a tenth of a second
        for 10,000 rows), and autovacuum refreshes every column soon after a large load.
        """
        if self.backend == "postgis":
            by_name = {m.__tablename__: m for m in models.LOCATED_MODELS.values()}
            if table not in by_name:
                msg = f"table {table!r} cannot be analysed; choose one of {sorted(by_name)}"
                raise ValueError(msg)
            known = set(by_name[table].__table__.columns.keys())
            if not set(columns) <= known:
                msg = f"{table} has no column(s) {sorted(set(columns) - known)}"
                raise ValueError(msg)
            which = f" ({', '.join(columns)})" if columns else ""
            session.execute(text(f"ANALYZE {table}{which}"))

    def interest_slugs(self) -> list[str]:
        """The slugs of the interest taxonomy, as seeded."""
        with self.sessions() as s:
            return list(s.scalars(select(models.Interest.slug).order_by(models.Interest.slug)))


__all__ = [
    "DEFAULT_SQLITE_URL",
    "UNAVAILABLE_ERRORS",
    "NotFoundError",
    "Store",
    "StoreBusyError",
    "StoreError",
    "StoreNotInitialisedError",
    "StoreUnavailableError",
    "explain_db_error",
    "is_connection_error",
    "models",
    "redact_url",
    "replica_read",
    "unavailable_error",
    "upsert_rows",
]
