"""Structured request logs that never hold a peer's whereabouts.

One JSON line per request on the ``commonground.requests`` logger: time, method, the path
*without* its query string, the endpoint, the status and the duration. No query strings (a
search carries a postcode or a point), no client address, no user agent, no form data.
"""

from __future__ import annotations

import json
import logging
import threading
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


class ThrottledLog:
    """At most one line per ``interval_s`` per key, carrying how many were held back.

    An outage makes every request fail the same way; logging each (with a traceback) once
    turned a 6 s database outage into a 316k-line log. The first event of a key is logged at
    once; later ones within the interval are only counted, and the next event after it logs
    one line with the count.
    """

    def __init__(self, logger: logging.Logger, interval_s: float = 10.0) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self._state: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def log(self, level: int, key: str, message: str) -> bool:
        """Log ``message`` unless ``key`` was logged within the interval; return if logged."""
        now = time.monotonic()
        with self._lock:
            last, held = self._state.get(key, (float("-inf"), 0))
            if now - last < self.interval_s:
                self._state[key] = (last, held + 1)
                return False
            self._state[key] = (now, 0)
        suffix = f" ({held} more in the last {now - last:.0f} s)" if held else ""
        self.logger.log(level, "%s%s", message, suffix)
        return True


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
