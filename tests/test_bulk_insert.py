"""store.bulk.insert_rows: new rows in order with their ids, a taken key updated, not doubled.

On PostGIS the rows are copied straight into the table; when a key is already taken (another
writer inserted it after the caller's lookup) that copy is undone and the staging-table
``INSERT ... ON CONFLICT`` path stores the rows instead.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.bulk import insert_rows
from store.models import Association


def _rows(ids: range, *, name: str = "Club") -> list[dict[str, object]]:
    return [{"source": "t", "source_id": f"a{i}", "name": f"{name} {i}", "category": "sport",
             "lat": 53.4 + i / 1000, "lon": -2.2, "location_precision": "exact"}
            for i in ids]


def _stored(store) -> list[tuple[int, str, str]]:
    with store.session() as session:
        return [tuple(r) for r in session.execute(
            select(Association.id, Association.source_id, Association.name)
            .order_by(Association.id))]


def test_new_rows_get_ids_in_input_order(store) -> None:
    before = store.data_version("associations")
    with store.session() as session:
        got = insert_rows(session, Association.__table__, _rows(range(50)),
                          key=("source", "source_id"))
    stored = _stored(store)
    assert [sid for _, sid, _ in stored] == [f"a{i}" for i in range(50)]
    assert got == [(rid, True) for rid, _, _ in stored]
    assert store.data_version("associations") != before


def test_a_taken_key_is_updated_not_duplicated_on_postgis(postgis_store) -> None:
    store = postgis_store
    with store.session() as session:
        insert_rows(session, Association.__table__, _rows(range(3, 4), name="Old"),
                    key=("source", "source_id"))
    (old_id, _, _), = _stored(store)
    with store.session() as session:  # as if another writer stored a3 after our lookup
        got = insert_rows(session, Association.__table__, _rows(range(6)),
                          key=("source", "source_id"))
    stored = _stored(store)
    assert len(stored) == 6
    assert got[3] == (old_id, False)
    assert [flag for _, flag in got] == [True, True, True, False, True, True]
    assert {sid: name for _, sid, name in stored}["a3"] == "Club 3"
    new_ids = [rid for rid, flag in got if flag]
    assert new_ids == sorted(new_ids)  # still in input order


def test_a_taken_key_fails_the_load_on_sqlite(sqlite_store) -> None:
    """SQLite loads hold the write lock from their lookup on: a taken key is a bug, loudly."""
    with sqlite_store.session() as session:
        insert_rows(session, Association.__table__, _rows(range(1)),
                    key=("source", "source_id"))
    with pytest.raises(Exception, match="UNIQUE"), sqlite_store.session() as session:
        insert_rows(session, Association.__table__, _rows(range(2)),
                    key=("source", "source_id"))
    assert len(_stored(sqlite_store)) == 1
