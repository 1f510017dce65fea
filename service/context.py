"""The one accessor from a Flask app to its use-case :class:`~service.usecases.context.Context`.

Like flaskr's ``db.py``, this module imports no blueprint, so every face imports it at the
top and nothing cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from flask import Flask

    from service.usecases.context import Context
    from store import Store

EXTENSION = "commonground"


def get_context(app: Flask | None = None) -> Context:
    """The context of ``app`` (default: the current app)."""
    target = current_app if app is None else app
    context: Context = target.extensions[EXTENSION]
    return context


def get_store(app: Flask | None = None) -> Store:
    """The store of ``app`` (default: the current app), made by :func:`service.create_app`."""
    return get_context(app).store


__all__ = ["EXTENSION", "get_context", "get_store"]
