"""The Flask app factory: settings, the store and its use-case context, the blueprints."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from flask import Flask
from flask_compress import Compress
from werkzeug.routing import IntegerConverter

from domain.dates import FILTERS as DATE_FILTERS
from service.api import coverage as api_coverage
from service.api import listings as api_listings
from service.api import openapi
from service.api import partner as api_partner
from service.api import recommend as api_recommend
from service.config import load_settings
from service.context import EXTENSION
from service.usecases.context import Context
from service.usecases.coverage_cache import foreground
from service.web import admin
from service.web import assets
from service.web import auth
from service.web import hotspots
from service.web import logs
from service.web import map_pages
from service.web import onboarding
from service.web import outcomes
from service.web import pages
from service.web import partner
from service.web import peer
from service.web import security
from service.web import shared
from service.web.errors import register_error_handlers
from store import Store

if TYPE_CHECKING:
    from collections.abc import Mapping

BLUEPRINTS = (pages, api_listings, api_recommend, api_coverage, api_partner, openapi,
              map_pages, auth, onboarding, partner, admin, peer, hotspots, outcomes)


class DatabaseId(IntegerConverter):
    """``<int:...>`` in routes: 0 to 2**31 - 1, the range of the tables' integer ids."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the CommonGround app.

    Settings come from defaults, then the environment (``DATABASE_URL``, ``SECRET_KEY``,
    ``COMMONGROUND_*``; see :mod:`service.config`), then ``test_config``.

    Parameters
    ----------
    test_config
        Overrides, for tests and scripts.

    Returns
    -------
    flask.Flask
        The app; its store is :func:`service.get_store` ``(app)``.
    """
    app = Flask(__name__, instance_relative_config=True)
    # Ids in URLs fit the database's integers: a larger one is a 404, never an overflow.
    app.url_map.converters["int"] = DatabaseId
    # Dates and times in the UK house style (domain.dates), never strftime in a template.
    app.jinja_env.filters.update(DATE_FILTERS)
    # The embedded store and caches live in ./instance of the working directory (where
    # `make run` is started), not inside the installed package.
    instance = Path((test_config or {}).get("INSTANCE_PATH") or Path.cwd() / "instance")
    app.instance_path = str(instance)
    settings = load_settings(overrides=test_config, instance_path=instance)
    app.config.update(settings)
    logging.getLogger("commonground").setLevel(settings["LOG_LEVEL"])

    store = Store(settings["DATABASE_URL"], replica_urls=settings["DATABASE_REPLICA_URLS"],
                  busy_timeout=settings["BUSY_TIMEOUT"])
    app.extensions[EXTENSION] = Context(store, app.config)
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    app.register_blueprint(outcomes.hotspot_bp)  # the second blueprint of that module
    shared.init_app(app, store)  # server-side sessions (Redis), read-your-writes routing
    assets.init_app(app)  # the maps' libraries from us; CSP nonces
    security.init_app(app)  # sessions, CSRF, rate limits, body limits, security headers
    # brotli or gzip for every text answer (pages, JSON, CSS, JS), never zstd (not everywhere)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "text/css", "text/plain", "text/csv", "text/javascript",
        "application/javascript", "application/json", "application/geo+json",
        "image/svg+xml"])
    Compress(app)
    register_error_handlers(app)
    logs.init_app(app)
    app.wsgi_app = _in_foreground(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _in_foreground(wsgi: Any) -> Any:
    """``wsgi`` counted as a request in flight: background computations step aside."""
    def app(environ: Any, start_response: Any) -> Any:
        with foreground():
            return wsgi(environ, start_response)

    return app


__all__ = ["DatabaseId", "create_app"]
