"""Security headers on every route, body limits that hold for chunked bodies, long request lines.

The header tests walk the app's URL map: every rule is requested (signed out, so most staff
routes answer 302 or 401) and every answer must carry the headers, whatever its status. The
body and request-line tests talk to real servers over a socket: werkzeug's (``commonground
serve``) and gunicorn, the two servers the project runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from service import create_app
from service import get_store
from service.usecases.accounts import hash_password
from store import models
from store.users import create_user

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def site_app(sqlite_store, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_store.url, "SECRET_KEY": "t",
                      "INSTANCE_PATH": str(tmp_path), "MAP_TILES": "none"})
    yield app
    get_store(app).dispose()


def every_get_route(app) -> list[str]:
    """One URL per GET rule of the app (ids 1, the vendor route's Leaflet, first choices)."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = re.sub(r'<any\("?([^",)]+)"?[^>]*>', r"\1", rule.rule)
        url = re.sub(r"<path:\w+>", "leaflet/leaflet.js", url)
        url = re.sub(r"<(?:int:)?\w+>", "1", url)
        urls.add(url)
    return sorted(urls)


def script_sources(policy: str) -> str:
    return next(d for d in policy.split(";") if d.strip().startswith("script-src"))


def test_every_route_answers_with_the_security_headers(site_app):
    client = site_app.test_client()
    urls = every_get_route(site_app)
    assert len(urls) > 30  # the walk found the routes
    assert "/static/vendor/leaflet/leaflet.js" in urls
    for url in urls:
        response = client.get(url)
        h = response.headers
        policy = h.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, url
        assert "'unsafe-inline'" not in script_sources(policy), url
        assert "'unsafe-eval'" not in policy, url
        assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'$", script_sources(policy)), url
        assert "object-src 'none'" in policy, url
        assert "base-uri 'none'" in policy, url
        assert h.get("X-Content-Type-Options") == "nosniff", url
        assert h.get("X-Frame-Options") == "DENY", url
        # stricter where a single-use token is in the address (emailed links)
        token_page = url.split("?")[0] in ("/verify-email", "/reset-password")
        assert h.get("Referrer-Policy") == ("no-referrer" if token_page
                                            else "strict-origin-when-cross-origin"), url
        assert "geolocation=(self)" in h.get("Permissions-Policy", ""), url
        assert "Strict-Transport-Security" not in h, url  # plain HTTP here
        assert response.status_code < 500, (url, response.status_code)
        response.close()


def test_the_dashboards_map_frames_may_be_framed_by_this_site_only(site_app):
    """The map frames of /hotspots are documents of their own: framed here, nowhere else."""
    store = get_store(site_app)
    with store.session() as s:
        org = models.PeerOrganisation(name="Hub", status="approved", lat=53.5, lon=-2.6)
        s.add(org)
    password = "correct horse battery staple"
    create_user(store, email="admin@cg.example", password_hash=hash_password(password),
                role="admin")
    client = site_app.test_client()
    signed = client.post("/login", data={"email": "admin@cg.example", "password": password})
    assert signed.status_code == 302
    page = client.get("/hotspots")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    for kind in ("coverage", "growth"):
        assert f'src="/hotspots/maps/{kind}?radius_km=10"' in page.text
        frame = client.get(f"/hotspots/maps/{kind}?radius_km=10")
        assert frame.status_code == 200, kind
        policy = frame.headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in policy, kind
        assert frame.headers["X-Frame-Options"] == "SAMEORIGIN", kind
        assert frame.headers["Cache-Control"] == "no-store", kind
        nonce = re.search(r"'nonce-([\w-]+)'", script_sources(policy)).group(1)
        scripts = re.findall(r"<script\b[^>]*>", frame.text)
        assert scripts, kind
        assert all(f'nonce="{nonce}"' in tag for tag in scripts), kind
        again = client.get(f"/hotspots/maps/{kind}?radius_km=10")  # cached, a new nonce
        assert nonce not in again.text, kind


def test_hsts_only_over_https_or_behind_a_proxy_that_says_so(site_app):
    client = site_app.test_client()
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://cg.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    proxied = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in proxied.headers


def test_page_scripts_carry_the_responses_nonce_and_it_changes(site_app):
    client = site_app.test_client()
    nonces = []
    for _ in range(2):
        response = client.get("/")
        nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])[1]
        tags = re.findall(r"<script[^>]*>", response.get_data(as_text=True))
        assert tags
        assert all(f'nonce="{nonce}"' in tag for tag in tags), tags
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_tile_host_is_the_only_outside_image_source(sqlite_store, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_store.url, "SECRET_KEY": "t",
                      "INSTANCE_PATH": str(tmp_path),
                      "MAP_TILES": "https://{s}.tiles.example.org/{z}/{x}/{y}.png|Example"})
    policy = app.test_client().get("/healthz").headers["Content-Security-Policy"]
    get_store(app).dispose()
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy
    assert policy.count("https://") == 1


def test_vendor_files_are_served_with_etag_and_caching(site_app):
    client = site_app.test_client()
    first = client.get("/static/vendor/leaflet/leaflet.js")
    assert first.status_code == 200
    assert first.mimetype == "text/javascript"
    assert b"Leaflet 1.9.3" in first.data
    assert "max-age=86400" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    first.close()
    again = client.get("/static/vendor/leaflet/leaflet.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    again.close()
    for bad in ("leaflet/../../__init__.py", "jquery/jquery.js", "leaflet/leaflet.js.map"):
        assert client.get(f"/static/vendor/{bad}").status_code == 404, bad
    licences = client.get("/static/vendor/LICENSES.txt")
    assert b"BSD 2-Clause" in licences.data
    assert b"MIT License" in licences.data
    licences.close()


def test_text_answers_are_compressed(site_app):
    client = site_app.test_client()
    for url in ("/", "/static/site.css", "/api/openapi.json",
                "/static/vendor/leaflet/leaflet.js"):
        for encoding in ("br", "gzip"):
            response = client.get(url, headers={"Accept-Encoding": encoding})
            assert response.headers.get("Content-Encoding") == encoding, (url, encoding)
            assert "Accept-Encoding" in response.headers.get("Vary", ""), url
            response.close()


@pytest.fixture
def demo_client(app, client):
    from ingest.demo import load_demo

    load_demo(get_store(app))
    return client


def test_back_to_results_is_built_from_the_url_not_the_referer(demo_client):
    page = demo_client.get("/?postcode=WN1&interests=gardening&radius_km=15").text
    link = re.search(r'href="(/opportunities/\d+\?search=[^"]+)"', page)[1].replace("&amp;",
                                                                                    "&")
    opened = demo_client.get(link, headers={"Referer": "https://evil.example/phish/?q=1"}).text
    back = re.search(r'<a href="([^"]+)">Back to your results</a>', opened)[1]
    assert back.replace("&amp;", "&") == "/?postcode=WN1&radius_km=15&interests=gardening"
    assert "evil.example" not in opened
    # Without the carried search there is no link at all, whatever the Referer says.
    bare = link.split("?")[0]
    evil = demo_client.get(bare, headers={"Referer": "https://evil.example/phish/?q=1"}).text
    assert "Back to your results" not in evil
    # A carried value cannot smuggle another site in: only known keys, always to our "/".
    odd = demo_client.get(f"{bare}?search=//evil.example/%3Fq%3D1").text
    assert "Back to your results" not in odd
    assert "evil.example" not in odd


# -- real servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def exchange(port: int, data: bytes, *, chunks: list[bytes] | None = None,
             timeout: float = 20.0) -> bytes:
    """Send ``data`` (then ``chunks``, stopping when the server closes); return the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        for chunk in chunks or []:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while True:
                got = sock.recv(65536)
                if not got:
                    break
                answer += got
    return answer


@contextlib.contextmanager
def dev_server(app):
    """The app on werkzeug's server with the request handler ``commonground serve`` uses."""
    from werkzeug.serving import make_server

    from service.cli import PrivateRequestHandler

    server = make_server("127.0.0.1", 0, app, threaded=True,
                         request_handler=PrivateRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def chunked(size: int, piece: int = 16384) -> list[bytes]:
    body = b'{"title": "' + b"x" * size + b'"}'
    return [f"{len(body[i:i + piece]):x}\r\n".encode() + body[i:i + piece] + b"\r\n"
            for i in range(0, len(body), piece)] + [b"0\r\n\r\n"]


def test_a_chunked_body_cannot_skip_the_limits(sqlite_store, tmp_path):
    from service.usecases.accounts import new_api_token
    from store import models
    from store.users import create_user
    from store.users import set_api_token_hash

    with sqlite_store.session() as s:
        assoc = models.Association(name="Canal Trust", lat=53.48, lon=-2.24)
        s.add(assoc)
        s.flush()
        assoc_id = assoc.id
    user = create_user(sqlite_store, email="me@cg.example", password_hash="x",
                       role="association", association_id=assoc_id)
    token, digest = new_api_token(user.id)
    set_api_token_hash(sqlite_store, user.id, digest)
    app = create_app({"DATABASE_URL": sqlite_store.url, "SECRET_KEY": "t",
                      "INSTANCE_PATH": str(tmp_path), "MAX_BODY": 200_000,
                      "LOG_LEVEL": "WARNING"})
    head = ("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: {kind}\r\n{extra}Connection: close\r\n\r\n")
    try:
        with dev_server(app) as port:
            api = head.format(path="/api/partner/opportunities", kind="application/json",
                              extra=f"Authorization: Bearer {token}\r\n").encode()
            # 100 KB: over the partner API's 64 KiB, under the site's limit
            answer = exchange(port, api, chunks=chunked(100_000))
            assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
            assert b'"status": 413' in answer or b'"status":413' in answer, answer[-300:]
            # 5 MB to the sign-in form: refused once 200 kB have been read
            form = head.format(path="/login", kind="application/x-www-form-urlencoded",
                               extra="").encode()
            answer = exchange(port, form, chunks=chunked(5_000_000))
            assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
            # a small chunked need is read and answered as usual (400: no CSRF needed, but
            # the need has no description)
            answer = exchange(port, api, chunks=chunked(100))
            assert answer.startswith((b"HTTP/1.1 201", b"HTTP/1.1 400", b"HTTP/1.1 422")), \
                answer[:300]
    finally:
        get_store(app).dispose()


def test_the_dev_server_answers_long_request_lines_with_414_and_no_traceback(
        site_app, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    with dev_server(site_app) as port:
        long_line = b"GET /?q=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        answer = exchange(port, long_line)
        assert answer.startswith(b"HTTP/1.1 414") or answer.startswith(b"HTTP/1.0 414"), \
            answer[:200]
        medium = b"GET /?q=" + b"a" * 5_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        assert b" 414 " in exchange(port, medium)[:40]
        big_header = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n"
        assert b" 431 " in exchange(port, big_header)[:40]
        ok = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b" 200 " in ok[:40]
    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    assert "Traceback" not in logged
    assert "127.0.0.1" not in logged


def test_gunicorn_answers_long_request_lines_with_414(sqlite_store, tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": sqlite_store.url,
           "SECRET_KEY": "t", "COMMONGROUND_MAP_TILES": "none"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "-b", f"127.0.0.1:{port}", "service:create_app()"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        # 5 kB: read whole in one go, so the answer arrives before the connection closes
        answer = exchange(port, b"GET /?q=" + b"a" * 5_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b" 414 " in answer[:40], answer[:200]
        # 70 kB: gunicorn answers and closes with most of it unread (the client may see a
        # reset instead of the answer); its log says what happened, without a traceback
        exchange(port, b"GET /?q=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        ok = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b" 200 " in ok[:40], ok[:300]
    finally:
        server.terminate()
        logged = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "Traceback" not in logged
    assert logged.count("Invalid request from ip=-") == 2, logged  # both long lines, no address
    assert "127.0.0.1" not in logged.replace(f"127.0.0.1:{port}", ""), logged


def test_public_json_listings_have_etags_and_answer_304(site_app):
    client = site_app.test_client()
    for url in ("/api/openapi.json", "/api/meetings", "/api/meetings/feed.json"):
        first = client.get(url)
        assert first.status_code == 200, url
        assert "public" in first.headers["Cache-Control"], url
        assert "max-age=300" in first.headers["Cache-Control"], url
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b""
    # a peer's search is never cached
    searched = client.get("/api/recommendations?lat=53.5&lon=-2.6")
    assert "ETag" not in searched.headers


def test_public_map_pages_stay_under_150_kb_compressed(demo_client):
    """Demo data: /meetings is some 15 KB gzipped, /maps/coverage some 135 KB (1 MB raw)."""
    for url in ("/meetings", "/?postcode=WN1&interests=gardening&radius_km=15",
                "/maps/coverage", "/maps/growth", "/maps/opportunities?place=Wigan"):
        raw = demo_client.get(url)
        packed = demo_client.get(url, headers={"Accept-Encoding": "gzip"})
        assert raw.status_code == packed.status_code == 200, url
        assert packed.headers["Content-Encoding"] == "gzip", url
        assert len(packed.data) < 150 * 1024, (url, len(packed.data))
        assert len(packed.data) < len(raw.data) / 4, url  # the compression is real
