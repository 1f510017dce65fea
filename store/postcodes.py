"""The postcode reference table: compare a loaded file with it, replace rows, read it back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from store.models import PostcodeRow
from store.replicas import replica_read

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

    from store import Store

_CHUNK = 5_000

Row = tuple[str, str, float, float]
"""``(postcode, kind, lat, lon)``; kind ``"postcode"`` (full) or ``"district"``."""


def stored_postcodes(
    store: Store, keys: Sequence[str]
) -> dict[str, tuple[str, float, float, str]]:
    """``postcode -> (kind, lat, lon, source)`` of the stored rows among ``keys`` (read only)."""
    out: dict[str, tuple[str, float, float, str]] = {}
    with store.sessions() as s:
        for start in range(0, len(keys), _CHUNK):
            for pc, kind, lat, lon, source in s.execute(
                select(PostcodeRow.postcode, PostcodeRow.kind, PostcodeRow.lat,
                       PostcodeRow.lon, PostcodeRow.source)
                .where(PostcodeRow.postcode.in_(keys[start:start + _CHUNK]))
            ):
                out[pc] = (kind, lat, lon, source)
    return out


def count_postcodes_of(store: Store, source: str) -> int:
    """How many rows ``source`` loaded."""
    with store.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(PostcodeRow)
                            .where(PostcodeRow.source == source)) or 0)


def replace_postcodes(
    store: Store, rows: Sequence[Row], *, source: str,
    changed: Sequence[str] = (), progress: Callable[[int], None] | None = None,
) -> int:
    """Make ``source``'s rows exactly ``rows`` in one transaction; return the rows written.

    Rows of ``source`` not in ``rows`` are deleted; ``changed`` postcodes (stored, with
    another position, kind or source) are updated; the others of ``rows`` that are not stored
    are inserted. Rows already stored identically are not written at all.
    """
    changed_set = set(changed)
    keys = [r[0] for r in rows]
    with store.session() as s:
        stored: set[str] = set()
        for start in range(0, len(keys), _CHUNK):
            stored.update(s.scalars(select(PostcodeRow.postcode).where(
                PostcodeRow.postcode.in_(keys[start:start + _CHUNK]))))
        kept = set(keys)
        gone = [p for p in s.scalars(select(PostcodeRow.postcode)
                                     .where(PostcodeRow.source == source)) if p not in kept]
        for start in range(0, len(gone), _CHUNK):
            s.execute(delete(PostcodeRow).where(PostcodeRow.postcode.in_(
                gone[start:start + _CHUNK])))
        new = [r for r in rows if r[0] not in stored]
        moved = [r for r in rows if r[0] in changed_set]
        for start in range(0, len(new), _CHUNK):
            s.execute(insert(PostcodeRow), [
                {"postcode": p, "kind": k, "lat": float(a), "lon": float(b), "source": source}
                for p, k, a, b in new[start:start + _CHUNK]
            ])
            if progress is not None:
                progress(len(new[start:start + _CHUNK]))
        for start in range(0, len(moved), _CHUNK):
            s.execute(update(PostcodeRow), [
                {"postcode": p, "kind": k, "lat": float(a), "lon": float(b), "source": source}
                for p, k, a, b in moved[start:start + _CHUNK]
            ])
            if progress is not None:
                progress(len(moved[start:start + _CHUNK]))
    return len(new) + len(moved)


@replica_read
def load_postcodes(store: Store) -> list[tuple[str, str, float, float]]:
    """Every ``(postcode, kind, lat, lon)`` row, full postcodes and districts."""
    with store.read_session() as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            select(PostcodeRow.postcode, PostcodeRow.kind, PostcodeRow.lat, PostcodeRow.lon)
        )]
