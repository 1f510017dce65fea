"""A first load of associations on PostGIS, written while its file is read.

:class:`FirstLoad` is used by :func:`ingest.pipeline.ingest_file`; :func:`finish_load` ends
every load's transaction (the first load's and :func:`ingest.pipeline._write`'s).
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from typing import TYPE_CHECKING
from typing import Any

from geo.geocode import OfflineGeocoder
from store.refs import KeyTaken
from store.refs import column_names
from store.refs import has_located
from store.refs import has_source
from store.refs import lock_for_load
from store.refs import new_rows_writer
from store.refs import record_ingest_run
from store.refs import table_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from ingest.report import IngestReport
    from ingest.validate import ValidBlock
    from ingest.validate import ValidRecord
    from store import Store

_ANALYZE_AFTER = 5000  # inserted rows after which PostGIS statistics are refreshed


class DryRunDone(Exception):  # noqa: N818 - control flow, never escapes
    """Raised inside the transaction to roll a dry run back."""


def finish_load(store: Store, session: Any, kind: str, report: IngestReport,
                run: dict[str, Any]) -> None:
    """The end of a load's transaction: statistics, the ingest run (not for a dry run)."""
    if report.inserted >= _ANALYZE_AFTER:  # the columns the next loads look up by
        store.analyze(session, table_name(kind),
                      ("source", "source_id", "name" if kind != "opportunities"
                       else "title", "lat", "lon"))
    if report.dry_run:
        raise DryRunDone
    report.run_id = record_ingest_run(
        session, kind=kind, source=report.source,
        finished_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), dry_run=False,
        total=report.total, inserted=report.inserted, updated=report.updated,
        unchanged=report.unchanged, rejected_count=report.rejected_rows,
        rejected=report.rejected[:1000], warnings=report.warnings[:1000], **run,
    )


class _Abandoned(Exception):  # noqa: N818 - control flow, never escapes
    """Raised into a first load's transaction to roll it back."""


class WouldGeocode(Exception):  # noqa: N818 - control flow, never escapes
    """A first load's block needs a remote geocoder: it gives way first."""


class _NoRemoteGeocoding:
    """The geocoder of a first load holding its lock: asking it gives the load way."""

    def geocode(self, query: str, exactly_one: bool = True) -> Any:
        raise WouldGeocode


class FirstLoad:
    """A first load of associations, written while the file is read.

    When a CSV of associations comes from a new source and nothing of its kind is stored
    to match by name, the load's transaction and lock are taken before the file is read,
    and each block's valid rows go into one ``COPY`` as soon as the block is checked (plain
    rows as the columns :func:`ingest.validate.validate_block` keeps them in): the database
    inserts one block while the next is read, with no lookups or comparisons. The offline
    geocoder is asked as usual; a block that needs a remote one, an id seen in an earlier
    block, or another writer taking one of the keys, makes it give way: its transaction is
    rolled back, and the load goes on as any other (checked outside the lock, then written by
    :func:`ingest.pipeline._write`), with the same outcome (counts, rejections, warnings,
    stored rows) as if it had gone that way from the start.
    """

    def __init__(self, stack: ExitStack, session: Any, kind: str, source: str,
                 progress: Callable[[int], None] | None) -> None:
        self._stack: ExitStack | None = stack
        self._session = session
        self._kind = kind
        self._progress = progress
        self._ids: set[str] = set()
        self._warnings: list[str] = []
        self._columns = sorted(column_names(kind) - {"id", "source"})
        self._copy = ExitStack()
        self._send = self._copy.enter_context(
            new_rows_writer(session, kind, self._columns, source=source))

    @classmethod
    def begin(cls, store: Store, kind: str, source: str,
              progress: Callable[[int], None] | None) -> FirstLoad | None:
        """The first load of ``source``, or ``None`` when it is not one (nothing held).

        PostGIS only: its load lock holds back other loads of the kind, nothing else; SQLite's
        one write lock would hold back every writer (a partner's edit) while the file is read,
        so there a load takes it only to write, as :func:`ingest.pipeline._write` does.
        """
        if store.backend != "postgis":
            return None
        stack = ExitStack()
        try:
            session = stack.enter_context(store.session())
            lock_for_load(session, [kind])
            if has_source(session, kind, source) or has_located(session, kind):
                stack.close()  # nothing written: committing is rolling back
                return None
            return cls(stack, session, kind, source, progress)
        except BaseException:
            stack.close()
            raise

    @staticmethod
    def geocoder(geocoder: Any) -> Any:
        """The geocoder to check a block with while the lock is held."""
        return geocoder if isinstance(geocoder, OfflineGeocoder) else _NoRemoteGeocoding()

    def write(self, plain: ValidBlock | None, others: list[ValidRecord]) -> bool:
        """Send a block's valid records; ``False`` when they cannot be (then abandon).

        They cannot be when an id repeats an earlier block's, when a record gives a value
        as ``None`` (the writer would read it as absent), or when another writer took a key.
        """
        ids = [*(plain.columns["source_id"] if plain else ()),
               *(v.values["source_id"] for v in others)]
        known = len(self._ids)
        self._ids.update(ids)
        if len(self._ids) != known + len(ids) \
                or any(value is None for v in others for value in v.values.values()):
            return False
        if others:  # in file order, as :func:`ingest.pipeline._write` gives their warnings
            records = plain.with_records(others) if plain else others
            self._warnings.extend(f"row {v.row}: {w}" for v in records for w in v.warnings)
            columns = {name: [v.values.get(name) for v in records] for name in self._columns}
        elif plain:
            columns = plain.columns
        else:
            return True
        try:
            self._send(columns)
        except KeyTaken:
            return False
        return True

    def abandon(self) -> None:
        """Roll everything back (a no-op once finished or abandoned)."""
        stack, self._stack = self._stack, None
        if stack is None:
            return
        try:
            with stack:
                self._copy.__exit__(_Abandoned, _Abandoned(), None)
                raise _Abandoned
        except (_Abandoned, KeyTaken):
            pass

    def finish(self, store: Store, report: IngestReport, count: int,
               run: dict[str, Any]) -> bool:
        """End the ``COPY`` and commit (roll back a dry run); ``False`` if a key was taken."""
        try:
            self._copy.close()
        except KeyTaken:
            self.abandon()
            return False
        for warning in self._warnings:
            report.warn(warning)
        report.inserted = count
        if self._progress is not None:
            self._progress(count)  # written
        stack, self._stack = self._stack, None
        try:
            with stack:  # type: ignore[union-attr]
                finish_load(store, self._session, self._kind, report, run)
        except DryRunDone:
            pass
        return True
