"""Placeholder: filled in by the capability that owns it (see the issues)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("maps_views", __name__)
