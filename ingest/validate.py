"""Validate canonical records: coerce raw values to column-ready ones, geocode, report problems.

:func:`validate` checks every field of every :class:`~ingest.records.RawRecord` and collects
*every* problem of a record, one ``{"row", "id", "field", "reason"}`` dict each; a record with
any problem is rejected as a whole. ``field`` is a canonical field name, or ``"lat,lon"`` for
a problem of the pair (swapped, outside the service area, the ``(0, 0)`` placeholder), or
``"location"`` when a record that needs a position gives none.

The rules of each field (text, lists, web and email addresses, phone numbers, days, times,
dates, counts, statuses, positions inside the service area, pairs such as end after start)
are those of :mod:`domain.fields`, shared with the partner pages and API, with one wording.
What is ingest's own:

- Positions: given coordinates are kept (precision ``exact`` unless the reader says);
  otherwise the record is geocoded by its postcode, then by a postcode inside its address,
  then by its address text, and the geocoder's precision is recorded. A postcode found in
  the address fills an empty ``postcode``. Meetings that are not online, and associations,
  need a position; opportunities may inherit their association's.
- Postcodes are UK postcodes (full or district) when the service area is the UK or one of
  its nations; elsewhere they are kept as text.
- A record without ``source_id`` gets a stable one: ``auto-`` and 20 hex digits of a SHA-256
  over the kind, the case-folded name and where the record is *as given* (coordinates
  rounded to 4 decimals, about 10 m, else the normalised postcode, else the address), plus a
  meeting's days and start time and an opportunity's association. It does not depend on the
  geocoder, so re-ingesting a file updates the same records; two rows with the same derived
  id are duplicates. Changing any of those inputs gives a new id.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from geopy.exc import GeopyError

from domain.categories import infer_category
from domain.errors import FieldError
from domain.errors import Problem
from domain.fields import NAME_FIELD
from domain.fields import Context
from domain.fields import coordinates
from domain.fields import email_address
from domain.fields import is_missing
from domain.fields import pair_problems
from domain.fields import phone_number
from domain.fields import postcode
from domain.fields import precision
from domain.fields import short_text
from domain.fields import web_address
from domain.opening_times import parse_opening_times
from domain.records import check_fields
from geo.geocode import precision_of
from geo.postcode import find_postcode
from ingest.records import KINDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from geo.geocode import GeocoderLike
    from geo.service_area import ServiceArea
    from ingest.records import Kind
    from ingest.records import RawBlock
    from ingest.records import RawRecord

@dataclass
class ValidRecord:
    """A record that passed validation.

    Attributes
    ----------
    row
        The reader's row number.
    values
        Model column -> value of the right Python type (``weekdays`` ``list[int]``,
        ``start_time`` ``datetime.time``, ``starts_on`` ``datetime.date``, ``lat``/``lon``
        float, ...). Fields the record did not give are absent, so the model's defaults (or
        the stored values, on update) apply; ``source_id`` is always present.
    refs
        What is not a column of the model: references to resolve (``organisation``,
        ``association``, ``association_name``, ``association_category``,
        ``association_website``) and source facts (``region``, ``types``).
    warnings
        The reader's warnings and validation's (unknown interests, URL without a scheme).
    """

    row: int
    values: dict[str, Any]
    refs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ValidBlock:
    """Valid plain association rows of one chunk, as columns (:func:`validate_block`).

    Record ``i`` is row ``rows[i]`` with ``{column: columns[column][i]}`` for the values that
    are not ``None`` (absent), no references, no warnings. A first load sends the columns to
    one ``COPY`` (:func:`store.refs.new_rows_writer`); anything else reads :meth:`records`.
    """

    rows: list[int]
    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        """How many records."""
        return len(self.rows)

    def records(self) -> list[ValidRecord]:
        """Every record of the block, in order."""
        names = list(self.columns)
        return [ValidRecord(row, {k: v for k, v in zip(names, values, strict=True)
                                  if v is not None})
                for row, *values in zip(self.rows, *self.columns.values(), strict=True)]

    def with_records(self, others: list[ValidRecord]) -> list[ValidRecord]:
        """The block's records and a chunk's ``others`` together, in file order."""
        return sorted([*self.records(), *others], key=_row_of) if others else self.records()


def _row_of(record: ValidRecord) -> int:
    return record.row


_FAST_PATH = True
"""Check plain association rows by :mod:`ingest._fast_validate` (same outcomes, less work);
tests turn it off to compare the two paths."""

#: Fields whose problem rejects the record (besides the name, and the position of a record
#: that needs one); a problem of any other field drops that field with a warning.
REQUIRED = {
    "meetings": frozenset(("source_id", "weekdays")),
    "associations": frozenset(("source_id",)),
    "opportunities": frozenset(("source_id", "association", "association_name")),
}
_POSITION = frozenset(("lat", "lon", "lat,lon", "location", "postcode", "address",
                       "location_precision"))
_SPLIT_WORDS = re.compile(r"\s*(?:[,;|\n]|\s/\s|\bor\b|\band\b)\s*", re.IGNORECASE)
_SPLIT_ANY = re.compile(r"[\s,;|]+")
_URLISH = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)
_EMAILISH = re.compile(r"@")
_PHONEISH = re.compile(r"(?:\d\D*){6}")
_MULTI: dict[str, tuple[Callable[..., str], re.Pattern[str], re.Pattern[str]]] = {
    "website": (web_address, _SPLIT_ANY, _URLISH),
    "association_website": (web_address, _SPLIT_ANY, _URLISH),
    "conference_url": (web_address, _SPLIT_ANY, _URLISH),
    "contact_email": (email_address, _SPLIT_ANY, _EMAILISH),
    "contact_phone": (phone_number, _SPLIT_WORDS, _PHONEISH),
}
_CONTACT_EMAIL_RE = re.compile(r"[^@\s<>()\[\],;:\"/]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE)
_CONTACT_PHONE_RE = re.compile(r"\+?\(?\d[\d\s().\-]{5,}\d")


def _first_valid(data: dict[str, Any], ctx: Context) -> None:
    """A cell holding several URLs, emails or phones keeps the first valid one, with a warning."""
    for name, (parser, splitter, looks) in _MULTI.items():
        raw = data.get(name)
        if not isinstance(raw, str) or not splitter.search(raw.strip()) or is_missing(raw):
            continue  # one value (most cells): parsed once, by check_fields
        parts = [p for p in splitter.split(raw.strip()) if p and looks.search(p)]
        if len(parts) < 2:  # noqa: PLR2004 - one value: its problem stands
            continue
        try:
            parser(raw, name, Context())
        except FieldError:
            pass
        else:
            continue
        for part in parts:
            try:
                parser(part, name, Context())
            except FieldError:
                continue
            data[name] = part
            ctx.warnings.append(f"{name} {raw!r} holds {len(parts)} values: kept {part!r}")
            break


def _contact(data: dict[str, Any], ctx: Context) -> None:
    """A free ``contact`` cell fills an empty contact_email and contact_phone."""
    raw = data.pop("contact", None)
    if not isinstance(raw, str) or is_missing(raw):
        return
    found = []
    email = _CONTACT_EMAIL_RE.search(raw)
    if email and is_missing(data.get("contact_email")):
        data["contact_email"] = email.group(0).rstrip(".")
        found.append("email")
    phone = _CONTACT_PHONE_RE.search(raw if email is None else raw.replace(email.group(0), " "))
    if phone and is_missing(data.get("contact_phone")):
        data["contact_phone"] = phone.group(0).strip()
        found.append("phone")
    if not found:
        ctx.warnings.append(f"contact {raw!r} holds no email address or phone number: "
                            "left out")


def _fold(text: str) -> str:
    return " ".join(str(text).casefold().split())


@dataclass
class _Checker:
    """The values, references and problems of one record as they are found."""

    kind: str
    data: dict[str, Any]
    ctx: Context
    values: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, name: str, reason: str) -> None:
        self.problems.append(Problem(name, self.data.get(name), reason))

    def failed(self, name: str) -> bool:
        return any(p.field == name for p in self.problems)

    def given(self, name: str) -> bool:
        return not is_missing(self.data.get(name))

    def fields(self) -> None:
        """The fields one by one, and the required name (:func:`domain.records.check_fields`)."""
        _contact(self.data, self.ctx)
        _first_valid(self.data, self.ctx)
        self.values, self.refs, self.problems = check_fields(self.kind, self.data, self.ctx)

    def settle(self) -> None:
        """Optional fields never cost a record: their problems become warnings.

        A problem of the name, of a field in :data:`REQUIRED`, or of the position of a
        record without one rejects the record; any other field is dropped, with a warning
        that names the field, the value and why.
        """
        required = REQUIRED[self.kind] | {NAME_FIELD[self.kind]}
        placed = self.values.get("lat") is not None
        kept: list[Problem] = []
        for p in self.problems:
            if p.field in required or (p.field in _POSITION and not placed) or \
                    p.field in ("lat", "lon", "lat,lon", "location"):
                kept.append(p)
                continue
            self.values.pop(p.field, None)
            self.refs.pop(p.field, None)
            # the column's name, then the reason (which names the field by its label)
            self.ctx.warnings.append(f"{p.field} left out: {p.reason}")
        self.problems = kept

    def rules(self) -> None:
        if self.kind == "associations":
            self._association_rules()
        if self.kind == "meetings":
            self._meeting_rules()
        elif self.kind == "opportunities":
            self._opportunity_rules()
        self.problems.extend(pair_problems(self.values))

    def _meeting_rules(self) -> None:
        values = self.values
        if values.get("updated_at", 0) is None:  # unreadable: dropped with a warning
            del values["updated_at"]
        if "regions" not in values and "region" in self.refs:
            values["regions"] = [self.refs["region"]]
        if "attendance" not in values and not self.failed("attendance"):
            place = any(self.given(f) for f in ("lat", "lon", "postcode", "address"))
            online = "hybrid" if place else "online"
            values["attendance"] = online if "conference_url" in values else "in_person"
        remote = values.get("attendance") == "online" or "conference_url" in values
        if "weekdays" not in values and not self.failed("weekdays") and not remote:
            self.problem("weekdays", "weekdays is missing: give the day(s) of the meeting "
                         "(0=Sunday ... 6=Saturday, or names such as 'Mon,Wed'), or mark it "
                         "online with a conference_url")

    def _association_rules(self) -> None:
        """Opening times -> schedule where unambiguous; a category from the words given."""
        values = self.values
        opening = values.get("opening_times")
        if opening:
            schedule = parse_opening_times(opening)
            if schedule is None:
                self.ctx.warnings.append(f"opening_times {opening!r} kept as text only: it "
                                         "is not one unambiguous weekly schedule")
            else:
                values["schedule"] = schedule
        if "category" in values or self.failed("category"):
            return
        found = infer_category(values.get("name"), values.get("description"))
        if found is None:
            self.ctx.warnings.append("category 'other': neither the name nor the description "
                                     "says what it is; give a category column")
            values["category"] = "other"
        else:
            values["category"] = found[0]
            self.ctx.warnings.append(f"category {found[0]!r} inferred: {found[1]}")

    def _opportunity_rules(self) -> None:
        refs = self.refs
        if "association" not in refs and "association_name" in refs:
            refs["association"] = refs["association_name"]
        if "association" not in refs and not (
            self.failed("association") or self.failed("association_name")
        ):
            self.problem("association", "association is missing: give the source_id or the "
                         "name of the association that offers the opportunity")

    def needs_position(self) -> bool:
        if self.kind == "meetings":
            return self.values.get("attendance") != "online"
        return self.kind == "associations"

    def location(self, area: ServiceArea, geocode: Callable[[str], Any]) -> str:
        """Check or find the position; return where the record is *as given*, for its id."""
        given_precision = None
        data = self.data
        if data.get("location_precision") is not None and self.given("location_precision"):
            try:
                given_precision = precision(data["location_precision"])
            except FieldError as exc:
                self.problem("location_precision", str(exc))
        code = self._postcode(area) if data.get("postcode") is not None else None
        raw_lat, raw_lon = data.get("lat"), data.get("lon")
        if not is_missing(raw_lat) or not is_missing(raw_lon):
            latlon, problems = coordinates(raw_lat, raw_lon, area)
            if latlon is not None:  # no problem: the numbers as read (float(raw), as below)
                self.values.update(lat=latlon[0], lon=latlon[1],
                                   location_precision=given_precision or "exact")
                return f"{latlon[0]:.4f},{latlon[1]:.4f}"
            self.problems.extend(problems)
            if any(p.field in ("lat", "lon") for p in problems):
                return ""
            lat, lon = (float(data["lat"]), float(data["lon"]))
            return f"{lat:.4f},{lon:.4f}"
        address = self.values.get("address")
        queries: list[tuple[str, str]] = []
        if code:
            queries.append(("postcode", code))
        if address:
            found = find_postcode(address) if area.uk_postcodes else None
            if found is not None and found.text != code:
                queries.append(("address", found.text))
                if not self.given("postcode"):
                    self.values["postcode"] = found.text
            queries.append(("address", address))
        if not queries:
            if self.needs_position():
                self.problem("location", "no position: give lat and lon, a postcode or an "
                             "address")
            return ""
        self._geocode(queries, area, geocode)
        return self.values.get("postcode") or _fold(address or "")

    def _postcode(self, area: ServiceArea) -> str | None:
        if not self.given("postcode"):
            return None
        try:
            code = postcode(self.data["postcode"], area)
        except FieldError as exc:
            self.problem("postcode", str(exc))
            return None
        self.values["postcode"] = code
        return code

    def _geocode(
        self, queries: list[tuple[str, str]], area: ServiceArea, geocode: Callable[[str], Any]
    ) -> None:
        outside: tuple[str, str, float, float] | None = None
        for name, query in queries:
            try:
                location = geocode(query)
            except FieldError as exc:
                self.problem(name, str(exc))
                return
            if location is None:
                continue
            lat, lon = float(location.latitude), float(location.longitude)
            if area.contains(lat, lon):
                self.values.update(lat=lat, lon=lon, location_precision=precision_of(location))
                return
            outside = outside or (name, query, lat, lon)
        if outside is not None:
            name, query, lat, lon = outside
            self.problem(name, f"{name} {query!r} geocodes to ({lat:.4f}, {lon:.4f}), outside "
                         f"the service area {area.describe()}: check it, or give lat and lon")
            return
        tried = ", ".join(f"{n} {q!r}" for n, q in queries)
        self.problem(queries[-1][0], f"could not geocode {tried}: not found; give lat and lon, "
                     "or a full postcode")

    def source_id(self, where: str) -> str | None:
        if self.given("source_id"):
            try:
                return short_text(self.data["source_id"], "source_id")
            except FieldError as exc:
                self.problem("source_id", str(exc))
                return None
        name = self.values.get(NAME_FIELD[self.kind])
        if name is None:
            return None
        parts = [self.kind, _fold(name), where]
        if self.kind == "meetings":
            start = self.values.get("start_time")
            parts += [",".join(map(str, self.values.get("weekdays", []))),
                      start.isoformat() if start else ""]
        elif self.kind == "opportunities":
            parts.append(_fold(self.refs.get("association", "")))
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
        return f"auto-{digest[:20]}"


class _KnownArea:
    """A service area that already knows which of a chunk's given positions it contains.

    :meth:`geo.service_area.ServiceArea.contains_many` tests every position of a chunk at
    once; a position outside the chunk (a geocoded one) is tested as usual.
    """

    def __init__(self, area: ServiceArea, known: dict[tuple[float, float], bool]) -> None:
        self._area = area
        self._known = known

    def contains(self, lat: float, lon: float) -> bool:
        found = self._known.get((lat, lon))
        return self._area.contains(lat, lon) if found is None else found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._area, name)


def _as_degrees(value: Any) -> float | None:
    """A raw coordinate as :func:`domain.fields.coordinate` reads it, else ``None``."""
    if value is None or isinstance(value, bool):
        return None
    try:  # float() drops surrounding white space itself
        number = float(value if type(value) is str else str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _known_area_of(lats: list[Any] | None, lons: list[Any] | None,
                   area: ServiceArea) -> ServiceArea:
    """``area``, told at once whether each given position (and its swap) lies inside.

    ``lats`` and ``lons`` are the raw coordinates of a chunk's records, as two columns.
    """
    if lats is None or lons is None:
        return area
    points = []
    for raw_lat, raw_lon in zip(lats, lons, strict=True):
        lat, lon = _as_degrees(raw_lat), _as_degrees(raw_lon)
        if lat is not None and lon is not None:
            points.append((lat, lon))
    if not points:
        return area
    known = dict(zip(points, area.contains_many([p[0] for p in points],
                                                [p[1] for p in points]), strict=True))
    # looks_swapped asks about the swapped pair of a position outside
    swapped = [(lon, lat) for (lat, lon), inside in known.items() if not inside]
    if swapped:
        known.update(zip(swapped, area.contains_many([p[0] for p in swapped],
                                                     [p[1] for p in swapped]), strict=True))
    return cast("ServiceArea", _KnownArea(area, known))


def _memo_geocoder(geocoder: GeocoderLike) -> Callable[[str], Any]:
    """Geocode each distinct query once per run; geocoder errors become a reason."""
    memo: dict[str, tuple[Any, str | None]] = {}

    def geocode(query: str) -> Any:
        key = _fold(query)
        if key not in memo:
            try:
                found = geocoder.geocode(query, exactly_one=True)
            except (GeopyError, OSError, ValueError) as exc:
                memo[key] = (None, f"geocoding {query!r} failed: {exc}")
            else:
                memo[key] = (found[0] if isinstance(found, list) and found else found, None)
        location, error = memo[key]
        if error is not None:
            raise FieldError(error)
        return location

    return geocode


def validate(
    records: list[RawRecord],
    kind: Kind,
    *,
    area: ServiceArea,
    geocoder: GeocoderLike,
    interest_lookup: Callable[[str], str | None] | None = None,
    max_text: int = 5000,
) -> tuple[list[ValidRecord], list[dict[str, Any]]]:
    """Check and coerce records of one kind; geocode the ones without coordinates.

    Parameters
    ----------
    records
        The reader's records.
    kind
        ``"meetings"``, ``"associations"`` or ``"opportunities"``.
    area
        Positions (given or geocoded) outside it are rejected.
    geocoder
        Anything with geopy's ``geocode(query, exactly_one=True)``; ``raw["precision"]`` of
        its answers is recorded (``town`` when absent).
    interest_lookup
        Maps one interest as written to a taxonomy slug, or ``None`` when unknown (unknown
        ones are left out with a warning). Without it, interests are kept as written.
    max_text
        Longest accepted long text (descriptions, notes, addresses, lists in all). Short
        columns have their own limits (:data:`domain.fields.SHORT_LIMITS`).

    Returns
    -------
    valid : list of ValidRecord
        The records without a problem, in input order.
    rejected : list of dict
        One ``{"row", "id", "field", "reason"}`` per problem of each rejected record.

    Raises
    ------
    ValueError
        When ``kind`` is not one of the three.
    """
    _check_kind(kind)
    geocode = _memo_geocoder(geocoder)
    area = _known_area_of([r.data.get("lat") for r in records],
                          [r.data.get("lon") for r in records], area)
    one = _one_by_one(kind, area, geocode, interest_lookup=interest_lookup, max_text=max_text)
    valid: list[ValidRecord] = []
    rejected: list[dict[str, Any]] = []
    for record in records:
        done = one(record)
        if type(done) is list:
            rejected.extend(done)
        else:
            valid.append(done)  # type: ignore[arg-type]
    return valid, rejected


def validate_block(
    block: RawBlock,
    kind: Kind,
    *,
    area: ServiceArea,
    geocoder: GeocoderLike,
    interest_lookup: Callable[[str], str | None] | None = None,
    max_text: int = 5000,
) -> tuple[ValidBlock | None, list[ValidRecord], list[dict[str, Any]]]:
    """:func:`validate` for a reader's block: the same outcomes, plain rows kept as columns.

    Returns
    -------
    plain : ValidBlock or None
        The valid plain association rows (``None`` for other kinds).
    valid : list of ValidRecord
        The other valid records, in input order.
    rejected : list of dict
        As :func:`validate`'s, in input order.
    """
    if kind != "associations" or not _FAST_PATH:
        valid, rejected = validate(block.records(), kind, area=area, geocoder=geocoder,
                                   interest_lookup=interest_lookup, max_text=max_text)
        return None, valid, rejected
    from ingest._fast_validate import FastAssociations  # noqa: PLC0415 - imports this

    geocode = _memo_geocoder(geocoder)
    first_row: dict[str, int] = {}
    checks: list[Callable[[RawRecord], ValidRecord | list[dict[str, Any]]]] = []

    def one(record: RawRecord) -> ValidRecord | list[dict[str, Any]]:
        """The row path, for the rows that are not plain (set up at the first of them)."""
        if not checks:
            known = _known_area_of(block.data.get("lat"), block.data.get("lon"), area)
            checks.append(_one_by_one(kind, known, geocode, interest_lookup=interest_lookup,
                                      max_text=max_text, first_row=first_row))
        return checks[0](record)

    fast = FastAssociations(area, geocode, max_text=max_text, checker=_Checker,
                            valid_record=ValidRecord)
    return fast.check_block(block, first_row, one, ValidBlock)


def plain_rows_checked() -> bool:
    """Whether plain association rows take the fast path (tests compare it with the other)."""
    return _FAST_PATH


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        msg = f"kind {kind!r} is unknown: use one of {', '.join(map(repr, KINDS))}"
        raise ValueError(msg)


def _one_by_one(kind: Kind, area: ServiceArea, geocode: Callable[[str], Any], *,
                interest_lookup: Callable[[str], str | None] | None, max_text: int,
                first_row: dict[str, int] | None = None, fast: Any = None,
                ) -> Callable[[RawRecord], ValidRecord | list[dict[str, Any]]]:
    """The check of one record of a chunk: a ValidRecord, or its problem rows.

    ``first_row`` (source id -> its first row in the chunk) spans the chunk's records.
    """
    seen: dict[str, int] = {} if first_row is None else first_row
    if fast is None and kind == "associations" and _FAST_PATH:
        from ingest._fast_validate import FastAssociations  # noqa: PLC0415 - imports this

        fast = FastAssociations(area, geocode, max_text=max_text, checker=_Checker,
                                valid_record=ValidRecord)

    def one(record: RawRecord) -> ValidRecord | list[dict[str, Any]]:
        if fast is not None:
            done = fast.check(record, seen)
            if done is not None:
                return done  # type: ignore[no-any-return]
        ctx = Context(max_text=max_text, interest_lookup=interest_lookup)
        check = _Checker(kind, dict(record.data), ctx)
        check.fields()
        check.rules()
        where = check.location(area, geocode)
        check.settle()
        sid = check.source_id(where)
        if sid is not None:
            if sid in seen:
                derived = "" if check.given("source_id") else (
                    "; the id was derived from the name and position, so both rows describe "
                    "the same thing")
                check.problem("source_id", f"duplicate id {sid!r} (first at row "
                              f"{seen[sid]}){derived}")
            else:
                seen[sid] = record.row
        if check.problems:
            return [p.as_row(record.row, sid) for p in check.problems]
        check.values["source_id"] = sid
        return ValidRecord(record.row, check.values, check.refs,
                           [*record.warnings, *ctx.warnings])

    return one
