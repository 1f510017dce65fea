"""The health check. Thin: ask the store, answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint
from flask import jsonify

from service.context import get_store

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("pages", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the store answers and its schema is current, else 503."""
    store = get_store()
    if store.healthy():
        return jsonify(status="ok", backend=store.backend)
    return jsonify(status="unavailable", backend=store.backend), 503


__all__ = ["bp", "healthz"]
