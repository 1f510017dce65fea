"""The errors of ``geo``: small, and subclasses of the builtins callers already catch."""

from __future__ import annotations


class GeoError(ValueError):
    """Base class for bad geographic input.

    Attributes
    ----------
    status : int
        The HTTP status a web layer should answer with.
    code : str
        A stable machine-readable code.
    """

    status = 400
    code = "bad_geography"


class InvalidCoordinateError(GeoError):
    """A latitude/longitude that is not a finite number in range."""

    code = "invalid_coordinate"


class InvalidPostcodeError(GeoError):
    """Text that is not a UK postcode, district (outward code) or area."""

    code = "invalid_postcode"


class PlaceNotFoundError(GeoError, LookupError):
    """A place or postcode that is well formed but not known to the gazetteer."""

    status = 404
    code = "place_not_found"
