"""Idempotent upsert keyed by ``(source, source_id)``, identical on both backends.

Set-based, not object-by-object: existing rows are fetched per chunk of keys, new rows go in
through :mod:`store.bulk` (``COPY`` into a staging table and one ``INSERT ... SELECT ... ON
CONFLICT`` on PostGIS, one driver ``executemany`` on SQLite), changed rows as one bulk
``UPDATE`` by primary key. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal
from typing import cast

from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import update

from store.bulk import can_bulk_insert
from store.bulk import insert_rows
from store.bulk import key_conditions

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Mapping

    from sqlalchemy import Table
    from sqlalchemy.orm import Session

    from store.models import Base

Outcome = Literal["inserted", "updated", "unchanged"]

# Fields the ORM maintains; a difference in them alone is not a change.
_IGNORED = frozenset({"id", "created_at", "updated_at", "geom"})
_CHUNK = 500
_LOOKUP_CHUNK = 2000  # keys per lookup: one bound parameter (store.bulk.one_of) however many
_LOCATION = frozenset({"lat", "lon", "location_precision"})
_RANK = {p: i for i, p in enumerate(("exact", "postcode", "district", "area", "town"))}


def _less_precise(old: Any, new: Any) -> bool:
    """Whether a ``new`` location precision would downgrade the stored ``old`` one."""
    if old is None or new is None:
        return False
    return _RANK.get(str(new), 0) > _RANK.get(str(old), 0)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) and isinstance(new, (int, float)):
        return old == float(new)
    if isinstance(old, dt.datetime) and isinstance(new, dt.datetime):
        return old.replace(tzinfo=None) == new.replace(tzinfo=None)
    return bool(old == new)


def _check_rows(
    model: type[Base], rows: list[Mapping[str, Any]], key: tuple[str, ...]
) -> tuple[set[str], list[tuple[Any, ...]]]:
    """The column names the rows give, and each row's key; ``ValueError`` on a bad row."""
    columns = set(model.__table__.columns.keys())
    given: set[str] = set().union(*rows)
    if not given <= columns:
        for i, row in enumerate(rows):
            unknown = set(row) - columns
            if unknown:
                msg = f"row {i}: unknown column(s) {sorted(unknown)} for {model.__tablename__}"
                raise ValueError(msg)
    keys = [tuple(map(row.get, key)) for row in rows]
    flat = {v for kv in keys for v in kv} if len(key) > 1 else {kv[0] for kv in keys}
    if None not in flat and "" not in flat and len(set(keys)) == len(keys):
        return given, keys
    seen: dict[tuple[Any, ...], int] = {}
    for i, (row, kv) in enumerate(zip(rows, keys, strict=True)):
        if None in kv or "" in kv:
            missing = [k for k in key if row.get(k) in (None, "")]
            msg = f"row {i}: key column(s) {missing} are required for an upsert"
            raise ValueError(msg)
        if kv in seen:
            msg = f"row {i}: key {kv!r} repeats row {seen[kv]}"
            raise ValueError(msg)
        seen[kv] = i
    return given, keys  # pragma: no cover - a key is missing or repeats, above


def _existing(session: Session, keys: list[tuple[Any, ...]], key_cols: list[Any], *,
              fetch: list[Any], fetch_names: list[str], dialect: str,
              fresh: Collection[Any] = ()) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Key -> the stored row's ``fetch_names`` values, for the ``keys`` already stored.

    Keys whose leading value (the source) has no stored row cannot exist: a first load asks
    once per source instead of once per chunk of keys. Leading values in ``fresh`` are not
    asked about at all.
    """
    leading = {kv[0] for kv in keys} - set(fresh)
    stored = {v for v in leading if session.execute(
        select(key_cols[0]).where(key_cols[0] == v).limit(1)).first() is not None}
    lookup = keys if stored == {kv[0] for kv in keys} else [kv for kv in keys if kv[0] in stored]
    n = len(key_cols)
    existing: dict[tuple[Any, ...], dict[str, Any]] = {}
    for start in range(0, len(lookup), _LOOKUP_CHUNK):
        existing.update({
            tuple(rec[1 : 1 + n]): dict(zip(fetch_names, rec, strict=True))
            for cond in key_conditions(key_cols, lookup[start : start + _LOOKUP_CHUNK], dialect)
            for rec in session.execute(select(*fetch).where(cond))
        })
    return existing


def upsert_rows(
    session: Session,
    model: type[Base],
    rows: Iterable[Mapping[str, Any]],
    *,
    key: tuple[str, ...] = ("source", "source_id"),
    keep_precise_locations: bool = False,
    kept: list[tuple[Any, ...]] | None = None,
    fresh: Collection[Any] = (),
) -> list[tuple[Outcome, Any]]:
    """Insert new rows, update changed ones, leave identical ones alone.

    Runs inside the caller's transaction and never commits.

    Parameters
    ----------
    session
        An open session.
    model
        The mapped class (``Meeting``, ``Association``, ...).
    rows
        Column name -> value. Every row must carry all the ``key`` columns.
    key
        The natural key; ``(source, source_id)`` by default.
    keep_precise_locations
        Never replace a stored position by a less precise one (``location_precision``
        ``exact`` < ``postcode`` < ``district`` < ``area`` < ``town``): the row's ``lat``,
        ``lon`` and ``location_precision`` are then ignored, its other fields still apply.
    kept
        When given, the keys of the rows whose less precise position was ignored are
        appended to it.
    fresh
        Leading key values (sources) that had no stored row when the caller's load began
        (and held its write lock), whose keys the caller never sends twice: their rows are
        new, and not looked up (a first load's later chunks).

    Returns
    -------
    list of (outcome, primary key)
        One per input row, in order: ``"inserted"``, ``"updated"`` or ``"unchanged"`` and
        the row's primary key value.

    Raises
    ------
    ValueError
        When a row lacks a key column or names a column the model does not have, or two rows
        share a key. Nothing is written then.
    """
    rows = list(rows)
    given, keys = _check_rows(model, rows, key)
    mapper = inspect(model)
    pk = mapper.primary_key[0].name
    key_cols = [getattr(model, k) for k in key]
    compared = given - _IGNORED
    fetch = [getattr(model, pk), *key_cols, *(getattr(model, c) for c in sorted(compared))]
    fetch_names = [pk, *key, *sorted(compared)]
    has_updated_at = "updated_at" in mapper.columns
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    results: list[tuple[Outcome, Any]] = []
    table = cast("Table", model.__table__)
    bulk = can_bulk_insert(table, key, given)
    dialect = session.get_bind().dialect.name

    existing = _existing(session, keys, key_cols, fetch=fetch, fetch_names=fetch_names,
                         dialect=dialect, fresh=fresh)
    new_rows = [r for r, kv in zip(rows, keys, strict=True) if kv not in existing]
    new_ids: list[tuple[Any, bool]] = []
    if new_rows and bulk:  # all of them at once: one COPY and one INSERT on PostGIS
        new_ids = insert_rows(session, table, new_rows, key=key)
    elif new_rows:
        new_rows = [dict(r) for r in new_rows]
        for start in range(0, len(new_rows), _CHUNK):
            session.execute(insert(model), new_rows[start : start + _CHUNK])
        new_ids = [(r[pk], True) for r in new_rows]
    changes: list[dict[str, Any]] = []
    new_iter = iter(new_ids)
    for row, kv in zip(rows, keys, strict=True):
        old = existing.get(kv)
        if old is None:
            new_id, inserted = next(new_iter)
            results.append(("inserted" if inserted else "updated", new_id))
            continue
        ignored = _IGNORED
        if keep_precise_locations and _less_precise(old.get("location_precision"),
                                                    row.get("location_precision")):
            ignored = _IGNORED | _LOCATION
            if kept is not None and any(
                not _same(old[n], row[n]) for n in _LOCATION if n in row
            ):
                kept.append(kv)
        changed = {
            name: value for name, value in row.items()
            if name not in ignored and not _same(old[name], value)
        }
        if changed:
            if has_updated_at:  # the source's own change time when it gives one
                changed["updated_at"] = row.get("updated_at") or now
            changes.append({pk: old[pk], **changed})
            results.append(("updated", old[pk]))
        else:
            results.append(("unchanged", old[pk]))
    for start in range(0, len(changes), _CHUNK):
        session.execute(update(model), changes[start : start + _CHUNK])
    # Objects already in the session may hold stale attributes after the bulk statements.
    session.expire_all()
    return results
