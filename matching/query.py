"""What a peer asks: an origin, interests, free text, when they are free, and the bounds.

Everything here is validated once, on construction, with messages that name the parameter,
show the value and say what is allowed; the scoring code then trusts its input.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from dataclasses import field

from domain.errors import FieldError
from domain.schedule import DAY_NAMES
from domain.schedule import PARTS_OF_DAY
from domain.schedule import parse_time_windows
from domain.schedule import parse_weekdays
from geo.distance import validate_latlon
from geo.errors import InvalidCoordinateError
from matching.errors import BadParameterError
from matching.taxonomy import SLUGS
from matching.taxonomy import parse_interests

DEFAULT_RADIUS_KM = 15.0
"""Search radius when the peer does not give one."""
MAX_RADIUS_KM = 100.0
"""The largest radius accepted."""
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_DEPTH = 500
"""Results reachable by paging: ``page x limit`` at most."""
DEFAULT_PER_ASSOCIATION = 2
"""Diversity cap: results per association in one list, unless one association is asked for."""
MAX_PER_ASSOCIATION = 10
MAX_TEXT_CHARS = 500

ORIGIN_KINDS = ("point", "postcode", "place", "meeting")


@dataclass(frozen=True)
class Origin:
    """Where distances are measured from.

    Parameters
    ----------
    latlon
        ``(lat, lon)`` WGS84 degrees.
    label
        How reasons name the origin: ``"2.3 km from <label>"`` (``"your meeting"``,
        ``"M15 4AB"``, ``"Wigan"``, ``"here"``).
    kind
        ``point``, ``postcode``, ``place`` or ``meeting``.
    organisation_id
        The peer's organisation, when known (a meeting's): enables the win/win link boost.
    meeting_id
        The meeting, when the origin is one.
    precision
        How precise ``latlon`` is (``exact``, ``postcode``, ``district``, ``area``, ``town``).
    """

    latlon: tuple[float, float]
    label: str = "here"
    kind: str = "point"
    organisation_id: int | None = None
    meeting_id: int | None = None
    precision: str = "exact"

    def __post_init__(self) -> None:
        """Validate the position and the kind."""
        try:
            latlon = validate_latlon(*self.latlon, name="origin")
        except (InvalidCoordinateError, TypeError) as exc:
            raise BadParameterError(str(exc), param="lat") from None
        object.__setattr__(self, "latlon", latlon)
        if self.kind not in ORIGIN_KINDS:
            msg = f"origin kind={self.kind!r} is not known; use one of {', '.join(ORIGIN_KINDS)}"
            raise BadParameterError(msg, param="origin")


def _int_in(value: object, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        value = str(value)
    try:
        number = int(str(value).strip()) if isinstance(value, str) else int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        msg = f"{name}={value!r} is not a whole number; give one from {lo} to {hi}"
        raise BadParameterError(msg, param=name) from None
    if not lo <= number <= hi:
        msg = f"{name}={value!r} is out of range; give a whole number from {lo} to {hi}"
        raise BadParameterError(msg, param=name)
    return number


def check_radius(value: object, *, name: str = "radius_km") -> float:
    """A radius in km, ``0 < radius <= 100``, or :class:`BadParameterError` naming ``name``.

    Parameters
    ----------
    value
        A number or numeric text.
    name
        The parameter's name, for the message.

    Returns
    -------
    float
        The radius.
    """
    allowed = f"give km, more than 0 and at most {MAX_RADIUS_KM:g}"
    try:
        radius = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        msg = f"{name}={value!r} is not a number; {allowed}"
        raise BadParameterError(msg, param=name) from None
    if not math.isfinite(radius) or not 0.0 < radius <= MAX_RADIUS_KM:
        msg = f"{name}={value!r} is out of range; {allowed}"
        raise BadParameterError(msg, param=name)
    return radius


def check_limit(value: object, *, name: str = "limit", hi: int = MAX_LIMIT) -> int:
    """A result count from 1 to ``hi``, or :class:`BadParameterError` naming ``name``."""
    return _int_in(value, name, 1, hi)


def check_id(value: object, *, name: str) -> int:
    """A positive record id, or :class:`BadParameterError` naming ``name``."""
    return _int_in(value, name, 1, 2**63 - 1)


def parse_days(text: str) -> frozenset[int]:
    """Weekdays from text (see :mod:`domain.schedule` for the accepted words).

    Days are names (``sat``, ``Saturday``), numbers 0-6 (0 = Sunday), lists, ranges
    (``mon-fri``), ``weekend`` or ``weekdays``; empty text is no day (any day).

    Examples
    --------
    >>> sorted(parse_days("sat, sun"))
    [0, 6]
    >>> sorted(parse_days("weekdays"))
    [1, 2, 3, 4, 5]
    """
    if not str(text).strip():
        return frozenset()
    try:
        return frozenset(parse_weekdays(str(text), "days"))
    except FieldError as exc:
        raise BadParameterError(str(exc), param="days") from None


def parse_times(text: str) -> tuple[tuple[int, int], ...]:
    """Time windows from text: ``morning``, ``afternoon``, ``evening`` or ``HH:MM-HH:MM``.

    The parts of the day are those of :data:`domain.schedule.PARTS_OF_DAY`.

    Returns
    -------
    tuple of (int, int)
        Windows in minutes after midnight, start inclusive, end exclusive.

    Examples
    --------
    >>> parse_times("morning, 18:00-20:30")
    ((360, 720), (1080, 1230))
    """
    try:
        return parse_time_windows(text, "times")
    except FieldError as exc:
        raise BadParameterError(str(exc), param="times") from None


def split_interests(text: str) -> tuple[tuple[str, ...], str]:
    """Interests as typed into known slugs and the rest, which is matched as free text.

    Examples
    --------
    >>> split_interests("gardening, bikes")
    (('gardening',), 'bikes')
    """
    known, unknown = parse_interests(str(text or ""))
    return tuple(known), " ".join(unknown)


COMMITMENTS = ("flexible", "weekly", "occasional")
"""Commitment filter values: flexible (any time), weekly, occasional (fortnightly, monthly,
one-off)."""
GROUP_PLACES = 4
"""A listing is suitable for a group with this many places left (or no stated capacity)."""


@dataclass(frozen=True)
class Filters:
    """Hard filters: a listing that fails one is not shown at all.

    Parameters
    ----------
    fits_week
        Only listings that fit the peer's ``days`` and ``times`` (or are flexible).
    commitment
        One of :data:`COMMITMENTS`, or ``None`` for any.
    accessibility
        Features every listing shown must have (``"wheelchair"``, ``"step_free"``, ...).
    groups
        Only listings with room for a group (:data:`GROUP_PLACES` places left, or no cap).
    remote
        ``True``: only remote (online, from home) listings; ``False``: none of them;
        ``None``: both (remote ones in their own group).
    """

    fits_week: bool = False
    commitment: str | None = None
    accessibility: tuple[str, ...] = ()
    groups: bool = False
    remote: bool | None = None

    def __post_init__(self) -> None:
        """Validate the commitment."""
        if self.commitment is not None and self.commitment not in COMMITMENTS:
            msg = (f"commitment={self.commitment!r} is not known; use one of "
                   f"{', '.join(COMMITMENTS)}")
            raise BadParameterError(msg, param="commitment")
        object.__setattr__(self, "accessibility",
                           tuple(dict.fromkeys(str(a).strip().lower().replace(" ", "_")
                                               for a in self.accessibility if str(a).strip())))

    @property
    def any(self) -> bool:
        """Whether a filter other than ``remote`` is set."""
        return bool(self.fits_week or self.commitment or self.accessibility or self.groups)


@dataclass(frozen=True)
class PeerQuery:
    """A peer's question: validated on construction.

    Parameters
    ----------
    origin
        Where from.
    interests
        Slugs of the interest taxonomy.
    text
        Free text, such as ``"I like being outdoors and fixing bikes"``.
    radius_km
        Search radius, ``0 < r <= 100`` (default 15).
    limit
        Results wanted, 1-50 (default 10).
    per_association
        Diversity cap, 1-10 (default 2); ignored when ``association_id`` is given.
    association_id
        Only this association's opportunities (then no cap).
    days
        Weekdays the peer is free (0 = Sunday); empty: any.
    times
        Windows the peer is free, minutes after midnight; empty: any time.
    ignore
        Interests the engine understood from ``text`` that the peer removed (slugs).
    today
        The day asked about (default: the real date when the question is answered): listings
        that ended before it, or start more than 30 days after it, are never recommended.
    page
        Which page of ``limit`` results (1 = the best ``limit``); ``page x limit`` at most
        :data:`MAX_DEPTH`.
    with_total
        Also count every listing the list could show (``Recommendations.total``): costs a
        look at the whole radius.
    filters
        Hard filters (:class:`Filters`).
    """

    origin: Origin
    interests: tuple[str, ...] = ()
    text: str = ""
    radius_km: float = DEFAULT_RADIUS_KM
    limit: int = DEFAULT_LIMIT
    per_association: int = DEFAULT_PER_ASSOCIATION
    association_id: int | None = None
    days: frozenset[int] = field(default_factory=frozenset)
    times: tuple[tuple[int, int], ...] = ()
    ignore: tuple[str, ...] = ()
    today: dt.date | None = None
    page: int = 1
    with_total: bool = False
    filters: Filters = field(default_factory=Filters)

    @property
    def depth(self) -> int:
        """Results the search must rank: every page up to this one."""
        return self.page * self.limit

    def day(self) -> dt.date:
        """:attr:`today`, or the real date."""
        return self.today or dt.date.today()

    def __post_init__(self) -> None:
        """Check every bound; raise :class:`BadParameterError` naming the parameter."""
        for name in ("interests", "ignore"):
            given = tuple(getattr(self, name))
            bad = [s for s in given if s not in SLUGS]
            if bad:
                msg = (f"{name}={list(given)!r}: {', '.join(map(repr, bad))} not in the "
                       f"vocabulary; valid slugs: {', '.join(SLUGS)}")
                raise BadParameterError(msg, param=name)
            object.__setattr__(self, name, tuple(dict.fromkeys(given)))
        if not isinstance(self.text, str) or len(self.text) > MAX_TEXT_CHARS:
            msg = f"text is longer than {MAX_TEXT_CHARS} characters; shorten it"
            raise BadParameterError(msg, param="text")
        object.__setattr__(self, "radius_km", check_radius(self.radius_km))
        object.__setattr__(self, "limit", check_limit(self.limit))
        object.__setattr__(self, "page", _int_in(self.page, "page", 1, MAX_DEPTH // self.limit))
        object.__setattr__(self, "per_association",
                           _int_in(self.per_association, "per_association", 1,
                                   MAX_PER_ASSOCIATION))
        if self.association_id is not None:
            object.__setattr__(self, "association_id",
                               check_id(self.association_id, name="association_id"))
        if any(not 0 <= d < len(DAY_NAMES) for d in self.days):
            msg = f"days={sorted(self.days)!r}: use 0-6 (0 = Sunday)"
            raise BadParameterError(msg, param="days")
        object.__setattr__(self, "days", frozenset(self.days))
        for start, end in self.times:
            if not 0 <= start < end <= 24 * 60:
                msg = f"times={self.times!r}: each window is (start, end) minutes, start < end"
                raise BadParameterError(msg, param="times")

    @property
    def personalised(self) -> bool:
        """Whether the peer said what they like (interests or text)."""
        return bool(self.interests or self.text.strip())


__all__ = [
    "COMMITMENTS",
    "DAY_NAMES",
    "DEFAULT_LIMIT",
    "DEFAULT_PER_ASSOCIATION",
    "DEFAULT_RADIUS_KM",
    "GROUP_PLACES",
    "MAX_DEPTH",
    "MAX_LIMIT",
    "MAX_RADIUS_KM",
    "PARTS_OF_DAY",
    "Filters",
    "Origin",
    "PeerQuery",
    "check_id",
    "check_limit",
    "check_radius",
    "parse_days",
    "parse_times",
    "split_interests",
]
