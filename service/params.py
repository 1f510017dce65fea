"""Query-parameter parsing with 400s that name the parameter, show the value, say what's allowed."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from geo.distance import MAX_LAT
from geo.distance import MAX_LON

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping


class ParamError(ValueError):
    """A bad query parameter: HTTP 400."""

    status = 400
    code = "bad_parameter"


def unknown_parameters(args: Mapping[str, str], allowed: Iterable[str]) -> str | None:
    """The message for parameters an endpoint does not take, or ``None`` when all are known.

    One wording for every endpoint; each raises it as its own 400 error type.
    """
    known = tuple(allowed)
    unknown = sorted(set(args) - set(known))
    if not unknown:
        return None
    return (f"unknown parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}; allowed: {', '.join(known)}")


def check_known(args: Mapping[str, str], known: Iterable[str]) -> None:
    """Reject parameters the endpoint does not take (a typo should not be silently ignored)."""
    msg = unknown_parameters(args, known)
    if msg:
        raise ParamError(msg)


def float_param(args: Mapping[str, str], name: str, *, default: float | None = None,
                lo: float, hi: float) -> float | None:
    """A finite float in ``[lo, hi]``, or ``default`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        msg = f"{name}={raw!r} is not a number"
        raise ParamError(msg) from None
    if not math.isfinite(value) or not lo <= value <= hi:
        msg = f"{name}={raw!r} is out of range: use a number from {lo:g} to {hi:g}"
        raise ParamError(msg)
    return value


def int_param(args: Mapping[str, str], name: str, *, default: int, lo: int, hi: int) -> int:
    """An integer in ``[lo, hi]``, or ``default`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        msg = f"{name}={raw!r} is not a whole number"
        raise ParamError(msg) from None
    if not lo <= value <= hi:
        msg = f"{name}={raw!r} is out of range: use a whole number from {lo} to {hi}"
        raise ParamError(msg)
    return value


def choice_param(args: Mapping[str, str], name: str, *, choices: Iterable[str],
                 default: str | None = None) -> str | None:
    """One of ``choices``, or ``default`` when absent."""
    options = tuple(choices)
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in options:
        msg = f"{name}={raw!r} is not allowed: use one of {', '.join(options)}"
        raise ParamError(msg)
    return raw


def bbox_param(args: Mapping[str, str], name: str = "bbox"
               ) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees, or ``None`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        msg = f"{name}={raw!r} must be four numbers: west,south,east,north"
        raise ParamError(msg) from None
    ok = (all(math.isfinite(v) for v in (west, south, east, north))
          and -MAX_LON <= west <= MAX_LON and -MAX_LON <= east <= MAX_LON
          and -MAX_LAT <= south <= north <= MAX_LAT)
    if not ok:
        msg = (f"{name}={raw!r} is not a box: west and east in -180..180, "
               "south <= north in -90..90")
        raise ParamError(msg)
    return west, south, east, north
