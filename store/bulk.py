"""The bulk insert behind :func:`store.upsert.upsert_rows`: new rows, in order, with their ids.

PostGIS: the rows go straight into the table through one ``COPY`` (psycopg's copy) inside a
savepoint, with ids drawn from the table's sequence beforehand: the change-counter trigger
fires once, and nothing is read back. When a row's key is taken (another writer inserted it
meanwhile: the unique constraint refuses the ``COPY``), the savepoint is rolled back and the
rows go into a ``TEMP`` staging table through ``COPY``, then one ``INSERT ... SELECT ...
ORDER BY ... ON CONFLICT (key) DO UPDATE ... RETURNING id, key, (xmax = 0)`` moves them into
the table, so that row is updated, not duplicated. SQLite: one ``executemany`` of a plain
``INSERT`` through the driver (the load holds the write lock since its ``BEGIN IMMEDIATE``),
then the new ids by key.

Either way every row is inserted with the same columns, the model's Python-side defaults
(``created_at``, ``status``, ``schedule`` ...) filled in for the columns a row leaves out,
and in input order, so the ids follow the file (the ORM's per-row inserts did the same; an
export ordered by id must come out in the order it went in). Values pass through the
column types' own bind processors (JSON, dates and times), as SQLAlchemy would send them.

:func:`column_writer` is the first load's way in (PostGIS, ``ingest._first_load``): rows
known to be new, given as blocks of columns, go into one ``COPY`` whose text is built a
column at a time and sent block by block, with no lookups and no ids read back.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from contextlib import contextmanager
from itertools import repeat
from typing import TYPE_CHECKING
from typing import Any

from psycopg.errors import UniqueViolation
from psycopg.types.json import Json
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.dialects.postgresql import ARRAY

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator
    from collections.abc import Mapping
    from collections.abc import Sequence

    from sqlalchemy import Column
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

_STAGE_PREFIX = "_cg_stage_"


def _quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def _default_of(col: Column[Any]) -> Callable[[], Any] | None:
    """A zero-argument function giving ``col``'s Python-side default, or ``None``."""
    default = col.default
    if default is None or getattr(default, "is_sequence", False):
        return None
    if default.is_scalar:
        value = default.arg  # type: ignore[attr-defined]
        return lambda: value
    if default.is_callable:
        fn = default.arg  # type: ignore[attr-defined]
        return lambda: fn(None)
    return None


def can_bulk_insert(table: Table, key: tuple[str, ...], present: set[str]) -> bool:
    """Whether :func:`insert_rows` applies: an integer id the database assigns, plain defaults."""
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or pk[0].name in present or pk[0].name in key:
        return False
    if not pk[0].autoincrement or pk[0].type.python_type is not int:
        return False
    return all(
        c.default is None or getattr(c.default, "is_sequence", False)
        or c.default.is_scalar or c.default.is_callable
        for c in table.columns if c.name not in present
    )


def _insert_columns(table: Table, present: set[str]) -> list[Column[Any]]:
    """The columns to write: those given, plus those with a Python-side default."""
    return [
        c for c in table.columns
        if c.computed is None and not c.primary_key
        and (c.name in present or _default_of(c) is not None)
    ]


def _values(conn: Connection, cols: list[Column[Any]],
            rows: list[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Row tuples ready for the driver: defaults filled, bind processors applied.

    A default is evaluated once per call (one ``created_at`` for the rows of one insert,
    as one ``updated_at`` marks the rows one upsert changes). On PostgreSQL a JSON default
    is sent as its JSON text, dumped once (psycopg's ``Json`` wrapper would dump it again
    for every row of a ``COPY``: a tenth of a first load's time).
    """
    getters = _defaults(conn, cols)
    if all(proc is None for _, _, proc in getters):
        return [tuple([row.get(name, filled) for name, filled, _ in getters])
                for row in rows]
    return [tuple([
        filled if name not in row else (
            row[name] if proc is None or row[name] is None else proc(row[name]))
        for name, filled, proc in getters]) for row in rows]


def _defaults(conn: Connection, cols: list[Column[Any]],
              constants: Mapping[str, Any] | None = None,
              ) -> list[tuple[str, Any, Callable[[Any], Any] | None]]:
    """Per column: its name, the value a row without it gets, and its bind processor.

    That value is the column's entry in ``constants``, else its Python-side default
    evaluated once, as the driver will be sent it (bind processor applied; a JSON value as
    its text, see :func:`_values`).
    """
    dialect = conn.dialect
    constants = constants or {}
    out: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
    for c in cols:
        proc = c.type.dialect_impl(dialect).bind_processor(dialect)
        default = _default_of(c)
        value = constants[c.name] if c.name in constants else (
            default() if default is not None else None)
        filled = proc(value) if proc is not None and value is not None else value
        if isinstance(filled, Json):
            filled = (filled.dumps or json.dumps)(filled.obj)
        out.append((c.name, filled, proc))
    return out


def one_of(col: Any, values: list[Any], dialect: str) -> Any:
    """``col IN values`` with one bound parameter, so the statement compiles once.

    ``IN (?, ?, ...)`` is rendered anew for every list length (SQLAlchemy's expanding
    parameters, a third of a load's time in bench/ingest.py); PostgreSQL takes an array
    (``= ANY(%s)``), SQLite a JSON array (``IN (SELECT value FROM json_each(?))``).
    """
    if dialect == "postgresql" and all(isinstance(v, str) for v in values):
        return col == any_(bindparam(None, values, type_=ARRAY(String)))
    if dialect == "sqlite" and all(isinstance(v, str | int) and not isinstance(v, bool)
                                   for v in values):
        each = func.json_each(bindparam(None, json.dumps(values), type_=String))
        return col.in_(select(literal_column("value")).select_from(each))
    return col.in_(values)


def key_conditions(key_cols: list[Any], keys: list[tuple[Any, ...]],
                   dialect: str = "") -> list[Any]:
    """WHERE clauses that find ``keys``: ``first = v AND last IN (...)`` per leading value.

    A row-value ``(a, b) IN ((..), (..), ...)`` is planned as hundreds of ORs on PostgreSQL
    (a scan of the table per chunk before it has statistics: bench/ingest.py); grouping by
    the leading column gives ``a = v AND b = ANY(...)``, an index range scan on both backends.
    ``dialect`` (``"postgresql"``, ``"sqlite"``) picks the one-parameter form of the list.
    """
    if len(key_cols) == 1:
        return [one_of(key_cols[0], [k[0] for k in keys], dialect)]
    if len(key_cols) > 2:  # noqa: PLR2004 - no such key today; keep the general form
        return [tuple_(*key_cols).in_(keys)]
    groups: dict[Any, list[Any]] = {}
    for first, second in keys:
        groups.setdefault(first, []).append(second)
    return [(key_cols[0] == first) & one_of(key_cols[1], seconds, dialect)
            for first, seconds in groups.items()]


def _unique_on(table: Table, key: tuple[str, ...]) -> bool:
    return any(isinstance(c, UniqueConstraint) and {col.name for col in c.columns} == set(key)
               for c in table.constraints)


def _postgres(conn: Connection, table: Table, cols: list[Column[Any]], key: tuple[str, ...],
              values: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, bool]]:
    q = _quote
    name = q(conn, table.name)
    stage = q(conn, _STAGE_PREFIX + table.name)
    insertable = [c for c in table.columns if c.computed is None and not c.primary_key]
    names = ", ".join(q(conn, c.name) for c in cols)
    pk = q(conn, next(iter(table.primary_key.columns)).name)
    keys = ", ".join(q(conn, k) for k in key)
    raw = conn.connection.driver_connection
    if raw is None:  # pragma: no cover - a pooled connection always has its driver's
        msg = "no driver connection"
        raise RuntimeError(msg)
    conflict = ""
    if _unique_on(table, key):
        keep = {*key, "created_at"}
        sets = ", ".join(f"{q(conn, c.name)} = EXCLUDED.{q(conn, c.name)}"
                         for c in cols if c.name not in keep)
        conflict = (f" ON CONFLICT ({keys}) DO UPDATE SET {sets}" if sets
                    else f" ON CONFLICT ({keys}) DO NOTHING")
    if conflict:
        found = _copy_direct(conn, table, cols, key, values)
        if found is not None:
            return found
    with raw.cursor() as cur:
        # The staging table lives until the end of the transaction (rolled back with it).
        # Identifiers below come from the model, quoted; values travel as COPY data.
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS SELECT 0::bigint AS "  # noqa: S608
            f"_ord, {', '.join(q(conn, c.name) for c in insertable)} FROM {name} WITH NO DATA")
        with cur.copy(f"COPY {stage} (_ord, {names}) FROM STDIN") as copy:
            for i, row in enumerate(values):
                copy.write_row((i, *row))
        cur.execute(
            f"INSERT INTO {name} ({names}) SELECT {names} FROM {stage} ORDER BY _ord"  # noqa: S608
            f"{conflict} RETURNING {pk}, {keys}, (xmax = 0)")
        returned = cur.fetchall()
        cur.execute(f"TRUNCATE {stage}")
    return {tuple(r[1:-1]): (r[0], bool(r[-1])) for r in returned}


def _copy_direct(conn: Connection, table: Table, cols: list[Column[Any]], key: tuple[str, ...],
                 values: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, bool]] | None:
    """``COPY`` the rows into the table itself; ``None`` (nothing written) when a key is taken.

    The usual first load: no staging table, no second pass over the rows. The ids are drawn
    from the table's sequence first (in ascending order, so they follow the rows) and sent
    with the rows: nothing is read back.
    """
    q = _quote
    pk = next(iter(table.primary_key.columns))
    names = ", ".join(q(conn, c.name) for c in (pk, *cols))
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    (q(conn, table.name), pk.name, len(values)))
        ids = sorted(r[0] for r in cur.fetchall())
        cur.execute("SAVEPOINT cg_bulk_copy")
        try:
            with cur.copy(f"COPY {q(conn, table.name)} ({names}) FROM STDIN") as copy:
                for rid, row in zip(ids, values, strict=True):
                    copy.write_row((rid, *row))
        except UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT cg_bulk_copy")
            return None
        cur.execute("RELEASE SAVEPOINT cg_bulk_copy")
    positions = [i for k in key for i, c in enumerate(cols) if c.name == k]
    return {tuple(row[i] for i in positions): (rid, True)
            for rid, row in zip(ids, values, strict=True)}


def _ids_by_key(conn: Connection, table: Table, key: tuple[str, ...],
                wanted: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, bool]]:
    """Key -> ``(id, True)`` of just-inserted rows, looked up by key."""
    pk = next(iter(table.primary_key.columns))
    key_cols = [table.c[k] for k in key]
    return {
        tuple(rec[1:]): (rec[0], True)
        for cond in key_conditions(key_cols, wanted, conn.dialect.name)
        for rec in conn.execute(select(pk, *key_cols).where(cond))
    }


def _sqlite(conn: Connection, table: Table, cols: list[Column[Any]], key: tuple[str, ...], *,
            values: list[tuple[Any, ...]], rows: list[Mapping[str, Any]]
            ) -> dict[tuple[Any, ...], tuple[Any, bool]]:
    q = _quote
    names = ", ".join(q(conn, c.name) for c in cols)
    marks = ", ".join("?" for _ in cols)
    sql = f"INSERT INTO {q(conn, table.name)} ({names}) VALUES ({marks})"  # noqa: S608 - model names
    conn.exec_driver_sql(sql, values)
    return _ids_by_key(conn, table, key, [tuple(r[k] for k in key) for r in rows])


def insert_rows(session: Session, table: Table, rows: list[Mapping[str, Any]], *,
                key: tuple[str, ...]) -> list[tuple[Any, bool]]:
    """Insert ``rows`` in order; return ``(id, inserted)`` per row, in order.

    ``inserted`` is false only on PostGIS, for a row whose key another writer stored between
    the caller's lookup and this insert (it is then updated). Call only when
    :func:`can_bulk_insert` says so.
    """
    if not rows:
        return []
    present = {name for row in rows for name in row}
    cols = _insert_columns(table, present)
    conn = session.connection()
    values = _values(conn, cols, rows)
    if conn.dialect.name == "postgresql":
        found = _postgres(conn, table, cols, key, values)
    else:
        found = _sqlite(conn, table, cols, key, values=values, rows=rows)
    out = []
    for row in rows:
        kv = tuple(row[k] for k in key)
        if kv not in found:
            msg = f"{table.name}: the row with key {kv!r} was not stored"
            raise RuntimeError(msg)
        out.append(found[kv])
    return out


# COPY's text format: a backslash, tab, newline or carriage return in a value is escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_NULL = "\\N"


def _copy_cell(value: Any) -> str:
    """One value in ``COPY``'s text format (what psycopg's ``write_row`` would send)."""
    if value is None:
        return _COPY_NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float | int):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Json):  # a JSON column's bind processor's wrapper
        value = (value.dumps or json.dumps)(value.obj)
    elif isinstance(value, dict | list):
        value = json.dumps(value)
    return str(value).translate(_COPY_ESCAPES)


def _copy_column(values: list[Any]) -> list[str]:
    """A column's values in ``COPY``'s text format, texts and numbers without a call each."""
    kinds = set(map(type, values))
    nulls = type(None) in kinds
    kinds.discard(type(None))
    if kinds == {str}:
        if _COPY_SPECIAL.search("".join(v for v in values if v is not None) if nulls
                                else "".join(values)):
            return [_COPY_NULL if v is None else v.translate(_COPY_ESCAPES) for v in values]
        return [_COPY_NULL if v is None else v for v in values] if nulls else values
    if kinds <= {float, int}:
        if not nulls:
            return list(map(repr, values))
        return [_COPY_NULL if v is None else repr(v) for v in values]
    return [_copy_cell(v) for v in values]


class KeyTaken(Exception):  # noqa: N818 - a condition the caller handles, not a failure
    """Another writer stored one of the keys meanwhile: the rows written were taken back."""


@contextmanager
def column_writer(session: Session, table: Table, columns: Sequence[str], *,
                  constants: Mapping[str, Any]) -> Iterator[Callable[[Mapping[str, list[Any]]],
                                                                       None]]:
    """Insert new rows given as blocks of columns, in order, as they come.

    PostgreSQL only. Yields ``write(block)``: ``block`` maps some of ``columns`` to a list
    of values, one per row; ``None`` (or a column the block lacks) is an absent value, for
    which the column's Python-side default (``created_at``, ``status`` ...) applies as in
    :func:`insert_rows`; ``constants`` are columns with one value for every row (the
    source). The caller owns the transaction.

    One ``COPY`` for all the blocks, its text built column by column and sent as each block
    comes, so the server inserts one block while the caller prepares the next; inside a
    savepoint. When a key is taken (another writer stored it meanwhile: the unique
    constraint refuses the ``COPY``), the savepoint is rolled back, nothing is written, and
    :class:`KeyTaken` is raised (by ``write`` or on leaving). The ids come from the table's
    sequence, in order.
    """
    conn = session.connection()
    cols = _insert_columns(table, {*columns, *constants})
    defaults = _defaults(conn, cols, constants)
    fill = {name: filled for name, filled, _ in defaults}
    procs = {name: proc for name, _, proc in defaults if proc is not None}
    given = [c.name for c in cols if c.name in columns and c.name not in constants]

    def values_of(block: Mapping[str, list[Any]]) -> tuple[int, dict[str, list[Any]]]:
        """Rows in the block, and each given column's values, defaults filled in.

        A column the block lacks is absent from every row (the default, by the caller).
        """
        out = {}
        for name in given:
            values = block.get(name)
            if values is None:
                continue
            proc, default = procs.get(name), fill[name]
            if proc is not None:
                values = [None if v is None else proc(v) for v in values]
            if default is not None:
                values = [default if v is None else v for v in values]
            out[name] = values
        return len(next(iter(block.values()), ())), out

    same = {c.name: fill[c.name] for c in cols if c.name not in given}
    yield from _copy_writer(conn, table, given, same, defaults=fill, values_of=values_of)


def _copy_writer(conn: Connection, table: Table, varying: list[str], same: dict[str, Any], *,
                 defaults: dict[str, Any],
                 values_of: Callable[[Mapping[str, list[Any]]],
                                     tuple[int, dict[str, list[Any]]]],
                 ) -> Iterator[Callable[[Mapping[str, list[Any]]], None]]:
    """:func:`column_writer` on PostgreSQL: one ``COPY``, a block's text sent as it comes.

    The columns that vary come first in each line, those with one value for every row
    (``same``) after them, their text written once; ``defaults`` fill the varying columns a
    block lacks.
    """
    tail = "".join(f"\t{_copy_cell(value)}" for value in same.values()) + "\n"
    absent = {name: _copy_cell(default) for name, default in defaults.items()}
    names = ", ".join(_quote(conn, name) for name in (*varying, *same))
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute("SAVEPOINT cg_column_writer")
        try:
            with cur.copy(f"COPY {_quote(conn, table.name)} ({names}) FROM STDIN") as copy:

                def send(block: Mapping[str, list[Any]]) -> None:
                    n, values = values_of(block)
                    if not n:
                        return
                    rows = map("\t".join, zip(*(
                        _copy_column(values[name]) if name in values
                        else repeat(absent[name], n) for name in varying), strict=False))
                    try:
                        copy.write(tail.join(rows) + tail)
                    except UniqueViolation:  # the server's refusal, noticed while sending
                        raise KeyTaken from None

                yield send
        except (UniqueViolation, KeyTaken):
            cur.execute("ROLLBACK TO SAVEPOINT cg_column_writer")
            raise KeyTaken from None
        cur.execute("RELEASE SAVEPOINT cg_column_writer")
