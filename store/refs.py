"""What ingest asks of the store: lookups, known ids, columns, and the upsert of a kind.

References by id or name, same-name neighbours, the ids already stored, the columns of each
kind and the upsert of a kind's rows.

Ingest names a kind (``"meetings"``, ``"associations"``, ``"opportunities"``) and never
touches a model or a statement itself: the SQL stays in store/.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlalchemy import select

from geo.index import PointIndex
from store.bulk import KeyTaken  # noqa: F401 - raised by new_rows_writer, caught in ingest
from store.bulk import column_writer
from store.bulk import one_of
from store.models import Association
from store.models import IngestRun
from store.models import Meeting
from store.models import MutualInterestLink
from store.models import Opportunity
from store.models import OutcomeRecord
from store.models import PeerOrganisation
from store.models import Region
from store.models import Volunteer
from store.upsert import Outcome
from store.upsert import upsert_rows

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session

MODELS: dict[str, Any] = {
    "meetings": Meeting,
    "associations": Association,
    "opportunities": Opportunity,
    "organisations": PeerOrganisation,
    "regions": Region,
    "volunteers": Volunteer,
    "mutual_interest_links": MutualInterestLink,
    "outcome_records": OutcomeRecord,
}
"""Kinds (named as in :meth:`store.Store.counts`) -> models."""


def normalise_name(name: str) -> str:
    """Case-, space- and punctuation-insensitive form of a name, for duplicate checks.

    Examples
    --------
    >>> normalise_name("  St. Mary's  Allotment Society ")
    'st marys allotment society'
    """
    text = re.sub(r"['\u2019`.]", "", str(name).lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _name_col(model: Any) -> Any:
    return model.title if model is Opportunity else model.name


def resolve_refs(
    session: Session, kind: str, refs: Iterable[str], *, source: str
) -> dict[str, int]:
    """Map references to ids.

    A reference matches by ``(source, ref)``, then by ``source_id`` in any source (when
    unique), then by exact name (case-insensitive, when unique).
    """
    model = MODELS[kind]
    wanted = {str(r) for r in refs if r not in (None, "")}
    found: dict[str, int] = {}
    if not wanted:
        return found
    for sid, rid in session.execute(
        select(model.source_id, model.id).where(model.source == source,
                                                model.source_id.in_(wanted))
    ):
        found[sid] = rid
    rest = wanted - set(found)
    if rest:
        by_sid: dict[str, list[int]] = {}
        for sid, rid in session.execute(
            select(model.source_id, model.id).where(model.source_id.in_(rest))
        ):
            by_sid.setdefault(sid, []).append(rid)
        found.update({k: v[0] for k, v in by_sid.items() if len(v) == 1})
    rest = wanted - set(found)
    if rest:
        lowered = {r.lower(): r for r in rest}
        by_name: dict[str, list[int]] = {}
        name = _name_col(model)
        for nm, rid in session.execute(
            select(func.lower(name), model.id).where(func.lower(name).in_(list(lowered)))
        ):
            by_name.setdefault(nm, []).append(rid)
        found.update({lowered[k]: v[0] for k, v in by_name.items() if len(v) == 1})
    return found


def same_name_nearby(
    session: Session, kind: str, candidates: list[tuple[str, float, float]], *,
    within_m: float = 50.0,
) -> list[tuple[str, str] | None]:
    """Find stored records of the same normalised name within ``within_m`` metres.

    Returns, for each ``(name, lat, lon)``, the ``(source, source_id)`` of such a record, or
    ``None``.
    """
    model = MODELS[kind]
    if not candidates:
        return []
    rows = session.execute(
        select(model.id, _name_col(model), model.lat, model.lon, model.source, model.source_id)
        .where(model.lat.is_not(None), model.lon.is_not(None))
    ).all()
    if not rows:
        return [None] * len(candidates)
    index = PointIndex(np.arange(len(rows)), [r[2] for r in rows], [r[3] for r in rows])
    names = [normalise_name(r[1]) for r in rows]
    out: list[tuple[str, str] | None] = []
    for name, lat, lon in candidates:
        hit = None
        if lat is not None and lon is not None:
            key = normalise_name(name)
            near, _ = index.within((lat, lon), within_m / 1000.0)
            for i in near.tolist():
                if names[i] == key and rows[i][5]:
                    hit = (rows[i][4], rows[i][5])
                    break
        out.append(hit)
    return out


class NameIndex:
    """Stored records of one kind by normalised name and position, to find the same thing.

    Built once per load (inside its transaction, after its lock), so a record another load
    has just committed is found.
    """

    def __init__(self, session: Session, kind: str) -> None:
        model = MODELS[kind]
        rows = session.execute(
            select(_name_col(model), model.lat, model.lon, model.source, model.source_id,
                   model.location_precision)
            .where(model.lat.is_not(None), model.lon.is_not(None))
        ).all()
        self._rows = [(normalise_name(r[0]), r[3], r[4], r[5]) for r in rows]
        self._index = PointIndex(np.arange(len(rows)), [r[1] for r in rows],
                                 [r[2] for r in rows]) if rows else None

    def __len__(self) -> int:
        """How many stored records with a position the index holds."""
        return len(self._rows)

    def find(self, name: str, lat: float, lon: float, *, within_m: float
             ) -> tuple[str, str, float, str] | None:
        """``(source, source_id, metres away, stored precision)`` of the nearest same name."""
        if self._index is None:
            return None
        key = normalise_name(name)
        near, dist_km = self._index.within((lat, lon), within_m / 1000.0)
        best = None
        for i, d in zip(near.tolist(), np.asarray(dist_km).tolist(), strict=True):
            name_i, source, sid, precision = self._rows[i]
            if name_i == key and sid and (best is None or d < best[2]):
                best = (source, sid, d * 1000.0, precision)
        return best


def lock_for_load(session: Session, kinds: Iterable[str]) -> None:
    """Serialise loads of the same kinds: a PostgreSQL advisory lock held to the commit.

    SQLite needs none: its write transactions begin ``IMMEDIATE`` and so run one at a time.
    Locks are taken in name order, so two loads never wait for each other in a circle.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for kind in sorted(set(kinds)):
        session.execute(select(func.pg_advisory_xact_lock(
            func.hashtext(f"commonground-load:{kind}"))))


def record_ingest_run(session: Session, **fields: Any) -> int:
    """Write an :class:`IngestRun` row in the caller's transaction; return its id."""
    run = IngestRun(**fields)
    session.add(run)
    session.flush()
    return int(run.id)


def positions(
    session: Session, kind: str, ids: Iterable[int]
) -> dict[int, tuple[float | None, float | None, str, str | None]]:
    """``id -> (lat, lon, location_precision, postcode)`` of stored records."""
    model = MODELS[kind]
    wanted = sorted({int(i) for i in ids})
    out: dict[int, tuple[float | None, float | None, str, str | None]] = {}
    for start in range(0, len(wanted), 500):
        for rid, lat, lon, prec, pc in session.execute(
            select(model.id, model.lat, model.lon, model.location_precision, model.postcode)
            .where(model.id.in_(wanted[start:start + 500]))
        ):
            out[rid] = (lat, lon, prec, pc)
    return out


def table_name(kind: str) -> str:
    """The table that holds a kind (for :meth:`store.Store.analyze`)."""
    return str(MODELS[kind].__tablename__)


def column_names(kind: str) -> frozenset[str]:
    """The column names of a kind's table: the keys a row for :func:`upsert_records` may use."""
    return frozenset(c.name for c in MODELS[kind].__table__.columns)


def by_name_and_postcode(
    session: Session, kind: str, names: Iterable[str]
) -> dict[str, list[tuple[int, str | None]]]:
    """Lower-case name -> ``[(id, postcode), ...]`` of the stored records of those names."""
    model = MODELS[kind]
    name = _name_col(model)
    wanted = sorted({str(n).lower() for n in names})
    out: dict[str, list[tuple[int, str | None]]] = {}
    for start in range(0, len(wanted), 500):
        for nm, rid, pc in session.execute(
            select(func.lower(name), model.id, model.postcode)
            .where(func.lower(name).in_(wanted[start:start + 500])).order_by(model.id)
        ):
            out.setdefault(nm, []).append((rid, pc))
    return out


def known_source_ids(
    session: Session, kind: str, ids: Iterable[str], *, source: str
) -> set[str]:
    """The ``source_id`` values among ``ids`` already stored for ``source``."""
    model = MODELS[kind]
    wanted = list(dict.fromkeys(str(i) for i in ids))
    dialect = session.get_bind().dialect.name
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        known.update(session.scalars(
            select(model.source_id)
            .where(model.source == source,
                   one_of(model.source_id, wanted[start:start + 500], dialect))
        ))
    return known


def upsert_records(
    session: Session, kind: str, rows: Iterable[Mapping[str, Any]], *,
    key: tuple[str, ...] = ("source", "source_id"),
    keep_precise_locations: bool = False,
    kept: list[tuple[Any, ...]] | None = None,
    fresh: Collection[Any] = (),
) -> list[tuple[Outcome, Any]]:
    """:func:`store.upsert.upsert_rows` for a kind (a key of :data:`MODELS`)."""
    return upsert_rows(session, MODELS[kind], rows, key=key, kept=kept, fresh=fresh,
                       keep_precise_locations=keep_precise_locations)


def new_rows_writer(session: Session, kind: str, columns: Sequence[str], *,
                    source: str) -> AbstractContextManager[Callable[[Mapping[str, list[Any]]],
                                                                    None]]:
    """Write a first load's rows of ``kind``, given as blocks of ``columns``, as they come.

    For a load whose rows are all new (its source had no stored row when it took the load's
    lock) and whose ids are unique: no lookups, no comparison, one ``COPY`` on PostGIS. See
    :func:`store.bulk.column_writer`; :class:`store.bulk.KeyTaken` when another writer
    stored one of the keys meanwhile (nothing written: upsert instead).
    """
    return column_writer(session, MODELS[kind].__table__, columns,
                         constants={"source": source})


def has_located(session: Session, kind: str) -> bool:
    """Whether any record of ``kind`` is stored with a position (:class:`NameIndex`'s)."""
    model = MODELS[kind]
    return session.execute(select(model.id).where(
        model.lat.is_not(None), model.lon.is_not(None)).limit(1)).first() is not None


def has_source(session: Session, kind: str, source: str) -> bool:
    """Whether any record of ``kind`` is stored under ``source``."""
    model = MODELS[kind]
    return session.execute(
        select(model.id).where(model.source == source).limit(1)).first() is not None
