"""The development server's request handler: an access log that never says where peers are.

Imported by ``commonground serve`` only (werkzeug's server is not needed by the data commands).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from werkzeug.serving import WSGIRequestHandler

#: Longest request line the development server reads (as gunicorn: gunicorn.conf.py).
MAX_REQUEST_LINE = 4094


class PrivateRequestHandler(WSGIRequestHandler):
    """Access log without query strings or client addresses.

    A peer's search (``?postcode=...``, ``?lat=...``) says where they are; the log keeps only
    the method, the path and the status. The app itself still sees the real client address
    (``REMOTE_ADDR``), which the sign-in throttle keys on: only the log leaves it out.
    """

    def log(self, type: str, message: str, *args: Any) -> None:
        """Log ``message`` without the client's address."""
        logging.getLogger("werkzeug").log(
            logging.getLevelName(type.upper()) if isinstance(type, str) else logging.INFO,
            "- - [%s] %s", self.log_date_time_string(), message % args)

    def handle_one_request(self) -> None:
        """Read one request; a request line past 4,094 bytes is a 414, not a crash.

        As :meth:`http.server.BaseHTTPRequestHandler.handle_one_request`, with gunicorn's
        limit on the request line instead of 64 KiB (past which werkzeug's log line failed
        and logged a traceback naming the client). Header lines past 64 KiB get 431 from
        :mod:`http.client`'s parser.
        """
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self.requestline, self.request_version, self.command, self.path = "", "", "", ""
            self.close_connection = True
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG,
                            f"the request line is longer than {MAX_REQUEST_LINE} bytes")
            return
        if not self.parse_request():
            return
        self.run_wsgi()

    def log_error(self, format: str, *args: Any) -> None:
        """Log errors of the HTTP layer (bad requests) without the client's address."""
        self.log("error", format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log ``METHOD /path STATUS`` with the query string cut off."""
        del size
        path = (getattr(self, "path", "") or "").split("?", 1)[0]
        self.log("info", '"%s %s" %s', self.command, path, code)
