"""Folium map builders: pure functions from data to :class:`folium.Map` (no database, no Flask).

Each builder takes plain data (data frames or mappings, as :mod:`matching` returns them),
accepts an existing map to add its layers to (``m=``), escapes every piece of user text it
shows, and adds a LayerControl and a legend. :func:`base_map` makes the map they draw on
(tiles from a setting); :func:`render_map` writes a map as HTML that loads only Leaflet (and
markercluster), from our own server or written into the file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from maps._assets import render_map
    from maps._assets import retile
    from maps._assets import vendor_file
    from maps._common import base_map
    from maps.coverage import build_coverage_map
    from maps.growth import build_growth_map
    from maps.meetings import build_meetings_map
    from maps.opportunities import build_opportunities_map
    from maps.tiles import tile_source

#: Each public name -> its module, imported on first use (folium only when a map is built).
_LAZY = {
    "base_map": "maps._common", "build_coverage_map": "maps.coverage",
    "build_growth_map": "maps.growth", "build_meetings_map": "maps.meetings",
    "build_opportunities_map": "maps.opportunities", "render_map": "maps._assets",
    "retile": "maps._assets", "tile_source": "maps.tiles", "vendor_file": "maps._assets",
}


def __getattr__(name: str) -> Any:
    """A public name of the package, imported from its module on first use."""
    if name not in _LAZY:
        msg = f"module 'maps' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value

__all__ = [
    "base_map",
    "build_coverage_map",
    "build_growth_map",
    "build_meetings_map",
    "build_opportunities_map",
    "render_map",
    "retile",
    "tile_source",
    "vendor_file",
]
