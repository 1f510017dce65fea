"""Placeholder: filled in by the capability that owns it (see the issues)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    import click


def register(main: click.Group, context: Any) -> None:
    """Add this module's commands to the ``commonground`` group."""
