"""One read statement straight through the driver, for the hot path of PostGIS requests.

A recommendation asks PostGIS one radius question per request. Through SQLAlchemy Core that
question cost more in Python than in the server (building and compiling the statement, text
results, a transaction around it): at 100k listings about 2-3 ms of a request whose
statement runs in 0.4 ms. Here the statement text is made once per shape and cached, sent
with its parameters on a pooled connection in autocommit (one statement is its own snapshot:
no ``BEGIN``/``ROLLBACK`` round trips), and its row read in psycopg's binary format. Errors
are raised as SQLAlchemy's ``DBAPIError`` (a dropped connection is invalidated and says so),
so :func:`store.replicas.replica_read` and the service's error handling treat them as any
other read's.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.engine import Engine


def fetch_one(engine: Engine, sql: str, params: Mapping[str, Any] | tuple[Any, ...]
              ) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (psycopg placeholders) on ``engine``, binary results.

    A connection found dropped (the server restarted since it was last used: idle ones are
    pinged at check-out, recently used ones are not, see ``store.engine.PING_IDLE_S``) is
    thrown away with the rest of the pool, and the statement, a read, is sent once more on
    a fresh connection.
    """
    try:
        return _fetch_one(engine, sql, params)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        engine.dispose(close=False)  # its siblings died with it: new connections from here
        return _fetch_one(engine, sql, params)


def _fetch_one(engine: Engine, sql: str, params: Mapping[str, Any] | tuple[Any, ...]
               ) -> tuple[Any, ...] | None:
    dbapi_error = engine.dialect.loaded_dbapi.Error
    raw = engine.raw_connection()  # the pool's check-out
    driver: Any = raw.driver_connection
    row: tuple[Any, ...] | None
    try:
        driver.autocommit = True
        with driver.cursor(binary=True) as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
        driver.autocommit = False  # as the pool's other users expect it
    except dbapi_error as exc:
        lost = bool(engine.dialect.is_disconnect(exc, driver, None))
        raw.invalidate(exc)  # never back to the pool in autocommit or in a bad state
        raise DBAPIError.instance(sql, params, exc, dbapi_error,
                                  connection_invalidated=lost) from exc
    finally:
        raw.close()  # back to the pool (or closed, when invalidated)
    return row


@functools.lru_cache(maxsize=256)
def within_sql(table: str, boxes: int, by_id: bool, filters: tuple[tuple[str, bool], ...],
               versions: bool) -> str:
    """The radius statement of one shape: ids, lats and lons as three arrays in one row.

    ``boxes`` envelopes ``%(w0)s...`` OR'ed (with ``id = ANY(%(ids)s)`` when ``by_id``),
    ``filters``: (column, is a list) with parameters ``%(f_column)s``; ``versions``: two
    more arrays, the names and change counters of the tables ``%(tables)s``. Identifiers
    come from the models only, never from a request.
    """
    where = [f"geom && ST_MakeEnvelope(%(w{i})s, %(s{i})s, %(e{i})s, %(n{i})s, 4326)"
             for i in range(boxes)]
    if by_id:
        where.append("id = ANY(%(ids)s::bigint[])")
    conds = [f"({' OR '.join(where)})", "lat IS NOT NULL", "lon IS NOT NULL"]
    conds += [f"{name} = ANY(%(f_{name})s)" if many else f"{name} = %(f_{name})s"
              for name, many in filters]
    columns = ["array_agg(id)", "array_agg(lat)", "array_agg(lon)"]
    if versions:
        columns += [f"(SELECT array_agg({c} ORDER BY table_name) FROM data_versions "  # noqa: S608
                    "WHERE table_name = ANY(%(tables)s::text[]))"
                    for c in ("table_name", "version")]
    # Identifiers from the models; every value is a parameter.
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {' AND '.join(conds)}"  # noqa: S608


__all__ = ["fetch_one", "within_sql"]
