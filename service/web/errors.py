"""The two error handlers of the app: JSON under ``/api``, the HTML error page elsewhere.

``/healthz`` answers in JSON too. Every expected error of every layer goes through them
(:func:`service.usecases.errors.describe`), so one fault has one status and one code.

An unreachable database or Redis (or the sign-in counters in it) is a 503 with
``Retry-After``, never a 500, however it shows up (a driver error, a pool timeout, or an
error in an after-request hook that Flask wraps in a 500). Such an outage makes every request
fail the same way, so it is logged once per interval with a count (:class:`ThrottledLog`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from service.usecases.errors import KNOWN
from service.usecases.errors import ErrorInfo
from service.usecases.errors import describe
from service.web.logs import ThrottledLog
from service.web.shared import SharedStateError
from store import UNAVAILABLE_ERRORS
from store import unavailable_error
from store.errors import StoreError

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

UNAUTHORIZED = 401
UNAVAILABLE = 503
#: Seconds a client is asked to wait (``Retry-After``) when the database or Redis is
#: unreachable: a restart or fail-over of the primary takes about that long.
RETRY_AFTER_S = 5
#: Errors answered with 503: the database, Redis, or the sign-in counters unreachable.
UNAVAILABLE_KINDS = (*UNAVAILABLE_ERRORS, SharedStateError, StorageError)
_THROTTLED = "commonground.throttled_log"


def wants_json() -> bool:
    """Whether this request is answered in JSON (the API and the health check)."""
    return request.path.startswith(("/api/", "/healthz"))


def _code(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def info_of(exc: BaseException) -> ErrorInfo:
    """The status, code and message of any error a view lets through."""
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return ErrorInfo(status, _code(exc.name), exc.description or "")
    return describe(exc)


def render_error(info: ErrorInfo) -> ResponseReturnValue:
    """The answer for an error: the JSON body under ``/api``, else the HTML error page."""
    if wants_json():
        headers = ({"WWW-Authenticate": 'Bearer realm="commonground"'}
                   if info.status == UNAUTHORIZED else {})
        return jsonify(info.body()), info.status, headers
    title = HTTP_STATUS_CODES.get(info.status, "Error")
    return render_template("error.html", status=info.status, title=title,
                           detail=info.detail), info.status


def _unavailable(exc: BaseException) -> ResponseReturnValue:
    shared = isinstance(exc, (SharedStateError, StorageError))
    key = "shared state" if shared else "store"
    reason = exc if shared else (unavailable_error(exc) or exc)
    throttled: ThrottledLog = current_app.extensions[_THROTTLED]
    throttled.log(40, key, f"{key} unavailable: {reason}")  # 40: ERROR
    what = "sign-in service" if shared else "data store"
    code = "shared_state_unavailable" if shared else "store_unavailable"
    # Never echo a database URL or driver message.
    detail = f"the {what} is not available; try again in {RETRY_AFTER_S} seconds"
    body, status, *headers = render_error(ErrorInfo(UNAVAILABLE, code, detail))
    return body, status, {**(headers[0] if headers else {}), "Retry-After": str(RETRY_AFTER_S)}


def _handle(exc: Exception) -> ResponseReturnValue:
    # An outage met outside a view arrives as a 500 wrapping it: still a 503.
    original = getattr(exc, "original_exception", None)
    if isinstance(exc, UNAVAILABLE_KINDS):
        return _unavailable(exc)
    if original is not None and isinstance(original, UNAVAILABLE_KINDS):
        return _unavailable(original)
    if isinstance(exc, StoreError):
        current_app.logger.error("store error: %s", exc)
    return render_error(info_of(exc))


def register_error_handlers(app: Flask) -> None:
    """JSON errors under ``/api`` and ``/healthz``; the HTML error page elsewhere."""
    app.extensions[_THROTTLED] = ThrottledLog(app.logger, interval_s=10.0)
    app.register_error_handler(HTTPException, _handle)
    for kind in (*KNOWN, *UNAVAILABLE_KINDS):
        app.register_error_handler(kind, _handle)


__all__ = ["RETRY_AFTER_S", "info_of", "register_error_handlers", "render_error", "wants_json"]
