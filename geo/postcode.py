"""UK postcodes: parse and normalise a full postcode, a district (outward code) or an area.

A full postcode is ``OUTWARD INWARD`` (``M15 4AB``); its district is the outward code
(``M15``) and its area the leading letters (``M``). Parsing is syntax only; whether a
postcode exists is the geocoder's question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from geo.errors import InvalidPostcodeError

#: The postcode areas of the United Kingdom and Crown Dependencies.
POSTCODE_AREAS = frozenset((
    "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF", "CH",
    "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E",
    "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR", "HS",
    "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD", "LE", "LL",
    "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX",
    "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK", "SL", "SM",
    "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS",
    "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
))

_OUTWARD = r"(?P<area>[A-Z]{1,2})(?P<district>[0-9][A-Z0-9]?)"
_FULL_RE = re.compile(rf"^{_OUTWARD}(?P<inward>[0-9][A-Z]{{2}})$")
_DISTRICT_RE = re.compile(rf"^{_OUTWARD}$")
_AREA_RE = re.compile(r"^(?P<area>[A-Z]{1,2})$")
# A postcode somewhere inside free text (an address line).
_IN_TEXT_RE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")

PostcodeKind = Literal["full", "district", "area"]


@dataclass(frozen=True)
class Postcode:
    """A parsed postcode.

    Attributes
    ----------
    text
        Normalised text: ``"M15 4AB"``, ``"M15"`` or ``"M"``.
    kind
        ``"full"``, ``"district"`` or ``"area"``.
    area
        The area letters (``"M"``).
    district
        The outward code (``"M15"``), ``None`` for an area.
    sector
        ``"M15 4"`` for a full postcode, else ``None``.
    """

    text: str
    kind: PostcodeKind
    area: str
    district: str | None
    sector: str | None


def _squash(text: str) -> str:
    return re.sub(r"[\s\-]+", "", str(text)).upper()


def parse_postcode(
    text: str, *, allow: tuple[PostcodeKind, ...] = ("full", "district", "area")
) -> Postcode:
    """Parse and normalise a UK postcode, district or area.

    Parameters
    ----------
    text
        What the user typed: any case, any spacing (``"m154ab"``, ``" M15  4AB "``).
    allow
        Which kinds are acceptable.

    Returns
    -------
    Postcode
        The normalised postcode.

    Raises
    ------
    InvalidPostcodeError
        When the text is not one of the allowed kinds, naming what was expected.

    Examples
    --------
    >>> parse_postcode(" m15 4ab").text
    'M15 4AB'
    >>> parse_postcode("sw1a").kind
    'district'
    >>> parse_postcode("M").area
    'M'
    """
    squashed = _squash(text)
    if "full" in allow and (m := _FULL_RE.match(squashed)):
        area = m["area"]
        if area in POSTCODE_AREAS:
            outward = area + m["district"]
            inward = m["inward"]
            return Postcode(f"{outward} {inward}", "full", area, outward, f"{outward} {inward[0]}")
    if "district" in allow and (m := _DISTRICT_RE.match(squashed)) and m["area"] in POSTCODE_AREAS:
        outward = m["area"] + m["district"]
        return Postcode(outward, "district", m["area"], outward, None)
    if "area" in allow and (m := _AREA_RE.match(squashed)) and m["area"] in POSTCODE_AREAS:
        return Postcode(m["area"], "area", m["area"], None, None)
    kinds = {
        "full": "a full postcode like 'M15 4AB'",
        "district": "a district like 'M15'",
        "area": "an area like 'M'",
    }
    expected = " or ".join(kinds[k] for k in allow)
    msg = f"postcode {text!r} is not a UK postcode: expected {expected}"
    raise InvalidPostcodeError(msg)


def is_postcode(text: str) -> bool:
    """Whether ``text`` parses as a full postcode or a district.

    Examples
    --------
    >>> is_postcode("M15 4AB"), is_postcode("Manchester")
    (True, False)
    """
    try:
        parse_postcode(text, allow=("full", "district"))
    except InvalidPostcodeError:
        return False
    return True


def find_postcode(text: str) -> Postcode | None:
    """The last full postcode written inside free text (an address), if any.

    Examples
    --------
    >>> find_postcode("Town Hall, Talbot Road, Stretford M32 0TH").text
    'M32 0TH'
    """
    matches = _IN_TEXT_RE.findall(str(text).upper())
    for outward, inward in reversed(matches):
        try:
            return parse_postcode(outward + inward, allow=("full",))
        except InvalidPostcodeError:
            continue
    return None
