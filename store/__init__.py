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
from sqlalchemy.exc import OperationalError

from store import models
from store.engine import DEFAULT_SQLITE_URL
from store.engine import backend_of
from store.engine import check_connection
from store.engine import make_engine
from store.engine import make_sessionmaker
from store.engine import redact_url
from store.engine import transaction
from store.errors import NotFoundError
from store.errors import StoreError
from store.errors import StoreUnavailableError
from store.migrate import current_revision
from store.migrate import head_revision
from store.migrate import upgrade
from store.spatial import backend_for
from store.upsert import upsert_rows

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable
    from collections.abc import Iterator

    from sqlalchemy.orm import Session

    from store.spatial import SpatialBackend
    from store.upsert import Outcome


class Store:
    """A CommonGround database: sessions, schema and spatial queries.

    Parameters
    ----------
    url
        ``sqlite:///path.db`` (embedded) or ``postgresql+psycopg://...`` (PostGIS).
    **engine_kwargs
        Passed to :func:`sqlalchemy.create_engine`.
    """

    def __init__(self, url: str = DEFAULT_SQLITE_URL, **engine_kwargs: Any) -> None:
        self.url = url
        self.backend = backend_of(url)
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = make_sessionmaker(self.engine)
        self.spatial: SpatialBackend = backend_for(self.engine)
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
        """A session in one transaction: committed on success, rolled back on error."""
        with transaction(self.sessions) as session:
            yield session

    def dispose(self) -> None:
        """Close all pooled connections."""
        self.engine.dispose()

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

    def data_version(self, table: str) -> int | None:
        """The change counter of ``table``, bumped by triggers on every write."""
        with self.sessions() as s:
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

    def analyze(self, session: Session, table: str) -> None:
        """Refresh the planner's statistics of ``table`` (PostGIS; a no-op on SQLite).

        Called after a large load, so the next lookups use the indexes instead of plans made
        for an empty table.
        """
        if self.backend == "postgis":
            allowed = {m.__tablename__ for m in models.LOCATED_MODELS.values()}
            if table not in allowed:
                msg = f"table {table!r} cannot be analysed; choose one of {sorted(allowed)}"
                raise ValueError(msg)
            session.execute(text(f"ANALYZE {table}"))

    def interest_slugs(self) -> list[str]:
        """The slugs of the interest taxonomy, as seeded."""
        with self.sessions() as s:
            return list(s.scalars(select(models.Interest.slug).order_by(models.Interest.slug)))


__all__ = [
    "DEFAULT_SQLITE_URL",
    "NotFoundError",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "models",
    "redact_url",
    "upsert_rows",
]
