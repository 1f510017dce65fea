"""Pages and health check. Thin: parse the request, ask the store, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException

from service.logs import ThrottledLog
from service.params import ParamError
from service.shared import SharedStateError
from store import UNAVAILABLE_ERRORS
from store import StoreError
from store import StoreUnavailableError
from store import unavailable_error

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

bp = Blueprint("pages", __name__)
#: Seconds a client is asked to wait (``Retry-After``) when the database is unreachable:
#: a restart or fail-over of the primary takes about that long.
RETRY_AFTER_S = 5
#: Errors answered with 503: the database, Redis, or the rate-limit counters unreachable.
_UNAVAILABLE = (*UNAVAILABLE_ERRORS, SharedStateError, StorageError)


def _store():  # type: ignore[no-untyped-def]
    from service import get_store  # noqa: PLC0415 - avoids an import cycle with create_app

    return get_store(current_app)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the store answers and its schema is current, else 503."""
    store = _store()
    if store.healthy():
        return jsonify(status="ok", backend=store.backend)
    return jsonify(status="unavailable", backend=store.backend), 503


def error_body(status: int, error: str, detail: str) -> dict[str, object]:
    """The one JSON error body of the API: ``{"error", "detail", "status"}``."""
    return {"error": error, "detail": detail, "status": status}


def register_error_handlers(app: Flask) -> None:
    """JSON errors under ``/api`` and ``/healthz``; plain pages elsewhere."""

    def wants_json() -> bool:
        return request.path.startswith(("/api/", "/healthz"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        # An outage met outside a view (e.g. in an after-request hook) arrives as a 500
        # wrapping it: still a 503.
        original = getattr(exc, "original_exception", None)
        if original is not None and isinstance(original, _UNAVAILABLE):
            return unavailable(original)
        status = exc.code or 500
        if wants_json():
            return jsonify(error_body(status, exc.name, exc.description or "")), status
        return render_template("error.html", status=status, title=exc.name,
                               detail=exc.description), status

    @app.errorhandler(ParamError)
    def param_error(exc: ParamError) -> ResponseReturnValue:
        if wants_json():
            return jsonify(error_body(400, "Bad Request", str(exc))), 400
        return render_template("error.html", status=400, title="Bad request",
                               detail=str(exc)), 400

    throttled = ThrottledLog(app.logger, interval_s=10.0)

    def unavailable(exc: BaseException) -> ResponseReturnValue:
        # 503 + Retry-After, never a 500; one log line per interval with a count.
        reason = unavailable_error(exc) or exc
        key = "shared" if isinstance(exc, (SharedStateError, StorageError)) else "store"
        throttled.log(40, key, f"{key} unavailable: {reason}")
        what = "shared state" if key == "shared" else "data store"
        detail = f"the {what} is not available; try again in {RETRY_AFTER_S} seconds"
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if wants_json():
            return jsonify(error_body(503, "Service Unavailable", detail)), 503, headers
        return render_template("error.html", status=503, title="Service unavailable",
                               detail=detail), 503, headers

    for exc_type in _UNAVAILABLE:
        app.register_error_handler(exc_type, unavailable)

    @app.errorhandler(StoreError)
    def store_error(exc: StoreError) -> ResponseReturnValue:
        if isinstance(exc, StoreUnavailableError):
            return unavailable(exc)
        status = exc.status
        # Never echo a database URL or driver message to a browser.
        detail = "the data store is not available" if isinstance(
            exc, StoreUnavailableError) else str(exc)
        app.logger.error("store error: %s", exc)
        if wants_json():
            return jsonify(error_body(status, exc.code, detail)), status
        return render_template("error.html", status=status, title="Store error",
                               detail=detail), status
