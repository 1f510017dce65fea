"""Stored meetings -> Meeting Guide feed entries that the clients people use read correctly.

The Meeting Guide spec (code4recovery/spec) allows more than its two main clients, the Meeting
Guide app and TSML UI, read. So each entry is written the way those loaders want it:

- one entry per weekday, ``day`` an integer: a meeting held on several days gives several
  entries, slugged ``<slug>-<day>`` (a one-day meeting keeps its slug, so bookmarks survive);
- ``approximate`` always ``"yes"`` or ``"no"``: without it TSML UI counts the commas of
  ``formatted_address`` and takes fewer than four parts for an approximate place, hence not
  in person, hence inactive. A street address placed exactly or by its full postcode is
  ``"no"``; a district, area or town position, or an online-only meeting, is ``"yes"``;
- ``formatted_address`` a full address, four comma-separated parts where the record allows
  (venue, street, town and postcode, country: ``"Wigan Library, High Street, Wigan WN1 1XX,
  UK"``), the country named when the place is in the UK; an online meeting without an address
  is placed at its nearest town (``"Wigan, UK"``);
- ``timezone`` the record's, else ``"Europe/London"``;
- ``types`` only the spec's codes (``ONL`` is no longer one; online is said by
  ``conference_url``/``conference_phone``), with ``X``/``XB`` from the accessibility and
  ``TC`` for a meeting that is not active;
- ``updated`` the record's change time (``updated_at``) as ``"YYYY-MM-DD HH:MM:SS"`` UTC.

Reading a feed back (:mod:`ingest.readers.meeting_guide`) stores every field written here, so
export -> import -> export gives the same JSON.

:func:`feed_problems` checks entries against the spec's field rules and the loaders' rules.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from geo.postcode import find_postcode
from geo.service_area import service_area_from_text
from ingest.readers._types import MEETING_TYPES
from ingest.readers._types import ONLINE
from ingest.readers._types import TEMPORARILY_CLOSED
from ingest.readers._types import TYPE_ACCESSIBILITY
from ingest.readers.meeting_guide import EXTRA_KEYS as EXTRA_FIELDS

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable

DEFAULT_TIMEZONE = "Europe/London"
#: The spec's type codes (``types.json``); ``ONL`` was dropped from the spec.
SPEC_TYPES = frozenset(MEETING_TYPES) - {ONLINE}
#: Hosts TSML UI recognises in ``conference_url`` (its ``conference_providers`` setting);
#: a URL on any other host is dropped by it with "unknown conference_url".
CONFERENCE_PROVIDERS = (
    "bluejeans.com", "discord.gg", "freeconference.com", "freeconferencecall.com", "goto.com",
    "gotomeet.me", "gotomeeting.com", "horizon.meta.com", "maps.secondlife.com",
    "meet.google.com", "meet.jit.si", "meetings.dialpad.com", "signal.group", "skype.com",
    "slurl.com", "teams.live.com", "teams.microsoft.com", "vrchat.com", "webex.com",
    "zoho.com", "zoom.us",
)
ATTENDANCE_OPTIONS = ("in_person", "online", "hybrid", "inactive")
_PRECISE = ("exact", "postcode")
_ACCESS_CODES = {slug: code for code, slug in TYPE_ACCESSIBILITY.items()}
_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})")
_HHMM_STRICT = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_UPDATED = "%Y-%m-%d %H:%M:%S"
_SLUG = re.compile(r"^[A-Za-z0-9._~-]{1,64}$")
_PHONE = re.compile(r"^\+?[\d,*#]+$")
_UK_WORDS = frozenset(("uk", "united kingdom", "gb", "great britain", "england", "scotland",
                       "wales", "northern ireland"))
_MIN_PARTS = 4
_MIN_PHONE_DIGITS = 10
_WEEKDAYS = range(7)


def feed_entries(
    meetings: Iterable[dict[str, Any]],
    *,
    town_of: Callable[[float, float], str | None] | None = None,
) -> list[dict[str, Any]]:
    """Stored meetings -> Meeting Guide feed entries (the ``/api/meetings/feed.json`` body).

    Parameters
    ----------
    meetings
        Dicts of stored meeting fields (:func:`store.reads.export_records`): ``id``,
        ``source_id``, ``name``, ``weekdays`` (0 = Sunday), ``start_time``/``end_time``,
        ``venue``, ``address``, ``postcode``, ``lat``, ``lon``, ``location_precision``,
        ``attendance``, ``active``, ``conference_url``, ``conference_phone``, ``types``,
        ``accessibility``, ``notes``, ``location_notes``, ``group_name``, ``organisation``
        (a name), ``regions``, ``region`` (the organisation's), ``timezone``, ``feed_extra``,
        ``updated_at``. Missing keys are left out of the entries.
    town_of
        ``(lat, lon) -> town name`` for online meetings without an address; default: the
        nearest GeoNames town for UK positions.

    Returns
    -------
    list of dict
        One entry per meeting and weekday, slugs unique.

    Examples
    --------
    >>> import datetime as dt
    >>> rows = feed_entries([{"id": 7, "source_id": "hope", "name": "Hope", "weekdays": [1, 4],
    ...                       "start_time": dt.time(19), "attendance": "in_person",
    ...                       "venue": "Wigan Library", "address": "High Street, Wigan",
    ...                       "postcode": "WN1 1XX", "lat": 53.5, "lon": -2.6}])
    >>> [(r["slug"], r["day"]) for r in rows]
    [('hope-1', 1), ('hope-4', 4)]
    >>> rows[0]["formatted_address"], rows[0]["approximate"], rows[0]["timezone"]
    ('Wigan Library, High Street, Wigan WN1 1XX, UK', 'no', 'Europe/London')
    """
    entries: list[dict[str, Any]] = []
    used: set[str] = set()
    for meeting in meetings:
        item = _entry(meeting, town_of or _nearest_uk_town)
        base = str(meeting.get("source_id") or f"meeting-{meeting.get('id')}")
        days = sorted({int(d) for d in meeting.get("weekdays") or []})
        for day in days or [None]:
            slug = stem = base if len(days) <= 1 else f"{base}-{day}"
            n = 2
            while slug in used:
                slug, n = f"{stem}-{n}", n + 1
            used.add(slug)
            entries.append(_clean({"name": item["name"], "slug": slug, "day": day, **item}))
    return entries


def _clean(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v not in (None, "", [], {})}


def _entry(meeting: dict[str, Any], town_of: Callable[[float, float], str | None]
           ) -> dict[str, Any]:
    get = meeting.get
    lat, lon = get("lat"), get("lon")
    active = get("active", True) is not False
    attendance = get("attendance") or "in_person"
    types = {str(t) for t in get("types") or []} - {ONLINE, TEMPORARILY_CLOSED}
    types |= {_ACCESS_CODES[a] for a in get("accessibility") or [] if a in _ACCESS_CODES}
    if not active:
        types.add(TEMPORARILY_CLOSED)
    address = formatted_address(get("venue"), get("address"), get("postcode"), lat=lat, lon=lon)
    if address is None and lat is not None and lon is not None:
        town = town_of(float(lat), float(lon))
        address = f"{town}, UK" if town else None
    precise = lat is not None and (get("location_precision") or "exact") in _PRECISE
    approximate = "no" if precise and attendance != "online" and get("address") else "yes"
    updated = get("updated_at")
    regions = [str(r) for r in get("regions") or []] or ([str(get("region"))]
                                                        if get("region") else [])
    extra = {k: v for k, v in (get("feed_extra") or {}).items() if k in EXTRA_FIELDS}
    return {
        "name": get("name"),
        "time": _hhmm(get("start_time")),
        "end_time": _hhmm(get("end_time")),
        "timezone": get("timezone") or DEFAULT_TIMEZONE,
        "location": get("venue"),
        "location_notes": get("location_notes"),
        "formatted_address": address,
        "postal_code": get("postcode"),
        "latitude": None if lat is None else round(float(lat), 6),
        "longitude": None if lon is None else round(float(lon), 6),
        "approximate": approximate,
        "types": sorted(t for t in types if t in SPEC_TYPES),
        "attendance_option": attendance if active else "inactive",
        "conference_url": get("conference_url"),
        "conference_phone": _dial(get("conference_phone")),
        "notes": get("notes"),
        "group": get("group_name") or get("organisation"),
        "regions": regions,
        "updated": updated.strftime(_UPDATED) if isinstance(updated, dt.datetime) else updated,
        **extra,
    }


def formatted_address(
    venue: str | None, address: str | None, postcode: str | None, *,
    lat: float | None = None, lon: float | None = None,
) -> str | None:
    """A full address: venue, street, town and postcode, country, as far as the record goes.

    Idempotent (reading the result back as the address gives the same result), so a feed
    survives a round trip. The country ``UK`` is added for a UK postcode or position only;
    an address of four or more parts is kept as it is.

    Examples
    --------
    >>> formatted_address("Wigan Library", "High Street, Wigan", "WN1 1XX")
    'Wigan Library, High Street, Wigan WN1 1XX, UK'
    >>> formatted_address(None, "4953 W Addison St, Chicago, IL 60641, USA", "60641")
    '4953 W Addison St, Chicago, IL 60641, USA'
    """
    parts = [p.strip() for p in str(address or "").split(",") if p.strip()]
    if len(parts) >= _MIN_PARTS:
        return ", ".join(parts)
    has_country = bool(parts) and parts[-1].lower() in _UK_WORDS
    body = parts[:-1] if has_country else parts
    squashed = "".join(parts).replace(" ", "").upper()
    if postcode and str(postcode).replace(" ", "").upper() not in squashed:
        body = [*body[:-1], f"{body[-1]} {postcode}"] if body else [str(postcode)]
    if not body:
        return None
    uk = has_country or _in_uk(postcode, address, lat, lon)
    if venue and body[0].lower() != str(venue).strip().lower() and len(body) + uk < _MIN_PARTS:
        body.insert(0, str(venue).strip())
    tail = [parts[-1] if has_country else "UK"] if uk else []
    return ", ".join([*body, *tail])


def _in_uk(postcode: Any, address: Any, lat: Any, lon: Any) -> bool:
    if postcode and find_postcode(str(postcode)) is not None:
        return True
    if lat is not None and lon is not None:
        return bool(service_area_from_text("GB").contains(float(lat), float(lon)))
    return bool(address) and find_postcode(str(address)) is not None


@cache
def _gazetteer() -> Any:
    from geo.gazetteer import Gazetteer  # noqa: PLC0415 - loaded only for addressless points

    return Gazetteer.from_geonames("GB")


def _nearest_uk_town(lat: float, lon: float) -> str | None:
    if not service_area_from_text("GB").contains(lat, lon):
        return None
    place, _km = _gazetteer().nearest((lat, lon))
    return str(place.name)


def _dial(phone: Any) -> str | None:
    """A conference phone as the spec wants it: digits, ``+`` and the one-tap ``,`` ``*`` ``#``."""
    return re.sub(r"[^\d+,*#]", "", str(phone)) or None if phone else None


def _hhmm(value: Any) -> str | None:
    if isinstance(value, dt.time | dt.datetime):
        return value.strftime("%H:%M")
    if isinstance(value, str) and (m := _HHMM.match(value)):
        return f"{int(m[1]):02d}:{m[2]}"
    return None


# -- checks ----------------------------------------------------------------------------------

def conference_provider(url: str) -> str | None:
    """The provider host TSML UI knows ``url`` by, ``None`` when it does not know it.

    Examples
    --------
    >>> conference_provider("https://us02web.zoom.us/j/123"), conference_provider("https://x.org/")
    ('zoom.us', None)
    """
    host = (urlsplit(url).hostname or "").lower()
    return next((p for p in CONFERENCE_PROVIDERS if host == p or host.endswith(f".{p}")), None)


def _is_timezone(name: Any) -> bool:
    try:
        ZoneInfo(str(name))
    except (ValueError, KeyError, OSError):
        return False
    return True


def entry_problems(entry: dict[str, Any]) -> tuple[list[str], list[str]]:
    """One feed entry against the spec's field rules and the loaders' rules.

    Returns
    -------
    (errors, warnings)
        Errors break the spec or make a loader drop or misread the entry (a day list, a
        missing ``approximate``, an in-person address of fewer than four parts, an unknown
        type code, no timezone); warnings make a loader ignore a field (a conference URL on a
        host TSML UI does not know, so an online meeting without a phone shows as inactive).
    """
    errors: list[str] = []
    warnings: list[str] = []
    for check in (_check_identity, _check_when, _check_where, _check_online):
        check(entry, errors, warnings)
    return errors, warnings


def _check_identity(entry: dict[str, Any], errors: list[str], _warnings: list[str]) -> None:
    name, slug = entry.get("name"), entry.get("slug")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:  # noqa: PLR2004 - the spec's
        errors.append("name: a text of 1-255 characters is required")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        errors.append(f"slug {slug!r}: required, URL-safe, at most 64 characters")
    unknown = [t for t in entry.get("types") or [] if t not in SPEC_TYPES]
    if not isinstance(entry.get("types", []), list) or unknown:
        errors.append(f"types: only the spec's codes, not {unknown!r}")
    if entry.get("attendance_option", "in_person") not in ATTENDANCE_OPTIONS:
        errors.append(f"attendance_option {entry['attendance_option']!r}: one of "
                      f"{', '.join(ATTENDANCE_OPTIONS)}")
    regions = entry.get("regions", [])
    if not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions):
        errors.append(f"regions {regions!r}: a list of names, most general first")


def _check_when(entry: dict[str, Any], errors: list[str], _warnings: list[str]) -> None:
    day = entry.get("day")
    if "day" in entry and (type(day) is not int or day not in _WEEKDAYS):
        errors.append(f"day {day!r}: one integer 0 (Sunday) to 6 (Saturday), not a list")
    for key in ("time", "end_time"):
        if key in entry and not _HHMM_STRICT.match(str(entry[key])):
            errors.append(f"{key} {entry[key]!r}: HH:MM, 24-hour")
    if "day" in entry and "time" not in entry:
        errors.append("time: required with a day")
    if not _is_timezone(entry.get("timezone")):
        errors.append(f"timezone {entry.get('timezone')!r}: a tz database name is required")
    if "updated" in entry:
        try:
            dt.datetime.strptime(str(entry["updated"]), _UPDATED)
        except ValueError:
            errors.append(f"updated {entry['updated']!r}: YYYY-MM-DD HH:MM:SS")


def _check_where(entry: dict[str, Any], errors: list[str], warnings: list[str]) -> None:
    approximate = entry.get("approximate")
    if approximate not in ("yes", "no"):
        errors.append(f"approximate {approximate!r}: 'yes' or 'no' is required")
    address = entry.get("formatted_address")
    if not isinstance(address, str) or not address.strip():
        errors.append("formatted_address: required (TSML UI drops entries without one)")
    elif approximate == "no" and len(address.split(",")) < _MIN_PARTS:
        errors.append(f"formatted_address {address!r}: an in-person address needs four "
                      "parts (street, town, postcode, country)")
    if approximate == "yes" and entry.get("attendance_option") in ("in_person", "hybrid"):
        warnings.append("in-person meeting at an approximate place: TSML UI does not show it "
                        "as in person (give its street address)")
    lat, lon = entry.get("latitude"), entry.get("longitude")
    numbers = all(isinstance(v, float | int) and not isinstance(v, bool) for v in (lat, lon))
    if (lat, lon) != (None, None) and not (
            numbers and -90 <= lat <= 90 and -180 <= lon <= 180):  # noqa: PLR2004 - degrees
        errors.append(f"latitude/longitude {lat!r}, {lon!r}: two numbers in range")


def _check_online(entry: dict[str, Any], errors: list[str], warnings: list[str]) -> None:
    url = entry.get("conference_url")
    if url is not None and urlsplit(str(url)).scheme not in ("http", "https"):
        errors.append(f"conference_url {url!r}: an http(s) URL")
    phone = entry.get("conference_phone")
    if phone is not None and not _PHONE.match(str(phone)):
        errors.append(f"conference_phone {phone!r}: digits only (+ , * # allowed)")
    phone_ok = phone is not None and sum(c.isdigit() for c in str(phone)) >= _MIN_PHONE_DIGITS
    if phone is not None and not phone_ok:
        warnings.append(f"conference_phone {phone!r}: TSML UI wants at least 10 digits")
    provider = conference_provider(str(url)) if url else None
    if url and provider is None:
        warnings.append(f"conference_url {url!r}: TSML UI does not know this provider")
    if entry.get("attendance_option") in ("online", "hybrid") and provider is None \
            and not phone_ok:
        warnings.append("online meeting with neither a known conference provider nor a phone: "
                        "TSML UI shows it as inactive")


def feed_problems(entries: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """:func:`entry_problems` of every entry (prefixed with its slug), and duplicate slugs."""
    errors: list[str] = []
    warnings: list[str] = []
    seen: set[Any] = set()
    for entry in entries:
        slug = entry.get("slug")
        if slug in seen:
            errors.append(f"{slug}: duplicate slug")
        seen.add(slug)
        e, w = entry_problems(entry)
        errors.extend(f"{slug}: {m}" for m in e)
        warnings.extend(f"{slug}: {m}" for m in w)
    return errors, warnings


__all__ = [
    "CONFERENCE_PROVIDERS",
    "DEFAULT_TIMEZONE",
    "EXTRA_FIELDS",
    "SPEC_TYPES",
    "conference_provider",
    "entry_problems",
    "feed_entries",
    "feed_problems",
    "formatted_address",
]
