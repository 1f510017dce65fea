"""The one error family of the service: every expected failure, with what a face needs.

Each error carries the HTTP ``status``, a stable snake_case ``code``, the ``param`` at fault
(as the API names it), the ``value`` given and the ``fix``. The JSON face answers
``{"error": code, "detail": message, "status": status}``; the pages show the message; the
CLI exits 2 naming the option. :func:`describe` does the same for the errors of the layers
below (``geo``, ``matching``, ``store``), so that one fault has one code whichever layer
noticed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from domain.labels import shown
from geo.errors import GeoError
from matching.coverage import CoverageInputError
from matching.errors import MatchingError
from store.errors import StoreError
from store.errors import StoreUnavailableError

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The code of each status, for errors that do not bring their own.
CODES = {400: "bad_parameter", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
         429: "too_many_requests", 503: "store_unavailable"}


class ServiceError(ValueError):
    """Base class of the service's expected failures.

    The same ``status``/``code`` shape as :class:`store.errors.StoreError`, but on purpose
    not a subclass of it: a ``ServiceError`` is a ``ValueError`` (callers catch that), and
    what is a ``StoreError`` is caught as a store failure and logged by the web face, while a
    service error's value may be a peer's postcode or coordinates, which are never logged.

    Parameters
    ----------
    message
        What is wrong and how to fix it, naming the parameter and showing the value.
    param
        The parameter at fault, as the API names it (``radius_km``), if one is.
    value
        The value given.
    fix
        What to do instead, when the message does not already say.
    problem
        What is wrong, without the parameter's name (``"is not a number"``): with ``fix``,
        what :meth:`for_people` words around a form field's label.
    people
        The whole message for a form, when it is already worded by the field's label.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, param: str | None = None, value: Any = None,
                 fix: str | None = None, problem: str | None = None,
                 people: str | None = None) -> None:
        super().__init__(message)
        self.people = people
        self.param = param
        self.value = value
        self.fix = fix
        self.problem = problem

    def for_people(self, label: str) -> str:
        """The message for a form: the field's label, the value, what is wrong, what to do.

        ``"Distance “far” is not a number. Use a number from 0.1 to 100 km."``; the message
        as it is when the error does not say what is wrong apart from the name.
        """
        if self.people is not None:
            return self.people
        if self.problem is None:
            return str(self)
        value = "" if self.value is None else f" {shown(str(self.value))}"
        fix = f" {self.fix[:1].upper()}{self.fix[1:]}." if self.fix else ""
        return f"{label}{value} {self.problem}.{fix}"


class BadParameterError(ServiceError):
    """A parameter that is missing, malformed, unknown or out of range (400)."""

    code = "bad_parameter"


class NotFoundError(ServiceError, LookupError):
    """A record, postcode or place that is well formed but not known (404)."""

    status = 404
    code = "not_found"


class UnauthorizedError(ServiceError):
    """No or a bad credential (401)."""

    status = 401
    code = "unauthorized"


class ForbiddenError(ServiceError):
    """A credential that does not allow this (403)."""

    status = 403
    code = "forbidden"


class PayloadTooLargeError(ServiceError):
    """A request body over the limit (413)."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(ServiceError):
    """A request body that is not JSON (415)."""

    status = 415
    code = "unsupported_media_type"


@dataclass(frozen=True)
class ErrorInfo:
    """What every face shows of an error."""

    status: int
    code: str
    detail: str
    param: str | None = None

    def body(self) -> dict[str, Any]:
        """The one JSON error body: ``{"error", "detail", "status"}``."""
        return {"error": self.code, "detail": self.detail, "status": self.status}


#: The errors :func:`describe` knows (the faces register one handler for these).
KNOWN = (ServiceError, MatchingError, GeoError, CoverageInputError, StoreError)


def describe(exc: BaseException, *, labels: Mapping[str, str] | None = None) -> ErrorInfo:
    """Status, stable code, message and parameter of an expected error of any layer.

    A store failure never shows its driver message or URL. ``labels`` (a form's parameter
    -> label) words a parameter's error for people, by the label the form shows
    (:meth:`ServiceError.for_people`); the API leaves it out and names the parameter.
    """
    if isinstance(exc, ServiceError):
        label = (labels or {}).get(exc.param or "")
        detail = exc.for_people(label) if label else str(exc)
        if not label and exc.param and exc.param not in detail and exc.people is None:
            # the API names its parameter, even where the rule words it for people (not
            # where the message is written for people whole: the partner API's field rules)
            detail = f"{exc.param}: {detail}"
        return ErrorInfo(exc.status, exc.code, detail, exc.param)
    if isinstance(exc, StoreError):
        detail = ("the data store is not available" if isinstance(exc, StoreUnavailableError)
                  else str(exc))
        return ErrorInfo(exc.status, exc.code, detail)
    status = int(getattr(exc, "status", 400))
    param = getattr(exc, "param", None)
    if isinstance(exc, CoverageInputError) and param is None:
        param = "radius_km" if "radius_km" in str(exc) else None
    return ErrorInfo(status, CODES.get(status, "bad_request"), str(exc), param)


def error_body(status: int, code: str, detail: str) -> dict[str, Any]:
    """The one JSON error body of the API: ``{"error", "detail", "status"}``."""
    return ErrorInfo(status, code, detail).body()


__all__ = [
    "CODES",
    "KNOWN",
    "BadParameterError",
    "ErrorInfo",
    "ForbiddenError",
    "NotFoundError",
    "PayloadTooLargeError",
    "ServiceError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "describe",
    "error_body",
]
