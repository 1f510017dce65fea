"""The postcode reference table: replace it from a loaded file, read it back as arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select

from store.models import PostcodeRow
from store.replicas import replica_read

if TYPE_CHECKING:
    from collections.abc import Iterable

    from store import Store

_CHUNK = 20_000


def replace_postcodes(
    store: Store, rows: Iterable[tuple[str, str, float, float]], *, source: str,
) -> int:
    """Replace the rows of ``source`` with ``(postcode, kind, lat, lon)`` rows.

    One transaction; a postcode already loaded from another source is overwritten. Returns
    the number of rows written.
    """
    rows = list(rows)
    with store.session() as s:
        s.execute(delete(PostcodeRow).where(PostcodeRow.source == source))
        keys = [r[0] for r in rows]
        for start in range(0, len(keys), _CHUNK):
            s.execute(delete(PostcodeRow).where(PostcodeRow.postcode.in_(
                keys[start:start + _CHUNK])))
        for start in range(0, len(rows), _CHUNK):
            s.execute(insert(PostcodeRow), [
                {"postcode": p, "kind": k, "lat": float(a), "lon": float(b), "source": source}
                for p, k, a, b in rows[start:start + _CHUNK]
            ])
    return len(rows)


@replica_read
def load_postcodes(store: Store) -> list[tuple[str, str, float, float]]:
    """Every ``(postcode, kind, lat, lon)`` row, full postcodes and districts."""
    with store.read_session() as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            select(PostcodeRow.postcode, PostcodeRow.kind, PostcodeRow.lat, PostcodeRow.lon)
        )]
