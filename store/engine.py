"""Engines and sessions for the two backends: an embedded SQLite file and PostGIS."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from store.errors import StoreUnavailableError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine

DEFAULT_SQLITE_URL = "sqlite:///instance/commonground.db"


def redact_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs.

    Examples
    --------
    >>> redact_url("postgresql+psycopg://cg:secret@db:5432/cg")
    'postgresql+psycopg://cg:***@db:5432/cg'
    """
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def backend_of(url: str) -> str:
    """``"sqlite"`` or ``"postgis"`` for a database URL."""
    name = make_url(url).get_backend_name()
    if name == "sqlite":
        return "sqlite"
    if name == "postgresql":
        return "postgis"
    msg = (
        f"DATABASE_URL {redact_url(url)!r} uses {name!r}; CommonGround supports "
        "'sqlite:///path.db' and 'postgresql+psycopg://user:pass@host/db' (PostGIS)"
    )
    raise StoreUnavailableError(msg)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for a CommonGround database URL.

    Parameters
    ----------
    url
        ``sqlite:///file.db`` or ``postgresql+psycopg://...``. A plain ``postgresql://`` URL
        is taken to mean the psycopg 3 driver.
    **kwargs
        Passed to :func:`sqlalchemy.create_engine`.

    Returns
    -------
    sqlalchemy.engine.Engine
        The engine (not yet connected).

    Raises
    ------
    StoreUnavailableError
        When the URL cannot be parsed or names an unsupported database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        msg = (
            f"DATABASE_URL {url.rsplit('@', maxsplit=1)[-1]!r} is not a database URL: expected "
            "'sqlite:///path.db' or 'postgresql+psycopg://user:pass@host/db'"
        )
        raise StoreUnavailableError(msg) from None
    backend = backend_of(url)
    if backend == "postgis" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # prepare_threshold=None: no server-side prepared statements. Their generic plans turned
    # the 500-key lookups of ingest into scans on fresh tables (bench/ingest.py), and they
    # do not survive connection poolers in transaction mode anyway.
    kwargs.setdefault("connect_args", {"connect_timeout": 5, "prepare_threshold": None})
    return create_engine(parsed, **kwargs)


def check_connection(engine: Engine) -> None:
    """Connect once, or raise a one-line :class:`StoreUnavailableError` naming the URL."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        url = engine.url.render_as_string(hide_password=True)
        msg = f"cannot connect to database {url}: {reason}"
        raise StoreUnavailableError(msg) from None


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose sessions keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any exception."""
    with factory() as session, session.begin():
        yield session
