"""The Flask service: app factory, pages, the JSON API, and the ``commonground`` CLI."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from flask import Flask
from store import Store

from service.config import load_settings

if TYPE_CHECKING:
    from collections.abc import Mapping


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
    # The embedded store and caches live in ./instance of the working directory (where
    # `make run` is started), not inside the installed package.
    instance = Path((test_config or {}).get("INSTANCE_PATH") or Path.cwd() / "instance")
    app.instance_path = str(instance)
    settings = load_settings(overrides=test_config, instance_path=instance)
    app.config.update(settings)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    logging.getLogger("commonground").setLevel(settings["LOG_LEVEL"])

    app.extensions["commonground.store"] = Store(settings["DATABASE_URL"])

    from service import api  # noqa: PLC0415 - blueprints import the app's helpers
    from service import views  # noqa: PLC0415

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    views.register_error_handlers(app)
    return app


def get_store(app: Flask) -> Store:
    """The store of an app made by :func:`create_app`."""
    store: Store = app.extensions["commonground.store"]
    return store
