"""The canonical record every reader produces, and the field vocabulary per entity kind.

Readers (``ingest/readers/``) turn a file into :class:`RawRecord` objects: the row number a
user would recognise (1-based data row in a spreadsheet, counting the header as row 1, so the
first data row is row 2; the 1-based feature/item index in JSON, GeoJSON and GIS files), the
record's fields under the canonical names below with values still *raw* (strings, numbers,
lists as found), and any warnings the reader had (e.g. "polygon: centroid used"). Validation
(``ingest/validate.py``) coerces and checks the raw values and reports every problem of a
record at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator

Kind = Literal["meetings", "associations", "opportunities"]
KINDS: tuple[Kind, ...] = ("meetings", "associations", "opportunities")

#: Fields every kind may carry: identity and position.
COMMON_FIELDS = (
    "source_id",  # the record's id in its source (Meeting Guide slug, HSDS id, id column)
    "lat", "lon",  # WGS84 degrees (readers of projected files reproject first)
    "postcode", "address",
    "location_precision",  # set by readers only when the source says (else validation decides)
)

#: Canonical fields per kind (raw values). Lists may arrive as lists or as delimited text.
FIELDS: dict[Kind, tuple[str, ...]] = {
    "meetings": (
        *COMMON_FIELDS,
        "name", "weekdays", "start_time", "end_time", "venue", "attendance",
        "conference_url", "accessibility", "notes", "active",
        "organisation",  # name or source_id of the peer organisation (optional)
        "region", "types",
        # Meeting Guide fields kept whole for a lossless round trip (ingest.meeting_feed)
        "regions", "conference_phone", "location_notes", "group_name", "timezone",
        "updated_at", "feed_extra",
    ),
    "associations": (
        *COMMON_FIELDS,
        "name", "category", "description", "website", "contact_email", "contact_phone",
        "charity_number", "status",
        "contact",  # free text holding an email and/or a phone (split by validation)
        "opening_times",  # free text; read into a schedule where unambiguous
    ),
    "opportunities": (
        *COMMON_FIELDS,
        "title", "description", "interests", "skills", "weekdays", "start_time", "end_time",
        "flexible", "commitment", "accessibility", "capacity", "status", "starts_on",
        "ends_on",
        "association",  # source_id or name of the association offering it (required)
        "association_name", "association_category", "association_website",
        "association_postcode",  # tells apart associations that share a name
    ),
}


@dataclass
class RawRecord:
    """One record as read from a file, before validation.

    Attributes
    ----------
    row
        Where the user finds it: spreadsheet row (header = row 1) or 1-based item index.
    data
        Canonical field -> raw value. Unknown source columns are not kept here.
    warnings
        What the reader noticed about this record (kept in the ingest report).
    """

    row: int
    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass
class RawBlock:
    """Consecutive records of a text table, held as columns: what :class:`RawRecord` holds.

    Record ``i`` is row ``rows[i]``, with ``{field: data[field][i]}`` (fields in the
    reader's order) and the reader's ``warnings.get(i, [])``. A CSV's chunk of rows costs
    one list per field this way, not a record and a dict per row.
    """

    rows: list[int]
    data: dict[str, list[Any]]
    warnings: dict[int, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        """How many records."""
        return len(self.rows)

    def record(self, i: int) -> RawRecord:
        """Record ``i`` of the block, as the reader's records give it."""
        return RawRecord(self.rows[i], {name: cells[i] for name, cells in self.data.items()},
                         list(self.warnings.get(i, ())))

    def records(self) -> list[RawRecord]:
        """Every record of the block, in order."""
        return [self.record(i) for i in range(len(self.rows))]


@dataclass
class ReadResult:
    """What a reader returns: the records and the file-level facts."""

    records: list[RawRecord]
    format: str
    warnings: list[str] = field(default_factory=list)  # file-level, e.g. "unknown columns: x"
    errors: list[dict[str, Any]] = field(default_factory=list)
    """Rows the reader itself could not read: ``{"row", "id", "field", "reason"}``."""
    blocks: Callable[[int], Iterator[RawBlock]] | None = None
    """For a plain CSV table: streams the records as :class:`RawBlock` of the given size
    instead of ``records`` (consume one or the other, not both)."""


class IngestError(ValueError):
    """The whole file cannot be read (empty, binary, unknown format): nothing is loaded."""

    status = 400
    code = "ingest_error"
