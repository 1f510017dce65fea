"""The errors of matching: small, subclasses of the builtins callers already catch.

Each carries the HTTP ``status`` a web layer should answer with, a stable ``code`` and, where
one parameter is to blame, its name in ``param`` (so the CLI can point at ``--radius-km`` and
the API at ``radius_km`` without parsing the message).
"""

from __future__ import annotations


class MatchingError(ValueError):
    """Base class of bad matching input.

    Attributes
    ----------
    status : int
        The HTTP status a web layer should answer with.
    code : str
        A stable machine-readable code.
    param : str or None
        The parameter at fault, as the API names it.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class BadParameterError(MatchingError):
    """A parameter outside what it allows (radius, limit, days, times, ...)."""

    code = "bad_parameter"


class UnknownRecordError(MatchingError, LookupError):
    """An opportunity, association, organisation or meeting id that does not exist."""

    status = 404
    code = "not_found"


__all__ = ["BadParameterError", "MatchingError", "UnknownRecordError"]
