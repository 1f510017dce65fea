"""Idempotent upsert keyed by ``(source, source_id)``, identical on both backends.

Set-based, not object-by-object: existing rows are fetched per chunk of keys, new rows go in
as one multi-row ``INSERT ... RETURNING id`` per chunk, changed rows as one bulk ``UPDATE`` by
primary key. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy import update

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from store.models import Base

Outcome = Literal["inserted", "updated", "unchanged"]

# Fields the ORM maintains; a difference in them alone is not a change.
_IGNORED = frozenset({"id", "created_at", "updated_at", "geom"})
_CHUNK = 500
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
) -> None:
    columns = set(model.__table__.columns.keys())
    seen: dict[tuple[Any, ...], int] = {}
    for i, row in enumerate(rows):
        unknown = set(row) - columns
        if unknown:
            msg = f"row {i}: unknown column(s) {sorted(unknown)} for {model.__tablename__}"
            raise ValueError(msg)
        missing = [k for k in key if row.get(k) in (None, "")]
        if missing:
            msg = f"row {i}: key column(s) {missing} are required for an upsert"
            raise ValueError(msg)
        kv = tuple(row[k] for k in key)
        if kv in seen:
            msg = f"row {i}: key {kv!r} repeats row {seen[kv]}"
            raise ValueError(msg)
        seen[kv] = i


def _key_conditions(key_cols: list[Any], keys: list[tuple[Any, ...]]) -> list[Any]:
    """WHERE clauses that find ``keys``: ``first = v AND last IN (...)`` per leading value.

    A row-value ``(a, b) IN ((..), (..), ...)`` is planned as hundreds of ORs on PostgreSQL
    (a scan of the table per chunk before it has statistics: bench/ingest.py); grouping by
    the leading column gives ``a = v AND b = ANY(...)``, an index range scan on both backends.
    """
    if len(key_cols) == 1:
        return [key_cols[0].in_([k[0] for k in keys])]
    if len(key_cols) > 2:  # noqa: PLR2004 - no such key today; keep the general form
        return [tuple_(*key_cols).in_(keys)]
    groups: dict[Any, list[Any]] = {}
    for first, second in keys:
        groups.setdefault(first, []).append(second)
    return [(key_cols[0] == first) & key_cols[1].in_(seconds)
            for first, seconds in groups.items()]


def upsert_rows(
    session: Session,
    model: type[Base],
    rows: Iterable[Mapping[str, Any]],
    *,
    key: tuple[str, ...] = ("source", "source_id"),
    keep_precise_locations: bool = False,
    kept: list[tuple[Any, ...]] | None = None,
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
    _check_rows(model, rows, key)
    mapper = inspect(model)
    pk = mapper.primary_key[0].name
    key_cols = [getattr(model, k) for k in key]
    compared = {name for row in rows for name in row} - _IGNORED
    fetch = [getattr(model, pk), *key_cols, *(getattr(model, c) for c in sorted(compared))]
    fetch_names = [pk, *key, *sorted(compared)]
    has_updated_at = "updated_at" in mapper.columns
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    results: list[tuple[Outcome, Any]] = []

    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        keys = [tuple(r[k] for k in key) for r in chunk]
        existing = {
            tuple(rec[1 : 1 + len(key)]): dict(zip(fetch_names, rec, strict=True))
            for cond in _key_conditions(key_cols, keys)
            for rec in session.execute(select(*fetch).where(cond))
        }
        new_rows = [dict(r) for r, kv in zip(chunk, keys, strict=True) if kv not in existing]
        new_ids: list[Any] = []
        if new_rows:
            if pk in mapper.columns and pk not in new_rows[0] and pk not in key:
                stmt = insert(model).returning(getattr(model, pk), sort_by_parameter_order=True)
                new_ids = list(session.scalars(stmt, new_rows))
            else:
                session.execute(insert(model), new_rows)
                new_ids = [r[pk] for r in new_rows]
        changes: list[dict[str, Any]] = []
        new_iter = iter(new_ids)
        for row, kv in zip(chunk, keys, strict=True):
            old = existing.get(kv)
            if old is None:
                results.append(("inserted", next(new_iter)))
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
        if changes:
            session.execute(update(model), changes)
    # Objects already in the session may hold stale attributes after the bulk statements.
    session.expire_all()
    return results
