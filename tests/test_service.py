"""The web app: health, the first page, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.demo import load_demo
from service import get_store

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient


def test_healthz_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "backend": "sqlite"}


def test_healthz_503_when_schema_missing(tmp_path) -> None:
    from service import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "TESTING": True})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_index_empty_store_explains(client: FlaskClient) -> None:
    response = client.get("/organisations")
    assert response.status_code == 200
    assert b"commonground demo" in response.data
    assert b"Demo data." not in response.data


def test_index_lists_demo_marked_as_demo(app: Flask, client: FlaskClient) -> None:
    load_demo(get_store(app))
    page = client.get("/organisations").get_data(as_text=True)
    assert "Demo data." in page
    assert "hotspot" in page
    assert "devolved from" in page
    assert page.count('class="org ') == get_store(app).counts()["organisations"]


def test_user_text_is_escaped(app: Flask, client: FlaskClient) -> None:
    from store.models import PeerOrganisation

    with get_store(app).session() as s:
        s.add(PeerOrganisation(name="<script>alert(1)</script>", status="approved"))
    page = client.get("/organisations").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_api_404_has_the_json_error_shape(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    body = response.get_json()
    assert set(body) == {"error", "detail", "status"}
    assert body["status"] == 404


def test_page_404_is_html(client: FlaskClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_request_log_is_json_without_the_peers_whereabouts(client, caplog) -> None:
    import json
    import logging

    from service.web.logs import LOGGER
    from service.web.logs import JsonFormatter

    logger = logging.getLogger(LOGGER)
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            client.get("/api/opportunities?lat=53.4808&lon=-2.2426&radius_km=5",
                       environ_base={"REMOTE_ADDR": "203.0.113.7"})
    finally:
        logger.removeHandler(caplog.handler)
    (record,) = [r for r in caplog.records if r.name == LOGGER]
    line = JsonFormatter().format(record)
    body = json.loads(line)
    assert body["path"] == "/api/opportunities"
    assert body["status"] == 200
    assert "53.48" not in line
    assert "203.0.113.7" not in line
