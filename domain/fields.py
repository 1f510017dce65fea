"""The field rules of needs (opportunities), associations and meetings, with one wording.

Ingest (:mod:`ingest.validate`), the partner pages and the partner API
(:func:`store.partner.clean_opportunity`) check values with these rules, so a value is
accepted or refused the same way, with the same sentence, whichever door it comes through.

Every parser takes ``(value, name, context)`` and returns the value ready for the model, or
raises :class:`~domain.errors.FieldError` whose text names the field, shows the value with
``!r``, says what is allowed and how to fix it. :func:`domain.records.check_fields` runs the
parsers of a kind over a record and collects every problem (:class:`~domain.errors.Problem`);
:func:`position_problems` and :func:`pair_problems` check what spans fields.

The rules
---------
- Text is kept verbatim, HTML included (escaping is the output's job); surrounding
  whitespace is dropped; a NUL character is refused. Empty text, ``NA``, ``N/A``, ``null``,
  ``none`` and ``nan`` count as missing. Short fields have the column's length
  (:data:`SHORT_LIMITS`); long text (descriptions, notes, addresses, lists in all) at most
  ``max_text`` characters (5000 by default).
- Lists are lists or text separated by commas, semicolons, new lines, tabs or ``|``; items
  are kept once each.
- A web address is http(s) and holds only the characters RFC 3986 allows (no space, ``"``,
  ``<``, ``>``, ...); one without a scheme (``www.example.org``) gets ``http://`` with
  a warning. An email address has the form ``name@example.org``. A phone number has at
  least 6 digits and only digits, spaces and ``+ ( ) - .``.
- Days, times: :mod:`domain.schedule`. Dates: ISO ``2024-05-01``, UK ``01/05/2024`` (day
  first) or ``1 May 2024``. Yes/no: true/false, yes/no, y/n, 1/0.
- Counts (capacity, places taken) are whole numbers from 0 to :data:`MAX_CAPACITY`.
- Statuses, attendance, precisions: the values of :mod:`domain.status`.
- A position is WGS84 decimal degrees, not the ``(0, 0)`` placeholder, not swapped, and
  inside the service area (:mod:`geo.service_area`). Postcodes are UK postcodes (full or
  district) when the service area is the UK or one of its nations.
- Pairs: ``end_time`` after ``start_time`` (an end at 00:00 is midnight), ``ends_on`` not
  before ``starts_on``, ``places_taken`` not above ``capacity``.
- Required: a meeting's and an association's ``name``, a need's ``title``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from domain.dates import clock
from domain.dates import long_date
from domain.errors import FieldError
from domain.errors import Problem
from domain.labels import label
from domain.labels import shown
from domain.schedule import parse_time
from domain.schedule import parse_weekdays
from domain.status import PRECISIONS
from geo.errors import InvalidPostcodeError
from geo.postcode import parse_postcode
from geo.service_area import looks_swapped

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping

    from geo.service_area import ServiceArea

MAX_TEXT = 5000
"""Longest long text (descriptions, notes, addresses, a list in all), unless told."""
MAX_CAPACITY = 10_000
"""Largest capacity (and places taken) of a need."""
SHORT_LIMITS = {
    "name": 200, "title": 200, "venue": 200, "commitment": 200, "category": 60,
    "contact_phone": 40, "charity_number": 20, "source_id": 200, "postcode": 10,
    "organisation": 200, "region": 120, "association": 200, "association_name": 200,
    "association_category": 60, "association_postcode": 10, "group_name": 200,
    "conference_phone": 60,
}
"""Fields stored in a column of a fixed length: field -> most characters."""
URL_LIMIT, EMAIL_LIMIT = 500, 254
NAME_FIELD = {"meetings": "name", "associations": "name", "opportunities": "title"}
"""The field that names a record of each kind (required)."""
NOUN = {"meetings": "meeting", "associations": "association", "opportunities": "opportunity"}

_MISSING_WORDS = frozenset(("", "na", "n/a", "n.a.", "null", "none", "nan", "-", "--", "?",
                            "not known", "unknown", "n/k", "nk", "not applicable", "tbc",
                            "tba", "nil"))
_LONGEST_MISSING = max(map(len, _MISSING_WORDS))
#: The words :func:`is_missing` reads as "no value" (case-folded, stripped), and the longest:
#: for loops over many cells that test text inline (``domain.records.check_fields``).
MISSING_WORDS, LONGEST_MISSING = _MISSING_WORDS, _LONGEST_MISSING
_MAX_LAT, _MAX_LON = 90, 180
# RFC 3986: unreserved, reserved and '%' (percent-escapes); anything else (space, '"', '<',
# '>', '{', '}', '|', '\\', '^', '`', non-ASCII) cannot be a character of a URI.
_URI_CHARS_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BAD_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Most web addresses: what web_address accepts unchanged, recognised by one match.
_PLAIN_URL_RE = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*(?::[0-9]{1,5})?"
                           r"(?:[/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]*)?")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %B %Y",
                 "%d %b %Y")
_BOOLS = {"true": True, "t": True, "yes": True, "y": True, "1": True,
          "false": False, "f": False, "no": False, "n": False, "0": False}
_BARE_HOST_RE = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:[/?#]\S*)?", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[^@\s<>()\[\],;:\"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
                       r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+", re.IGNORECASE)
_PHONE_RE = re.compile(r"\+?[\d\s().\-]+")
_MIN_PHONE_DIGITS = 6
_LIST_SEPARATORS = re.compile(r"[,;\n\r\t|]+")


@dataclass
class Context:
    """What the rules of one record need besides the value.

    Attributes
    ----------
    max_text
        Longest long text.
    interest_lookup
        Maps an interest as written to a taxonomy slug, or ``None`` when unknown.
    strict_interests
        ``True``: an unknown interest is a problem (forms and the API offer a fixed list);
        ``False``: it is left out with a warning (files use their own words).
    warnings
        Filled with what was accepted but changed or left out.
    """

    max_text: int = MAX_TEXT
    interest_lookup: Callable[[str], str | None] | None = None
    strict_interests: bool = False
    warnings: list[str] = field(default_factory=list)


def is_missing(value: Any) -> bool:
    """Whether a raw value means "no value" (``None``, NaN, empty, ``NA``, an empty list).

    Examples
    --------
    >>> is_missing(" N/A "), is_missing([]), is_missing(0)
    (True, True, False)
    """
    if value is None:
        return True
    if type(value) is str:  # the usual case first; a long text is never a missing word
        value = value.strip()
        return len(value) <= _LONGEST_MISSING and value.lower() in _MISSING_WORDS
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return value.strip().lower() in _MISSING_WORDS
    if isinstance(value, list | tuple | set | dict):
        return len(value) == 0
    return False


# --- one value -----------------------------------------------------------------------------

def text(value: Any, name: str, ctx: Context | None = None, *, limit: int | None = None) -> str:
    """Text, stripped, without NUL, at most ``limit`` (else the context's ``max_text``)."""
    if type(value) is str:  # the usual case: no type to refuse, no float to turn
        out = value.strip()
        if "\x00" not in out and len(out) <= (
            limit if limit is not None else (ctx.max_text if ctx else MAX_TEXT)
        ):
            return out
    if isinstance(value, bool | list | tuple | set | dict):
        msg = f"{label(name)} must be text, not {shown(value)}. Type it as words."
        raise FieldError(msg, field=name, value=value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets turn 1234567 into 1234567.0
    out = str(value).strip()
    if "\x00" in out:
        msg = (f"{label(name)} contains a NUL character (\\x00), which cannot be stored. "
               "Remove it.")
        raise FieldError(msg, field=name, value=value)
    limit = limit if limit is not None else (ctx.max_text if ctx else MAX_TEXT)
    if len(out) > limit:
        msg = (f"{label(name)} is {len(out)} characters long, and at most {limit} fit. "
               f"Shorten the {label(name).lower()}.")
        raise FieldError(msg, field=name, value=value)
    return out


def short_text(value: Any, name: str, ctx: Context | None = None) -> str:
    """Text of a fixed-length column (:data:`SHORT_LIMITS`)."""
    return text(value, name, ctx, limit=SHORT_LIMITS[name])


def text_items(value: Any, name: str, ctx: Context) -> list[str]:
    """A list of text items, each once; at most ``max_text`` characters in all."""
    raw = value if isinstance(value, list | tuple) else _LIST_SEPARATORS.split(str(value))
    items = [text(v, name, ctx) for v in raw if not is_missing(v)]
    if sum(len(i) for i in items) > ctx.max_text:
        msg = (f"{label(name)} holds more than {ctx.max_text} characters in all. "
               "Shorten the list.")
        raise FieldError(msg, field=name, value=value)
    return list(dict.fromkeys(items))


def choice(value: Any, name: str, _ctx: Context | None = None, *,
           allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (case, spaces and dashes folded to ``snake_case``)."""
    key = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
    if key not in allowed:
        msg = (f"{label(name)} {shown(value)} is not one of the choices. Choose one of "
               f"{', '.join(a.replace('_', ' ') for a in allowed)}.")
        raise FieldError(msg, field=name, value=value)
    return key


def weekdays(value: Any, name: str, _ctx: Context | None = None) -> list[int]:
    """Days, 0 = Sunday: :func:`domain.schedule.parse_weekdays`."""
    return parse_weekdays(value, name)


def time_of_day(value: Any, name: str, _ctx: Context | None = None) -> dt.time:
    """A time of day: :func:`domain.schedule.parse_time`."""
    return parse_time(value, name)


def parse_date(value: Any, name: str = "starts_on", _ctx: Context | None = None) -> dt.date:
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
    raw = str(value).strip()
    for fmt in _DATE_FORMATS:
        for candidate in (raw, raw.split("T")[0], raw.split(" ")[0]):
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    msg = (f"{label(name)} {shown(value)} is not a date. Enter a date such as 1 May 2024 "
           "or 01/05/2024.")
    raise FieldError(msg, field=name, value=value)


def yes_no(value: Any, name: str, _ctx: Context | None = None) -> bool:
    """``True``/``False`` from true/false, yes/no, y/n, 1/0 (any case) or a bool."""
    if isinstance(value, bool):
        return value
    key = str(int(value) if isinstance(value, float) and value.is_integer() else value)
    found = _BOOLS.get(key.strip().lower())
    if found is None:
        msg = f"{label(name)} {shown(value)} is not yes or no. Give yes or no (or 1 or 0)."
        raise FieldError(msg, field=name, value=value)
    return found


def count(value: Any, name: str, _ctx: Context | None = None) -> int:
    """A whole number from 0 to :data:`MAX_CAPACITY` (numeric text accepted)."""
    try:
        number = float(str(value).strip()) if not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number.is_integer()):
        msg = f"{label(name)} {shown(value)} is not a whole number. Enter a count such as 4."
        raise FieldError(msg, field=name, value=value)
    if not 0 <= number <= MAX_CAPACITY:
        msg = (f"{label(name)} {shown(value)} is out of range. Enter a whole number from 0 "
               f"to {MAX_CAPACITY:,}.")
        raise FieldError(msg, field=name, value=value)
    return int(number)


def web_address(value: Any, name: str, ctx: Context) -> str:
    """An http(s) URL; a bare host (``www.example.org``) gets ``http://`` and a warning."""
    out = text(value, name, limit=URL_LIMIT)
    if _PLAIN_URL_RE.fullmatch(out):  # http(s), a host, only RFC 3986 characters, no '%'
        return out
    if "://" not in out and _BARE_HOST_RE.fullmatch(out):
        fixed = f"http://{out}"
        ctx.warnings.append(f"{label(name)} {shown(out)} has no http:// or https:// at the "
                            f"start: stored as {shown(fixed)}")
        out = text(fixed, name, limit=URL_LIMIT)
    parts = urlsplit(out)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        msg = (f"{label(name)} {shown(out)} is not a web address. Enter one that starts "
               "with http:// or https://, such as https://example.org/.")
        raise FieldError(msg, field=name, value=value)
    if not _URI_CHARS_RE.fullmatch(out) or _BAD_ESCAPE_RE.search(out):
        bad = sorted({c for c in out if not _URI_CHARS_RE.fullmatch(c)}) or ["%"]
        msg = (f"{label(name)} {shown(out)} is not a web address: it holds "
               f"{' '.join(map(shown, bad))}, which web addresses cannot (RFC 3986). Copy the "
               "address from the browser's address bar, or percent-encode those characters.")
        raise FieldError(msg, field=name, value=value)
    return out


def email_address(value: Any, name: str, _ctx: Context | None = None) -> str:
    """An email address of the form ``name@example.org``."""
    out = text(value, name, limit=EMAIL_LIMIT)
    if not _EMAIL_RE.fullmatch(out):
        msg = (f"{label(name)} {shown(out)} is not an email address. Enter one such as "
               "name@example.org.")
        raise FieldError(msg, field=name, value=value)
    return out


def phone_number(value: Any, name: str, _ctx: Context | None = None) -> str:
    """A phone number as written: at least 6 digits, only digits, spaces and ``+()-.``."""
    out = text(value, name, limit=SHORT_LIMITS["contact_phone"])
    if not _PHONE_RE.fullmatch(out) or sum(c.isdigit() for c in out) < _MIN_PHONE_DIGITS:
        msg = (f"{label(name)} {shown(out)} is not a phone number. Enter the digits, such "
               "as 0161 496 0000 or +44 161 496 0000.")
        raise FieldError(msg, field=name, value=value)
    return out


def interests(value: Any, name: str, ctx: Context) -> list[str]:
    """Interest slugs through the context's lookup (unknown: a warning, or a problem)."""
    items = text_items(value, name, ctx)
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
    if unknown and ctx.strict_interests:
        msg = (f"{label(name)}: {', '.join(map(shown, unknown))} is not one of our "
               "interests. Choose from the list of interests.")
        raise FieldError(msg, field=name, value=value)
    if unknown:
        ctx.warnings.append(
            f"{label(name)} not in the list of interests, left out: "
            f"{', '.join(map(shown, unknown))}")
    return known


def coordinate(value: Any, name: str, _ctx: Context | None = None) -> float:
    """A latitude (``name="lat"``) or longitude in decimal degrees, within range."""
    example = "53.48" if name == "lat" else "-2.24"
    try:
        number = math.nan if isinstance(value, bool) else float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        msg = (f"{label(name)} {shown(value)} is not a number. Enter decimal degrees such "
               f"as {example}.")
        raise FieldError(msg, field=name, value=value)
    bound, what = (90, "latitude") if name == "lat" else (180, "longitude")
    if not -bound <= number <= bound:
        msg = (f"{label(name)} {shown(value)} is out of range. Enter a {what} between "
               f"-{bound} and {bound}.")
        raise FieldError(msg, field=name, value=value)
    return number


@functools.lru_cache(maxsize=4096)
def _postcode_hint(raw: str) -> str:
    """``"; did you mean 'WA15 0HF'?"`` when a letter O or I stands for a digit."""
    squashed = re.sub(r"\s+", "", raw.upper())
    if len(squashed) < 5:  # noqa: PLR2004 - the shortest full postcode, 'M1 1AA'
        return ""
    digit = {"O": "0", "I": "1"}
    inward = squashed[-3:]
    candidates = (squashed[:-3] + digit.get(inward[0], inward[0]) + inward[1:],
                  squashed.replace("O", "0"))
    for candidate in candidates:
        try:
            return f" Did you mean {parse_postcode(candidate, allow=('full',)).text}?"
        except InvalidPostcodeError:
            continue
    return ""


def postcode(value: Any, area: ServiceArea, name: str = "postcode") -> str:
    """A UK postcode (full or district, normalised) in a UK area; elsewhere short text."""
    try:
        if area.uk_postcodes:
            return parse_postcode(str(value), allow=("full", "district")).text
        return text(value, name, limit=SHORT_LIMITS["postcode"])
    except InvalidPostcodeError:
        msg = (f"{label(name)} {shown(str(value))} is not a UK postcode. Enter a full "
               f"postcode such as M15 4AB, or its first half such as M15."
               f"{_postcode_hint(str(value))}")
        raise FieldError(msg, field=name, value=value) from None


def precision(value: Any, name: str = "location_precision") -> str:
    """One of :data:`domain.status.PRECISIONS`."""
    found = str(value).strip().lower()
    if found not in PRECISIONS:
        msg = (f"{label(name)} {shown(value)} is not one of the choices. Choose one of "
               f"{', '.join(PRECISIONS)}.")
        raise FieldError(msg, field=name, value=value)
    return found


# --- spanning fields -----------------------------------------------------------------------

def position_problems(lat: float, lon: float, area: ServiceArea) -> list[Problem]:
    """What is wrong with a position given as numbers: placeholder, swapped, outside."""
    value = (lat, lon)
    if lat == 0.0 and lon == 0.0:
        return [Problem("lat,lon", value, "Latitude and longitude (0, 0) is a placeholder, "
                        "not a position. Enter the real coordinates, or leave both empty to "
                        "place it by its postcode or address.")]
    if area.contains(lat, lon):  # most positions: one point-in-polygon test, not three
        return []
    if looks_swapped(lat, lon, area):
        return [Problem("lat,lon", value, f"Latitude and longitude look swapped (latitude "
                        f"{lat:g}, longitude {lon:g}; the other way round the point is inside "
                        f"{area.describe()}). Exchange the two values.")]
    if not area.contains(lat, lon):
        return [Problem("lat,lon", value, f"Latitude and longitude ({lat:g}, {lon:g}) is "
                        f"outside the service area {area.describe()}. Check the coordinates, "
                        "or use a wider service area.")]
    return []


def coordinates(
    raw_lat: Any, raw_lon: Any, area: ServiceArea
) -> tuple[tuple[float, float] | None, list[Problem]]:
    """Check a given pair: both present, numbers in range, a real position in the area."""
    if type(raw_lat) is str and type(raw_lon) is str:
        # The usual case, first: two finite numbers in range, not (0, 0), inside the area.
        # float() drops surrounding white space as str.strip() does, and no missing word
        # reads as a finite number, so this answers as the checks below would; anything
        # else (a problem, a missing half) goes through them for its reason.
        try:
            lat, lon = float(raw_lat), float(raw_lon)
        except ValueError:
            pass
        else:
            if -_MAX_LAT <= lat <= _MAX_LAT and -_MAX_LON <= lon <= _MAX_LON \
                    and (lat != 0.0 or lon != 0.0) \
                    and area.contains(lat, lon):
                return (lat, lon), []
    if is_missing(raw_lat) or is_missing(raw_lon):
        missing, present = ("lon", "lat") if is_missing(raw_lon) else ("lat", "lon")
        return None, [Problem(missing, None, f"{label(missing)} is missing while "
                              f"{label(present).lower()} is given. Enter both, or neither to "
                              "place it by its postcode or address.")]
    latlon: list[float] = []
    problems: list[Problem] = []
    for name, raw in (("lat", raw_lat), ("lon", raw_lon)):
        try:
            latlon.append(coordinate(raw, name))
        except FieldError as exc:
            problems.append(Problem(name, raw, str(exc)))
    if problems:
        return None, problems
    lat, lon = latlon
    found = position_problems(lat, lon, area)
    return (None, found) if found else ((lat, lon), [])


def pair_problems(values: Mapping[str, Any]) -> list[Problem]:
    """Fields that must agree: times, dates, places taken within capacity."""
    problems = []
    start, end = values.get("start_time"), values.get("end_time")
    if start is not None and end is not None and end <= start and end != dt.time(0):
        problems.append(Problem("end_time", end, f"Finish time ({clock(end)}) must be after "
                                f"the start time ({clock(start)}). Change the finish time, or "
                                "leave it empty."))
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if starts is not None and ends is not None and ends < starts:
        problems.append(Problem("ends_on", ends, f"Last day ({long_date(ends)}) must not be "
                                f"before the first day ({long_date(starts)}). Change the last "
                                "day, or the first."))
    capacity, taken = values.get("capacity"), values.get("places_taken")
    if capacity is not None and taken is not None and taken > capacity:
        problems.append(Problem("places_taken", taken, f"Places taken ({taken}) cannot be "
                                f"more than the places ({capacity}). Lower the places taken, "
                                "or raise the places."))
    return problems


def region_list(value: Any, name: str, ctx: Context | None = None) -> list[str]:
    """Regions, most general first: a list, or text as ``"Greater Manchester > Wigan"``."""
    raw = value if isinstance(value, list | tuple) else str(value).split(">")
    return [text(v, name, ctx, limit=SHORT_LIMITS["region"]) for v in raw if not is_missing(v)]


def timezone(value: Any, name: str, _ctx: Context | None = None) -> str:
    """A tz database name (``Europe/London``)."""
    zone = str(value).strip()
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError, OSError):
        msg = (f"{label(name)} {shown(value)} is not a time zone. Use a tz database name "
               "such as Europe/London.")
        raise FieldError(msg) from None
    return zone


def updated_time(value: Any, name: str, ctx: Context | None = None) -> dt.datetime | None:
    """A Meeting Guide ``updated`` time, UTC ``YYYY-MM-DD HH:MM:SS``, else ``None``.

    ISO 8601 and the US ``6/27/2022 9:52:35 AM`` of some plugins are accepted; anything else
    is left out with a warning: an optional field never costs a meeting.
    """
    if isinstance(value, dt.datetime):
        when: dt.datetime = value.astimezone(dt.UTC) if value.tzinfo is not None else value
        return when.replace(tzinfo=None)
    raw = str(value).strip()
    try:
        return updated_time(dt.datetime.fromisoformat(raw), name, ctx)
    except ValueError:
        pass
    try:
        return dt.datetime.strptime(raw.upper(), "%m/%d/%Y %I:%M:%S %p")
    except ValueError:
        if ctx is not None:
            ctx.warnings.append(f"{label(name)} {shown(str(value))} is not a time (the feed "
                                "gives YYYY-MM-DD HH:MM:SS, UTC): left out")
        return None


def feed_extra(value: Any, name: str, ctx: Context) -> dict[str, Any]:
    """A Meeting Guide feed's other public fields, a bad one left out with a warning.

    Values are texts or lists of texts; web addresses (``url``, ``*_url``, ``entity_logo``)
    are checked as such.
    """
    if not isinstance(value, dict):
        msg = f"{label(name)} {shown(value)} is not a set of Meeting Guide fields."
        raise FieldError(msg)
    kept: dict[str, Any] = {}
    for key, item in value.items():
        try:
            if isinstance(item, list | tuple):
                kept[key] = [text(v, key, ctx) for v in item if not is_missing(v)]
            elif key.endswith(("url", "_logo")):
                kept[key] = web_address(item, key, ctx)
            else:
                kept[key] = text(item, key, ctx)
        except FieldError as exc:
            ctx.warnings.append(f"{exc}: {key} left out")
    return kept


__all__ = [
    "EMAIL_LIMIT", "MAX_CAPACITY", "MAX_TEXT", "NAME_FIELD", "NOUN", "SHORT_LIMITS", "URL_LIMIT",
    "Context", "choice", "coordinate", "coordinates", "count", "email_address", "feed_extra",
    "interests", "is_missing", "pair_problems", "parse_date", "phone_number",
    "position_problems", "postcode", "precision", "region_list", "short_text", "text",
    "text_items", "time_of_day", "timezone", "updated_time", "web_address", "weekdays", "yes_no",
]
