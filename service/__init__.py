"""The service: one use-case layer (:mod:`service.usecases`) and three faces over it.

* :mod:`service.web`: the Flask app factory, the pages, sign-in;
* :mod:`service.api`: the JSON API and its OpenAPI document;
* :mod:`service.cli`: the ``commonground`` command line.
"""

from __future__ import annotations

from service.context import get_context
from service.context import get_store
from service.web.app import create_app

__all__ = ["create_app", "get_context", "get_store"]
