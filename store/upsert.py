"""Idempotent upsert keyed by ``(source, source_id)``, identical on both backends."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import tuple_

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from store.models import Base

Outcome = Literal["inserted", "updated", "unchanged"]

# Fields the ORM maintains; a difference in them alone is not a change.
_IGNORED = frozenset({"id", "created_at", "updated_at", "geom"})
_CHUNK = 500


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) and isinstance(new, (int, float)):
        return old == float(new)
    if isinstance(old, dt.datetime) and isinstance(new, dt.datetime):
        return old.replace(tzinfo=None) == new.replace(tzinfo=None)
    return bool(old == new)


def upsert_rows(
    session: Session,
    model: type[Base],
    rows: Iterable[Mapping[str, Any]],
    *,
    key: tuple[str, ...] = ("source", "source_id"),
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

    Returns
    -------
    list of (outcome, primary key)
        One per input row, in order: ``"inserted"``, ``"updated"`` or ``"unchanged"`` and
        the row's primary key value.

    Raises
    ------
    ValueError
        When a row lacks a key column or names a column the model does not have, or two rows
        share a key.
    """
    rows = list(rows)
    columns = set(model.__table__.columns.keys())  # type: ignore[attr-defined]
    keys_seen: dict[tuple[Any, ...], int] = {}
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
        if kv in keys_seen:
            msg = f"row {i}: key {kv!r} repeats row {keys_seen[kv]}"
            raise ValueError(msg)
        keys_seen[kv] = i

    key_cols = [getattr(model, k) for k in key]
    existing: dict[tuple[Any, ...], Any] = {}
    all_keys = list(keys_seen)
    for start in range(0, len(all_keys), _CHUNK):
        chunk = all_keys[start : start + _CHUNK]
        cond = tuple_(*key_cols).in_(chunk) if len(key) > 1 else key_cols[0].in_(
            [c[0] for c in chunk]
        )
        for obj in session.scalars(select(model).where(cond)):
            existing[tuple(getattr(obj, k) for k in key)] = obj

    results: list[tuple[Outcome, Any]] = []
    for row in rows:
        kv = tuple(row[k] for k in key)
        obj = existing.get(kv)
        if obj is None:
            obj = model(**row)
            session.add(obj)
            results.append(("inserted", obj))
            continue
        changed = {
            name: value
            for name, value in row.items()
            if name not in _IGNORED and not _same(getattr(obj, name), value)
        }
        for name, value in changed.items():
            setattr(obj, name, value)
        results.append(("updated" if changed else "unchanged", obj))
    session.flush()
    pk = inspect(model).primary_key[0].name
    return [(outcome, getattr(obj, pk)) for outcome, obj in results]
