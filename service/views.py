"""Pages and health check. Thin: parse the request, ask the store, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from service.params import ParamError
from store import StoreError
from store import StoreUnavailableError

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

bp = Blueprint("pages", __name__)


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

    @app.errorhandler(StoreError)
    def store_error(exc: StoreError) -> ResponseReturnValue:
        status = exc.status
        # Never echo a database URL or driver message to a browser.
        detail = "the data store is not available" if isinstance(
            exc, StoreUnavailableError) else str(exc)
        app.logger.error("store error: %s", exc)
        if wants_json():
            return jsonify(error_body(status, exc.code, detail)), status
        return render_template("error.html", status=status, title="Store error",
                               detail=detail), status
