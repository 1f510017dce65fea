"""Structured request logs that never hold a peer's whereabouts.

One JSON line per request on the ``commonground.requests`` logger: time, method, the path
*without* its query string, the endpoint, the status and the duration. No query strings (a
search carries a postcode or a point), no client address, no user agent, no form data.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING
from typing import Any

from flask import g
from flask import request

if TYPE_CHECKING:
    from flask import Flask
    from flask import Response

LOGGER = "commonground.requests"


class JsonFormatter(logging.Formatter):
    """Each record as one JSON object: ``time``, ``level``, ``logger``, ``message`` + extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record (its ``fields`` extra is merged in)."""
        body: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        body.update(getattr(record, "fields", {}))
        return json.dumps(body, default=str)


def init_app(app: Flask) -> None:
    """Log every request as a JSON line (once per process: handlers are not duplicated)."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))

    @app.before_request
    def _start_clock() -> None:
        g.cg_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.get("cg_started")
        ms = round((time.perf_counter() - started) * 1000.0, 1) if started else None
        logger.info("request", extra={"fields": {
            "method": request.method, "path": request.path, "endpoint": request.endpoint,
            "status": response.status_code, "ms": ms,
        }})
        return response
