"""Engines and sessions for the two backends: an embedded SQLite file and PostGIS."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from store.errors import StoreBusyError
from store.errors import StoreError
from store.errors import StoreNotInitialisedError
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


#: How long a SQLite writer waits for another one to finish before giving up (seconds).
SQLITE_BUSY_TIMEOUT = 30.0
_IMMEDIATE = "commonground_immediate"


def _sqlite_pragmas(busy_timeout: float) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (_sqlite_begin): pysqlite's own deferred BEGIN cannot take
        # the write lock up front, and a deferred reader that later writes gets "database is
        # locked" at once instead of waiting.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    """``BEGIN IMMEDIATE`` for write transactions (one writer at a time, waiting its turn)."""
    immediate = conn.get_execution_options().get(_IMMEDIATE)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT, **kwargs: Any) -> Engine:
    """Create an engine for a CommonGround database URL.

    Parameters
    ----------
    url
        ``sqlite:///file.db`` or ``postgresql+psycopg://...``. A plain ``postgresql://`` URL
        is taken to mean the psycopg 3 driver.
    busy_timeout
        SQLite only: seconds a writer waits for the one before it.
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
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    ping_idle = "pool_pre_ping" not in kwargs
    # prepare_threshold=None: no server-side prepared statements. Their generic plans turned
    # the 500-key lookups of ingest into scans on fresh tables (bench/ingest.py), and they
    # do not survive connection poolers in transaction mode anyway.
    kwargs.setdefault("connect_args", {"connect_timeout": 5, "prepare_threshold": None})
    engine = create_engine(parsed, **kwargs)
    if ping_idle:  # unless the caller chose (True: at every check-out; False: never)
        _ping_when_idle(engine)
    return engine


PING_IDLE_S = 2.0
"""A pooled PostGIS connection idle for longer than this is pinged before it is handed out.

One used within the last seconds is not: a ping at every check-out was one more round trip
per read. A connection that dropped meanwhile fails its statement instead, which makes
SQLAlchemy throw away the pool's connections, and the hot read path (``store._fast``) sends
its statement once more on a fresh connection."""
_USED = "cg_used_at"


def _ping_when_idle(engine: Engine) -> None:
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        used = record.info.get(_USED)
        if used is None or time.monotonic() - used <= PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError(str(exc)) from exc

    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_USED] = time.monotonic()

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)


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
    """A write session in one transaction: committed on success, rolled back on any exception.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock at
    once, waiting up to the busy timeout for another writer, so two writers never meet
    half-way (the cause of "database is locked" answers).
    """
    with factory() as session, session.begin():
        session.connection(execution_options={_IMMEDIATE: True})
        yield session


_NOT_INITIALISED = re.compile(r"no such table|relation \S+ does not exist|UndefinedTable")
_LOCKED = re.compile(r"database is locked|database table is locked")


def explain_db_error(exc: BaseException, url: str) -> StoreError | None:
    """A one-line store error for a database failure a user can act on, else ``None``.

    Cannot connect -> :class:`StoreUnavailableError`; missing tables ->
    :class:`StoreNotInitialisedError`; SQLite's lock still held after the busy timeout ->
    :class:`StoreBusyError`. The URL is shown without its password.
    """
    if isinstance(exc, StoreError):
        return exc
    if not isinstance(exc, DBAPIError):
        return None
    safe = redact_url(url)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    if _NOT_INITIALISED.search(reason) or _NOT_INITIALISED.search(type(exc.orig).__name__):
        return StoreNotInitialisedError(
            f"the store {safe} is not initialised: run `commonground init-db`")
    if _LOCKED.search(reason):
        return StoreBusyError(
            f"another load is running (or an edit is writing) on {safe} and did not finish "
            "within the busy timeout (COMMONGROUND_BUSY_TIMEOUT): try again when it is done")
    if exc.connection_invalidated or (isinstance(exc, OperationalError) and (
        "connect" in reason or "unable to open" in reason
    )):
        return StoreUnavailableError(f"cannot connect to database {safe}: {reason}")
    return None
