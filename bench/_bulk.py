"""Bulk loading for benchmarks: core ``executemany`` of bare located rows, no ORM objects."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import insert

from store.spatial import model_for

if TYPE_CHECKING:
    import numpy as np

    from store import Store


def bulk_insert_points(
    store: Store, table: str, ids: np.ndarray, lat: np.ndarray, lon: np.ndarray, *,
    source: str = "bulk", chunk: int = 20_000,
) -> int:
    """Insert bare located rows (id, name, lat, lon) in chunks; returns the row count."""
    model = model_for(table)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    name_col = "title" if hasattr(model, "title") else "name"
    extra = {"weekdays": [], "accessibility": []} if table == "meetings" else {}
    total = 0
    with store.engine.begin() as conn:
        for start in range(0, len(ids), chunk):
            batch = [
                {"id": int(i), name_col: f"point {int(i)}", "lat": float(a), "lon": float(b),
                 "source": source, "source_id": str(int(i)), "created_at": now,
                 "updated_at": now, "location_precision": "exact", "is_demo": False, **extra}
                for i, a, b in zip(ids[start:start + chunk], lat[start:start + chunk],
                                   lon[start:start + chunk], strict=True)
            ]
            conn.execute(insert(model), batch)
            total += len(batch)
    return total
