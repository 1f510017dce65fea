"""The development server gives the app the real client address, and does not log it."""

from __future__ import annotations

import http.client
import logging
import threading
import urllib.parse

import pytest
from werkzeug.serving import make_server

from service import create_app
from service import get_store
from service.cli import PrivateRequestHandler
from service.usecases.accounts import hash_password
from store.users import create_user

PASSWORD = "correct horse battery"


def _post_login(port: int, source: str, email: str, password: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                      source_address=(source, 0))
    body = urllib.parse.urlencode({"email": email, "password": password})
    conn.request("POST", "/login", body=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_serve_keys_the_throttle_on_the_real_address(store, tmp_path, caplog) -> None:
    digest = hash_password(PASSWORD)
    create_user(store, email="one@cg.example", password_hash=digest, role="admin")
    create_user(store, email="two@cg.example", password_hash=digest, role="admin")
    app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path)})
    server = make_server("127.0.0.1", 0, app, request_handler=PrivateRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for i in range(5):
                assert _post_login(server.port, "127.0.0.2", f"x{i}@cg.example", "no") == 401
            assert _post_login(server.port, "127.0.0.2", "one@cg.example", "no") == 429
            # Another client is another counter (under the old handler all were "-": 429).
            assert _post_login(server.port, "127.0.0.3", "two@cg.example", PASSWORD) == 302
    finally:
        server.shutdown()
        thread.join(5)
        get_store(app).dispose()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert '"POST /login" 401' in logged
    assert "127.0.0.2" not in logged
    assert "127.0.0.3" not in logged
