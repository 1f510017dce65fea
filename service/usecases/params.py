"""The one parameter vocabulary: one parser per kind of value, for pages, API and CLI alike.

Every parser takes the raw value (text from a query string or a form, or a number from
click) and returns the parsed value or raises
:class:`~service.usecases.errors.BadParameterError` naming the parameter, showing the value
with ``!r`` and saying what is allowed. Numbers are finite only (``inf``, ``nan``, ``1e309``
are refused); ``-0`` is ``0``. The limits are the same everywhere: a radius is
:data:`MIN_RADIUS_KM` to :data:`MAX_RADIUS_KM` km whichever face asks. Faces parse every
parameter before any work is done.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING
from typing import Any

from geo.distance import MAX_LAT
from geo.distance import MAX_LON
from geo.errors import GeoError
from geo.postcode import parse_postcode
from matching.errors import MatchingError
from matching.query import parse_days
from matching.query import parse_times
from service.usecases.errors import BadParameterError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping

MIN_RADIUS_KM = 0.1
"""The smallest radius accepted (100 m): anything closer is not a distance a peer travels."""
MAX_RADIUS_KM = 100.0
"""The largest radius accepted, for searches, reach, coverage and sites alike."""
MAX_ID = 2**31 - 1
"""Record ids are the tables' integers."""
MAX_PAGE = 1_000_000
MAX_OFFSET = 10**9
_WHOLE = re.compile(r"[+-]?\d{1,30}")


def given(raw: Any) -> bool:
    """Whether a value was given (``None`` and blank text are not)."""
    return raw is not None and str(raw).strip() != ""


def check_known(args: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Reject parameters the endpoint does not take (a typo should not be silently ignored)."""
    known = tuple(allowed)
    unknown = sorted(set(args) - set(known))
    if unknown:
        msg = (f"unknown parameter{'s' if len(unknown) > 1 else ''} "
               f"{', '.join(map(repr, unknown))}; allowed: {', '.join(known)}")
        raise BadParameterError(msg, param=unknown[0], value=None,
                                fix=f"use one of {', '.join(known)}")


def number(raw: Any, name: str, *, lo: float, hi: float, default: float | None = None,
           unit: str = "") -> float | None:
    """A finite number in ``[lo, hi]`` (``-0`` is ``0``), or ``default`` when not given."""
    if not given(raw):
        return default
    if isinstance(raw, bool):
        raw = str(raw)
    try:
        value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError, OverflowError):
        msg = f"{name}={raw!r} is not a number: use a number from {lo:g} to {hi:g}{unit}"
        raise BadParameterError(msg, param=name, value=raw, problem="is not a number",
                                fix=f"use a number from {lo:g} to {hi:g}{unit}") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        msg = f"{name}={raw!r} is out of range: use a number from {lo:g} to {hi:g}{unit}"
        raise BadParameterError(msg, param=name, value=raw, problem="is out of range",
                                fix=f"use a number from {lo:g} to {hi:g}{unit}")
    return value + 0.0  # -0.0 -> 0.0


def whole(raw: Any, name: str, *, lo: int, hi: int, default: int | None = None) -> int | None:
    """A whole number in ``[lo, hi]``, or ``default`` when not given."""
    if not given(raw):
        return default
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        msg = f"{name}={raw!r} is not a whole number: use one from {lo} to {hi}"
        raise BadParameterError(msg, param=name, value=raw, problem="is not a whole number",
                                fix=f"use one from {lo} to {hi}")
    if not lo <= value <= hi:
        msg = f"{name}={raw!r} is out of range: use a whole number from {lo} to {hi}"
        raise BadParameterError(msg, param=name, value=raw, problem="is out of range",
                                fix=f"use a whole number from {lo} to {hi}")
    return value


def radius(raw: Any, *, default: float, name: str = "radius_km") -> float:
    """A radius in km, :data:`MIN_RADIUS_KM` to :data:`MAX_RADIUS_KM`."""
    value = number(raw, name, lo=MIN_RADIUS_KM, hi=MAX_RADIUS_KM, default=default, unit=" km")
    return default if value is None else value


def count(raw: Any, *, default: int, lo: int = 1, hi: int = 50, name: str = "count") -> int:
    """How many things to make (sites), ``lo`` to ``hi``."""
    value = whole(raw, name, lo=lo, hi=hi, default=default)
    return default if value is None else value


def limit(raw: Any, *, default: int, hi: int, name: str = "limit") -> int:
    """How many results, 1 to ``hi``."""
    value = whole(raw, name, lo=1, hi=hi, default=default)
    return default if value is None else value


def page(raw: Any, *, name: str = "page") -> int:
    """A page number, 1 to :data:`MAX_PAGE` (default 1)."""
    value = whole(raw, name, lo=1, hi=MAX_PAGE, default=1)
    return 1 if value is None else value


def offset(raw: Any, *, name: str = "offset") -> int:
    """Records to skip, 0 to :data:`MAX_OFFSET` (default 0)."""
    value = whole(raw, name, lo=0, hi=MAX_OFFSET, default=0)
    return 0 if value is None else value


def record_id(raw: Any, *, name: str) -> int | None:
    """A record id, 1 to :data:`MAX_ID`, or ``None`` when not given."""
    return whole(raw, name, lo=1, hi=MAX_ID)


def latitude(raw: Any, *, name: str = "lat") -> float | None:
    """A latitude in degrees, -90 to 90, or ``None`` when not given."""
    return number(raw, name, lo=-MAX_LAT, hi=MAX_LAT, unit=" (a latitude in degrees)")


def longitude(raw: Any, *, name: str = "lon") -> float | None:
    """A longitude in degrees, -180 to 180, or ``None`` when not given."""
    return number(raw, name, lo=-MAX_LON, hi=MAX_LON, unit=" (a longitude in degrees)")


def postcode(raw: Any, *, name: str = "postcode",
             allow: tuple[str, ...] = ("full", "district", "area")) -> str | None:
    """A UK postcode (normalised text), or ``None`` when not given."""
    if not given(raw):
        return None
    try:
        return parse_postcode(str(raw), allow=allow).text
    except GeoError as exc:
        fix = ("enter a full postcode such as WN1 1AA" if allow == ("full",) else
               "enter a full postcode such as WN1 1AA, or its first half such as WN1")
        raise BadParameterError(str(exc), param=name, value=raw, fix=fix,
                                problem="is not a UK postcode") from None


def days(raw: Any, *, name: str = "days") -> frozenset[int]:
    """Weekdays (0 = Sunday): names, numbers, ``weekend``, ``weekdays``; empty when not given."""
    if not given(raw):
        return frozenset()
    try:
        return parse_days(str(raw))
    except MatchingError as exc:  # the API names the parameter; a form, its label
        msg = f"{name}={raw!r}: {exc}"
        raise BadParameterError(msg, param=name, value=raw,
                                people=str(exc)) from None


def times(raw: Any, *, name: str = "times") -> tuple[tuple[int, int], ...]:
    """Time windows: ``morning``, ``afternoon``, ``evening`` or ``HH:MM-HH:MM``."""
    if not given(raw):
        return ()
    try:
        return parse_times(str(raw))
    except MatchingError as exc:  # the API names the parameter; a form, its label
        msg = f"{name}={raw!r}: {exc}"
        raise BadParameterError(msg, param=name, value=raw,
                                people=str(exc)) from None


def date(raw: Any, *, name: str) -> dt.date | None:
    """A date ``YYYY-MM-DD``, or ``None`` when not given."""
    if not given(raw):
        return None
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        msg = f"{name}={raw!r} is not a date: use YYYY-MM-DD, such as 2026-03-01"
        raise BadParameterError(msg, param=name, value=raw, problem="is not a date",
                                fix="use YYYY-MM-DD, such as 2026-03-01") from None


def choice(raw: Any, name: str, *, choices: Iterable[str],
           default: str | None = None) -> str | None:
    """One of ``choices``, or ``default`` when not given."""
    options = tuple(choices)
    if not given(raw):
        return default
    if raw not in options:
        msg = f"{name}={raw!r} is not allowed: use one of {', '.join(options)}"
        raise BadParameterError(msg, param=name, value=raw, problem="is not one of the choices",
                                fix="choose one from the list")
    return str(raw)


def bbox(raw: Any, *, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees, or ``None`` when not given."""
    if not given(raw):
        return None
    try:
        west, south, east, north = (float(p) for p in str(raw).split(","))
    except ValueError:
        msg = f"{name}={raw!r} must be four numbers: west,south,east,north"
        raise BadParameterError(msg, param=name, value=raw) from None
    ok = (all(math.isfinite(v) for v in (west, south, east, north))
          and -MAX_LON <= west <= MAX_LON and -MAX_LON <= east <= MAX_LON
          and -MAX_LAT <= south <= north <= MAX_LAT)
    if not ok:
        msg = (f"{name}={raw!r} is not a box: west and east in -180..180, "
               "south <= north in -90..90")
        raise BadParameterError(msg, param=name, value=raw)
    return west + 0.0, south + 0.0, east + 0.0, north + 0.0


__all__ = [
    "MAX_ID",
    "MAX_RADIUS_KM",
    "MIN_RADIUS_KM",
    "bbox",
    "check_known",
    "choice",
    "count",
    "date",
    "days",
    "given",
    "latitude",
    "limit",
    "longitude",
    "number",
    "offset",
    "page",
    "postcode",
    "radius",
    "record_id",
    "times",
    "whole",
]
