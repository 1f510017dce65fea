"""Folium map builders: pure functions from data to :class:`folium.Map` (no database, no Flask).

Each builder takes plain data (data frames or mappings, as :mod:`matching` returns them),
accepts an existing map to add its layers to (``m=``), escapes every piece of user text it
shows, and adds a LayerControl and a legend. :func:`base_map` makes the map they draw on
(tiles from a setting); :func:`render_map` writes a map as HTML that loads only Leaflet (and
markercluster), from our own server or written into the file.
"""

from __future__ import annotations

from maps import _literal  # noqa: F401  (rendered text stays literal: installed before any map renders)
from maps._assets import render_map
from maps._assets import retile
from maps._assets import tile_source
from maps._assets import vendor_file
from maps._common import base_map
from maps.coverage import build_coverage_map
from maps.growth import build_growth_map
from maps.meetings import build_meetings_map
from maps.opportunities import build_opportunities_map

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
