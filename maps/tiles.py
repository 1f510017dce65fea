"""Tile sources: the ``MAP_TILES`` setting read and checked, without folium.

The settings (:mod:`service.config`) check the setting at start-up; this module imports
nothing heavy so that checking it does not load the map builders.
"""

from __future__ import annotations

#: Tile sources by short name: (URL template, attribution). ``none``: no tiles at all.
TILES: dict[str, tuple[str, str]] = {
    "openstreetmap": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
        "contributors",
    ),
}


def tile_source(setting: str | None) -> tuple[str | None, str | None]:
    """``(URL template, attribution)`` of a tiles setting; ``(None, None)`` for ``none``.

    The setting is a short name (``openstreetmap``), ``none``, or a URL template with
    ``{z}``, ``{x}`` and ``{y}``, optionally followed by ``|`` and its attribution.

    Raises
    ------
    ValueError
        For anything else, naming the setting and what it allows.

    Examples
    --------
    >>> tile_source("none")
    (None, None)
    >>> tile_source("https://tiles.example.org/{z}/{x}/{y}.png|Example")
    ('https://tiles.example.org/{z}/{x}/{y}.png', 'Example')
    """
    value = (setting or "openstreetmap").strip()
    if value.lower() == "none":
        return None, None
    if value.lower() in TILES:
        return TILES[value.lower()]
    url, _, attribution = value.partition("|")
    if not (url.startswith("https://") and all(k in url for k in ("{z}", "{x}", "{y}"))):
        msg = (f"tiles must be 'openstreetmap', 'none' or an https:// URL template with {{z}}, "
               f"{{x}} and {{y}} (then optionally '|attribution'), got {setting!r}")
        raise ValueError(msg)
    return url, attribution.strip() or "Map tiles"


__all__ = ["TILES", "tile_source"]
