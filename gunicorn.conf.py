"""gunicorn settings of CommonGround (read from the working directory, or ``-c`` this file).

Request lines past 4,094 bytes get 414 and header fields past 8,190 bytes 431, answered by
gunicorn before the app sees them; no traceback is logged. gunicorn's own warning about such
a request names the client's address: :class:`PrivateLogger` drops it, as the development
server's log does (``service.cli.PrivateRequestHandler``). There is no access log: a peer's
search is in its query string.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

limit_request_line = 4094  # gunicorn's default, said out loud
limit_request_field_size = 8190
limit_request_fields = 100
accesslog = None


class PrivateLogger(Logger):
    """gunicorn's logger without client addresses in its messages."""

    def warning(self, msg: object, *args: object, **kwargs: object) -> None:
        """Log a warning with ``ip=...`` blanked."""
        super().warning(re.sub(r"ip=\S+?(?=:|\s|$)", "ip=-", str(msg)), *args, **kwargs)


logger_class = PrivateLogger
