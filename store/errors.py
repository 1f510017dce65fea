"""The errors of ``store``: each carries the HTTP ``status`` and a stable ``code``."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Base class of store failures."""

    status = 500
    code = "store_error"


class StoreUnavailableError(StoreError):
    """The database cannot be reached or is not usable (bad URL, server down, no PostGIS)."""

    status = 503
    code = "store_unavailable"


class StoreNotInitialisedError(StoreUnavailableError):
    """The database answers but has no CommonGround schema: ``init-db`` was never run."""

    code = "store_not_initialised"


class StoreBusyError(StoreError):
    """Another writer held the database longer than the busy timeout (SQLite)."""

    status = 503
    code = "store_busy"


class NotFoundError(StoreError, LookupError):
    """A record that does not exist."""

    status = 404
    code = "not_found"


class UnknownTableError(StoreError, ValueError):
    """A spatial query on a table that has no positions."""

    status = 400
    code = "unknown_table"
