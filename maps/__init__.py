"""Folium map builders: pure functions from data to :class:`folium.Map` (no database, no Flask).

Each builder takes plain data (data frames or mappings, as :mod:`matching` returns them),
accepts an existing map to add its layers to (``m=``), escapes every piece of user text it
shows, and adds a LayerControl and a legend.
"""

from __future__ import annotations

from maps.coverage import build_coverage_map
from maps.growth import build_growth_map
from maps.meetings import build_meetings_map
from maps.opportunities import build_opportunities_map

__all__ = [
    "build_coverage_map",
    "build_growth_map",
    "build_meetings_map",
    "build_opportunities_map",
]
