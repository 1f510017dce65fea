"""Validate canonical records: coerce raw values to column-ready ones, geocode, report problems.

:func:`validate` checks every field of every :class:`~ingest.records.RawRecord` and collects
*every* problem of a record, one ``{"row", "id", "field", "reason"}`` dict each; a record with
any problem is rejected as a whole. ``field`` is a canonical field name, or ``"lat,lon"`` for
a problem of the pair (swapped, outside the service area, the ``(0, 0)`` placeholder), or
``"location"`` when a record that needs a position gives none.

Rules worth knowing:

- User text (names, descriptions, notes) is kept verbatim, HTML included: escaping is the
  output's job. Only surrounding whitespace is dropped. Empty text, ``NA``, ``N/A``,
  ``null``, ``none`` and ``nan`` count as missing.
- A website without a scheme (``www.example.org``, common in public registers) is stored
  with ``http://`` in front, with a warning; any scheme other than http(s) is rejected.
- Days follow the Meeting Guide format, ``0`` = Sunday ... ``6`` = Saturday; names, short
  names, lists, ranges (``Mon-Fri``), ``daily``, ``weekdays`` and ``weekends`` are accepted.
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

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass
from dataclasses import field
from functools import partial
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

from geopy.exc import GeopyError

from domain.errors import FieldError as _FieldError
from domain.schedule import parse_time as _parse_time
from domain.schedule import parse_weekdays as _parse_weekdays
from domain.status import ATTENDANCE
from domain.status import OPPORTUNITY_STATUSES
from domain.status import ORG_STATUSES
from domain.status import PRECISIONS
from geo.errors import InvalidPostcodeError
from geo.geocode import precision_of
from geo.postcode import find_postcode
from geo.postcode import parse_postcode
from geo.service_area import looks_swapped
from ingest.records import KINDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from geo.geocode import GeocoderLike
    from geo.service_area import ServiceArea
    from ingest.records import Kind
    from ingest.records import RawRecord

_MISSING_WORDS = frozenset(("", "na", "n/a", "null", "none", "nan"))
_INT32_MAX = 2_147_483_647
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %B %Y",
                 "%d %b %Y")
_BOOLS = {"true": True, "t": True, "yes": True, "y": True, "1": True,
          "false": False, "f": False, "no": False, "n": False, "0": False}
_BARE_HOST_RE = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:[/?#]\S*)?", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[^@\s<>()\[\],;:\"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
                       r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+", re.IGNORECASE)
_LIST_SEPARATORS = re.compile(r"[,;\n\r\t|]+")


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
class _Context:
    max_text: int
    interest_lookup: Callable[[str], str | None] | None
    warnings: list[str]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return value.strip().lower() in _MISSING_WORDS
    if isinstance(value, list | tuple | set | dict):
        return len(value) == 0
    return False


# --- parsers: (raw value, field name, context) -> column value, or raise _FieldError ---------

def _text(value: Any, name: str, ctx: _Context | None = None, *, limit: int | None = None) -> str:
    if isinstance(value, bool | list | tuple | set | dict):
        msg = f"{name} must be text, got {type(value).__name__} {value!r}"
        raise _FieldError(msg)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets turn 1234567 into 1234567.0
    text = str(value).strip()
    if "\x00" in text:
        msg = f"{name} contains a NUL character (\\x00), which cannot be stored: remove it"
        raise _FieldError(msg)
    limit = limit if limit is not None else (ctx.max_text if ctx else 5000)
    if len(text) > limit:
        msg = f"{name} is {len(text)} characters long: at most {limit} are allowed; shorten it"
        raise _FieldError(msg)
    return text


def _items(value: Any, name: str, ctx: _Context) -> list[str]:
    raw = value if isinstance(value, list | tuple) else _LIST_SEPARATORS.split(str(value))
    items = [_text(v, name, ctx) for v in raw if not _missing(v)]
    if sum(len(i) for i in items) > ctx.max_text:
        msg = f"{name} holds more than {ctx.max_text} characters in all; shorten the list"
        raise _FieldError(msg)
    return list(dict.fromkeys(items))


def _choice(value: Any, name: str, _ctx: _Context, *, allowed: tuple[str, ...]) -> str:
    key = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
    if key not in allowed:
        msg = f"{name} {value!r} is not allowed: use one of {', '.join(map(repr, allowed))}"
        raise _FieldError(msg)
    return key


def parse_weekdays(value: Any, name: str = "weekdays", _ctx: _Context | None = None) -> list[int]:
    """Days as ``0`` (Sunday) ... ``6`` (Saturday): :func:`domain.schedule.parse_weekdays`."""
    return _parse_weekdays(value, name)


def parse_time(value: Any, name: str = "start_time", _ctx: _Context | None = None) -> dt.time:
    """A time of day: :func:`domain.schedule.parse_time`."""
    return _parse_time(value, name)


def parse_date(value: Any, name: str = "starts_on", _ctx: _Context | None = None) -> dt.date:
    """A date from ISO ``2024-05-01``, UK ``01/05/2024`` (day first), ``1 May 2024``, a date.

    Examples
    --------
    >>> parse_date("01/05/2024"), parse_date("2024-05-01T09:00:00")
    (datetime.date(2024, 5, 1), datetime.date(2024, 5, 1))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    candidates = (text, text.split("T")[0], text.split(" ")[0])
    for fmt in _DATE_FORMATS:
        for candidate in candidates:
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    msg = (f"{name} {value!r} is not a date: use YYYY-MM-DD (e.g. '2024-05-01'), "
           "DD/MM/YYYY or '1 May 2024'")
    raise _FieldError(msg)


def _bool(value: Any, name: str, _ctx: _Context) -> bool:
    if isinstance(value, bool):
        return value
    key = str(int(value) if isinstance(value, float) and value.is_integer() else value)
    found = _BOOLS.get(key.strip().lower())
    if found is None:
        msg = f"{name} {value!r} is not yes or no: use true/false, yes/no, y/n or 1/0"
        raise _FieldError(msg)
    return found


def _count(value: Any, name: str, _ctx: _Context) -> int:
    try:
        number = float(str(value).strip()) if not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number.is_integer()):
        msg = f"{name} {value!r} is not a whole number: give a count such as 4"
        raise _FieldError(msg)
    if not 0 <= number <= _INT32_MAX:
        msg = f"{name} {value!r} is out of range: it must be 0 or more (and below 2^31)"
        raise _FieldError(msg)
    return int(number)


def _url(value: Any, name: str, ctx: _Context) -> str:
    text = _text(value, name, limit=500)
    if "://" not in text and _BARE_HOST_RE.fullmatch(text):
        fixed = f"http://{text}"
        ctx.warnings.append(f"{name} {text!r} has no scheme: stored as {fixed!r}")
        text = _text(fixed, name, limit=500)
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in text:
        msg = (f"{name} {text!r} is not a web address: use an http:// or https:// URL such "
               "as 'https://example.org/'")
        raise _FieldError(msg)
    return text


def _email(value: Any, name: str, _ctx: _Context) -> str:
    text = _text(value, name, limit=254)
    if not _EMAIL_RE.fullmatch(text):
        msg = f"{name} {text!r} is not an email address: use the form 'name@example.org'"
        raise _FieldError(msg)
    return text


def _interests(value: Any, name: str, ctx: _Context) -> list[str]:
    items = _items(value, name, ctx)
    if ctx.interest_lookup is None:
        return items
    known: list[str] = []
    unknown: list[str] = []
    for item in items:
        slug = ctx.interest_lookup(item)
        if slug is None:
            unknown.append(item)
        elif slug not in known:
            known.append(slug)
    if unknown:
        ctx.warnings.append(
            f"{name} not in the taxonomy, left out: {', '.join(map(repr, unknown))}")
    return known


def _short(limit: int) -> Callable[[Any, str, _Context], str]:
    return partial(_text, limit=limit)


_Spec = dict[str, tuple["Callable[[Any, str, _Context], Any]", str]]
_COMMON: _Spec = {"address": (_text, "values")}
SPECS: dict[str, _Spec] = {
    "meetings": {
        "name": (_short(200), "values"), "weekdays": (parse_weekdays, "values"),
        "start_time": (parse_time, "values"), "end_time": (parse_time, "values"),
        "venue": (_short(200), "values"),
        "attendance": (partial(_choice, allowed=ATTENDANCE), "values"),
        "conference_url": (_url, "values"), "accessibility": (_items, "values"),
        "notes": (_text, "values"), "active": (_bool, "values"),
        "organisation": (_short(200), "refs"), "region": (_short(120), "refs"),
        "types": (_items, "refs"),
    },
    "associations": {
        "name": (_short(200), "values"), "category": (_short(60), "values"),
        "description": (_text, "values"), "website": (_url, "values"),
        "contact_email": (_email, "values"), "contact_phone": (_short(40), "values"),
        "charity_number": (_short(20), "values"),
        "status": (partial(_choice, allowed=ORG_STATUSES), "values"),
    },
    "opportunities": {
        "title": (_short(200), "values"), "description": (_text, "values"),
        "interests": (_interests, "values"), "skills": (_items, "values"),
        "weekdays": (parse_weekdays, "values"), "start_time": (parse_time, "values"),
        "end_time": (parse_time, "values"), "flexible": (_bool, "values"),
        "commitment": (_short(200), "values"), "accessibility": (_items, "values"),
        "capacity": (_count, "values"),
        "status": (partial(_choice, allowed=OPPORTUNITY_STATUSES), "values"),
        "starts_on": (parse_date, "values"), "ends_on": (parse_date, "values"),
        "association": (_short(200), "refs"), "association_name": (_short(200), "refs"),
        "association_category": (_short(60), "refs"), "association_website": (_url, "refs"),
    },
}
"""Per kind: field -> (parser, ``"values"`` or ``"refs"``). Position fields are separate."""

_NOUN = {"meetings": "meeting", "associations": "association", "opportunities": "opportunity"}
_NAME_FIELD = {"meetings": "name", "associations": "name", "opportunities": "title"}


def _coordinate(value: Any, name: str) -> float:
    example = "53.48" if name == "lat" else "-2.24"
    try:
        number = math.nan if isinstance(value, bool) else float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        msg = f"{name} {value!r} is not a number: give decimal degrees such as {example}"
        raise _FieldError(msg)
    bound, what = (90, "latitude") if name == "lat" else (180, "longitude")
    if not -bound <= number <= bound:
        msg = f"{name} {value!r} is out of range: {what} must be between -{bound} and {bound}"
        raise _FieldError(msg)
    return number


def _postcode_hint(text: str) -> str:
    """``"; did you mean 'WA15 0HF'?"`` when a letter O or I stands for a digit."""
    squashed = re.sub(r"\s+", "", text.upper())
    if len(squashed) < 5:  # noqa: PLR2004 - the shortest full postcode, 'M1 1AA'
        return ""
    digit = {"O": "0", "I": "1"}
    inward = squashed[-3:]
    candidates = (squashed[:-3] + digit.get(inward[0], inward[0]) + inward[1:],
                  squashed.replace("O", "0"))
    for candidate in candidates:
        try:
            return f"; did you mean {parse_postcode(candidate, allow=('full',)).text!r}?"
        except InvalidPostcodeError:
            continue
    return ""


def _fold(text: str) -> str:
    return " ".join(str(text).casefold().split())


@dataclass
class _Checker:
    """The values, references and problems of one record as they are found."""

    kind: str
    data: dict[str, Any]
    ctx: _Context
    values: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def problem(self, name: str, reason: str) -> None:
        self.problems.append((name, reason))

    def failed(self, name: str) -> bool:
        return any(f == name for f, _ in self.problems)

    def given(self, name: str) -> bool:
        return not _missing(self.data.get(name))

    def fields(self) -> None:
        for name, (parser, dest) in {**_COMMON, **SPECS[self.kind]}.items():
            if not self.given(name):
                continue
            try:
                parsed = parser(self.data[name], name, self.ctx)
            except _FieldError as exc:
                self.problem(name, str(exc))
                continue
            (self.values if dest == "values" else self.refs)[name] = parsed

    def rules(self) -> None:
        name = _NAME_FIELD[self.kind]
        if name not in self.values and not self.failed(name):
            self.problem(name, f"{name} is missing: every {_NOUN[self.kind]} needs one")
        if self.kind == "meetings":
            self._meeting_rules()
        elif self.kind == "opportunities":
            self._opportunity_rules()

    def _meeting_rules(self) -> None:
        values = self.values
        if "attendance" not in values and not self.failed("attendance"):
            place = any(self.given(f) for f in ("lat", "lon", "postcode", "address"))
            online = "hybrid" if place else "online"
            values["attendance"] = online if "conference_url" in values else "in_person"
        remote = values.get("attendance") == "online" or "conference_url" in values
        if "weekdays" not in values and not self.failed("weekdays") and not remote:
            self.problem("weekdays", "weekdays is missing: give the day(s) of the meeting "
                         "(0=Sunday ... 6=Saturday, or names such as 'Mon,Wed'), or mark it "
                         "online with a conference_url")

    def _opportunity_rules(self) -> None:
        refs = self.refs
        if "association" not in refs and "association_name" in refs:
            refs["association"] = refs["association_name"]
        if "association" not in refs and not (
            self.failed("association") or self.failed("association_name")
        ):
            self.problem("association", "association is missing: give the source_id or the "
                         "name of the association that offers the opportunity")
        starts, ends = self.values.get("starts_on"), self.values.get("ends_on")
        if starts is not None and ends is not None and ends < starts:
            self.problem("ends_on", f"ends_on {ends.isoformat()} is before starts_on "
                         f"{starts.isoformat()}: swap them or correct one")

    def needs_position(self) -> bool:
        if self.kind == "meetings":
            return self.values.get("attendance") != "online"
        return self.kind == "associations"

    def location(self, area: ServiceArea, geocode: Callable[[str], Any]) -> str:
        """Check or find the position; return where the record is *as given*, for its id."""
        precision = None
        if self.given("location_precision"):
            precision = str(self.data["location_precision"]).strip().lower()
            if precision not in PRECISIONS:
                self.problem("location_precision", f"location_precision "
                             f"{self.data['location_precision']!r} is not allowed: use one "
                             f"of {', '.join(map(repr, PRECISIONS))}")
        postcode = self._postcode(area)
        if self.given("lat") or self.given("lon"):
            return self._coordinates(area, precision)
        address = self.values.get("address")
        queries: list[tuple[str, str]] = []
        if postcode:
            queries.append(("postcode", postcode))
        if address:
            found = find_postcode(address) if area.uk_postcodes else None
            if found is not None and found.text != postcode:
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
        raw = self.data["postcode"]
        try:
            if area.uk_postcodes:
                text = parse_postcode(str(raw), allow=("full", "district")).text
            else:
                text = _text(raw, "postcode", limit=10)
        except (InvalidPostcodeError, _FieldError) as exc:
            hint = _postcode_hint(str(raw)) if area.uk_postcodes else ""
            self.problem("postcode", f"{exc}{hint}")
            return None
        self.values["postcode"] = text
        return text

    def _coordinates(self, area: ServiceArea, precision: str | None) -> str:
        if not (self.given("lat") and self.given("lon")):
            missing, present = ("lon", "lat") if self.given("lat") else ("lat", "lon")
            self.problem(missing, f"{missing} is missing while {present} is given: give both, "
                         "or neither to geocode the postcode or address")
            return ""
        latlon = []
        for name in ("lat", "lon"):
            try:
                latlon.append(_coordinate(self.data[name], name))
            except _FieldError as exc:
                self.problem(name, str(exc))
        if len(latlon) != 2:  # noqa: PLR2004 - lat and lon
            return ""
        lat, lon = latlon
        if lat == 0.0 and lon == 0.0:
            self.problem("lat,lon", "lat,lon (0, 0) is a placeholder, not a position: give the "
                         "real coordinates, or leave lat and lon empty to geocode the postcode "
                         "or address")
        elif looks_swapped(lat, lon, area):
            self.problem("lat,lon", f"latitude and longitude look swapped (lat={lat:g}, "
                         f"lon={lon:g}; the other way round the point is inside "
                         f"{area.describe()}): exchange the lat and lon values")
        elif not area.contains(lat, lon):
            self.problem("lat,lon", f"lat,lon ({lat:g}, {lon:g}) is outside the service area "
                         f"{area.describe()}: check the coordinates, or ingest with a wider "
                         "service area")
        else:
            self.values.update(lat=lat, lon=lon, location_precision=precision or "exact")
        return f"{lat:.4f},{lon:.4f}"

    def _geocode(
        self, queries: list[tuple[str, str]], area: ServiceArea, geocode: Callable[[str], Any]
    ) -> None:
        outside: tuple[str, str, float, float] | None = None
        for name, query in queries:
            try:
                location = geocode(query)
            except _FieldError as exc:
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
                return _text(self.data["source_id"], "source_id", limit=200)
            except _FieldError as exc:
                self.problem("source_id", str(exc))
                return None
        name = self.values.get(_NAME_FIELD[self.kind])
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
            raise _FieldError(error)
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
        columns have their own limits (name/title 200, category 60, postcode 10, ...).

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
    if kind not in KINDS:
        msg = f"kind {kind!r} is unknown: use one of {', '.join(map(repr, KINDS))}"
        raise ValueError(msg)
    geocode = _memo_geocoder(geocoder)
    first_row: dict[str, int] = {}
    valid: list[ValidRecord] = []
    rejected: list[dict[str, Any]] = []
    for record in records:
        ctx = _Context(max_text=max_text, interest_lookup=interest_lookup, warnings=[])
        check = _Checker(kind, dict(record.data), ctx)
        check.fields()
        check.rules()
        where = check.location(area, geocode)
        sid = check.source_id(where)
        if sid is not None:
            if sid in first_row:
                derived = "" if check.given("source_id") else (
                    "; the id was derived from the name and position, so both rows describe "
                    "the same thing")
                check.problem("source_id", f"duplicate id {sid!r} (first at row "
                              f"{first_row[sid]}){derived}")
            else:
                first_row[sid] = record.row
        if check.problems:
            rejected.extend({"row": record.row, "id": sid, "field": f, "reason": r}
                            for f, r in check.problems)
            continue
        check.values["source_id"] = sid
        valid.append(ValidRecord(record.row, check.values, check.refs,
                                 [*record.warnings, *ctx.warnings]))
    return valid, rejected
