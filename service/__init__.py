"""The service: one use-case layer (:mod:`service.usecases`) and three faces over it.

* :mod:`service.web`: the Flask app factory, the pages, sign-in;
* :mod:`service.api`: the JSON API and its OpenAPI document;
* :mod:`service.cli`: the ``commonground`` command line.

The names below are imported on first use, so that importing a part of the service (the
command line's data commands, a use case) does not build the web app's imports (Flask,
folium, every blueprint).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from service.context import get_context
    from service.context import get_store
    from service.web.app import create_app

__all__ = ["create_app", "get_context", "get_store"]

_LAZY = {"create_app": "service.web.app", "get_context": "service.context",
         "get_store": "service.context"}


def __getattr__(name: str) -> Any:
    """``create_app``, ``get_context``, ``get_store``, imported when first asked for."""
    if name not in _LAZY:
        msg = f"module 'service' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
