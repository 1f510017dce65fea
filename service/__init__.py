"""The Flask service: app factory, pages, the JSON API, and the ``commonground`` CLI."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from service.config import load_settings
from store import Store

if TYPE_CHECKING:
    from collections.abc import Mapping


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
        The app; its store is ``app.extensions["commonground.store"]``.
    """
    app = Flask(__name__, instance_relative_config=True)
    # Ids in URLs fit the database's integers: a larger one is a 404, never an overflow.
    app.url_map.converters["int"] = DatabaseId
    # The embedded store and caches live in ./instance of the working directory (where
    # `make run` is started), not inside the installed package.
    instance = Path((test_config or {}).get("INSTANCE_PATH") or Path.cwd() / "instance")
    app.instance_path = str(instance)
    settings = load_settings(overrides=test_config, instance_path=instance)
    app.config.update(settings)
    logging.getLogger("commonground").setLevel(settings["LOG_LEVEL"])

    app.extensions["commonground.store"] = Store(settings["DATABASE_URL"],
                                                 busy_timeout=settings["BUSY_TIMEOUT"])

    # Blueprints import the app's helpers, so they are imported here, not at the top.
    from service import admin  # noqa: PLC0415
    from service import api  # noqa: PLC0415
    from service import api_coverage  # noqa: PLC0415
    from service import api_partner  # noqa: PLC0415
    from service import api_recommend  # noqa: PLC0415
    from service import auth  # noqa: PLC0415
    from service import hotspots  # noqa: PLC0415
    from service import logs  # noqa: PLC0415
    from service import maps_views  # noqa: PLC0415
    from service import openapi  # noqa: PLC0415
    from service import partner  # noqa: PLC0415
    from service import peer  # noqa: PLC0415
    from service import views  # noqa: PLC0415

    for module in (views, api, api_recommend, api_coverage, api_partner, openapi, maps_views,
                   auth, partner, admin, peer, hotspots):
        app.register_blueprint(module.bp)
    auth.init_app(app)  # sessions, CSRF and rate limits
    views.register_error_handlers(app)
    logs.init_app(app)
    return app


def get_store(app: Flask) -> Store:
    """The store of an app made by :func:`create_app`."""
    store: Store = app.extensions["commonground.store"]
    return store
