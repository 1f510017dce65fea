"""The two error handlers of the app: JSON under ``/api``, the HTML error page elsewhere.

``/healthz`` answers in JSON too. Every expected error of every layer goes through them
(:func:`service.usecases.errors.describe`), so one fault has one status and one code.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from service.usecases.errors import KNOWN
from service.usecases.errors import ErrorInfo
from service.usecases.errors import describe
from store.errors import StoreError

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

UNAUTHORIZED = 401


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


def _handle(exc: Exception) -> ResponseReturnValue:
    if isinstance(exc, StoreError):
        current_app.logger.error("store error: %s", exc)
    return render_error(info_of(exc))


def register_error_handlers(app: Flask) -> None:
    """JSON errors under ``/api`` and ``/healthz``; the HTML error page elsewhere."""
    app.register_error_handler(HTTPException, _handle)
    for kind in KNOWN:
        app.register_error_handler(kind, _handle)


__all__ = ["info_of", "register_error_handlers", "render_error", "wants_json"]
