"""What the map builders share: escaping, colours, the legend, the base map, bounds.

Every piece of user text that reaches a map goes through :func:`text` first. Folium puts
tooltips and popups into JavaScript template literals and sets them as HTML, so the text is
HTML-escaped and the three characters that mean something in a template literal (backtick,
dollar, backslash) become character references too; the browser shows them as typed.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from branca.element import Template

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Sequence

GB_CENTRE_LATLON = (54.5, -3.0)
#: Distinct colours for categories (colour-blind-safe first, then more), in order of use.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
    "#e6550d", "#31a354", "#756bb1", "#636363",
)
#: Covered share, in five steps from none (red) to all (green).
SHARE_STEPS = (
    (0.2, "#d7191c", "under 20 %"), (0.4, "#fdae61", "20-40 %"), (0.6, "#ffffbf", "40-60 %"),
    (0.8, "#a6d96a", "60-80 %"), (1.01, "#1a9641", "80 % or more"),
)
#: Distance to the nearest meeting (km), five steps from near (green) to far (red).
DISTANCE_STEPS = (
    (5.0, "#1a9641", "under 5 km"), (10.0, "#a6d96a", "5-10 km"), (20.0, "#ffffbf", "10-20 km"),
    (40.0, "#fdae61", "20-40 km"), (math.inf, "#d7191c", "40 km or more"),
)
MEETING_COLOUR = "#0b5394"
ORIGIN_COLOUR = "#000000"
SITE_COLOUR = "#6a0dad"
GAP_COLOUR = "#c0392b"
DEFAULT_CLUSTER_FROM = 2000
"""Point layers with more points than this are clustered (FastMarkerCluster)."""


def text(value: Any) -> str:
    """User text made safe for a folium tooltip or popup (see the module docstring).

    Examples
    --------
    >>> text("<script>alert(1)</script> `${x}`")
    '&lt;script&gt;alert(1)&lt;/script&gt; &#96;&#36;{x}&#96;'
    """
    escaped = html.escape("" if value is None else str(value), quote=True)
    return escaped.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def present(value: Any) -> bool:
    """Whether a data value is there: not ``None``, NaN, ``pandas.NA`` or an empty string.

    Examples
    --------
    >>> [present(v) for v in (None, float("nan"), "", "Hall", 0)]
    [False, False, False, True, True]
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    try:
        missing = pd.isna(value)
    except (TypeError, ValueError):
        return True
    return not (isinstance(missing, (bool, np.bool_)) and missing)


def colour_for_step(value: float | None, steps: Sequence[tuple[float, str, str]]) -> str:
    """The colour of the first step whose upper bound exceeds ``value`` (grey for none).

    Examples
    --------
    >>> colour_for_step(0.5, SHARE_STEPS), colour_for_step(None, SHARE_STEPS)
    ('#ffffbf', '#bbbbbb')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "#bbbbbb"
    for upper, colour, _label in steps:
        if value < upper:
            return colour
    return steps[-1][1]


def category_colours(categories: Iterable[str]) -> dict[str, str]:
    """A stable colour per category (sorted, then :data:`PALETTE` in order, cycling).

    Examples
    --------
    >>> category_colours(["sports_club", "allotment"])
    {'allotment': '#1f77b4', 'sports_club': '#ff7f0e'}
    """
    names = sorted({str(c) for c in categories})
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(names)}


class Legend(MacroElement):
    """A fixed legend box in a map's corner.

    Parameters
    ----------
    title
        The heading.
    items
        ``(colour, label, shape)`` with ``shape`` ``"circle"``, ``"square"`` or ``"line"``;
        labels are escaped here.
    position
        ``"bottomright"`` or ``"bottomleft"``.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
          .cg-legend { position: fixed; z-index: 9999; background: rgba(255,255,255,0.92);
            padding: 8px 10px; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
            font: 12px/1.4 system-ui, sans-serif; max-width: 260px; }
          .cg-legend h4 { margin: 0 0 4px; font-size: 13px; }
          .cg-legend .cg-key { display: inline-block; width: 12px; height: 12px;
            margin-right: 6px; vertical-align: -1px; border: 1px solid #555; }
          .cg-legend .cg-circle { border-radius: 50%; }
          .cg-legend .cg-line { height: 0; border-width: 2px 0 0 0; border-style: dashed; }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="cg-legend" id="{{ this.get_name() }}" style="{{ this.css }}">
          <h4>{{ this.title }}</h4>{{ this.body }}
        </div>
        {% endmacro %}
    """)

    def __init__(self, title: str, items: Sequence[tuple[str, str, str]], *,
                 position: str = "bottomright") -> None:
        super().__init__()
        self._name = "Legend"
        self.title = text(title)
        rows = []
        for colour, label, shape in items:
            cls = {"circle": "cg-key cg-circle", "line": "cg-key cg-line"}.get(shape, "cg-key")
            style = (f"border-color: {text(colour)}" if shape == "line"
                     else f"background: {text(colour)}")
            rows.append(f'<div><span class="{cls}" style="{style}"></span>{text(label)}</div>')
        self.body = "".join(rows)
        self.css = "bottom: 24px; left: 12px;" if position == "bottomleft" else \
            "bottom: 24px; right: 12px;"


def base_map(m: folium.Map | None, *, tiles: str | None = "OpenStreetMap") -> folium.Map:
    """``m`` itself, or a new map of Great Britain drawn on a canvas (fast with many points)."""
    if m is not None:
        return m
    return folium.Map(location=GB_CENTRE_LATLON, zoom_start=6, tiles=tiles,
                      prefer_canvas=True, control_scale=True)


def fit(m: folium.Map, lats: Sequence[float], lons: Sequence[float], *,
        pad_deg: float = 0.05) -> None:
    """Fit the map to the points (no-op without points)."""
    pts = [(float(a), float(b)) for a, b in zip(lats, lons, strict=True)
           if a is not None and b is not None and math.isfinite(float(a))
           and math.isfinite(float(b))]
    if not pts:
        return
    south, north = min(p[0] for p in pts), max(p[0] for p in pts)
    west, east = min(p[1] for p in pts), max(p[1] for p in pts)
    m.fit_bounds([[south - pad_deg, west - pad_deg], [north + pad_deg, east + pad_deg]])


def fmt_int(value: Any) -> str:
    """A whole number with thousands separators (``"12,345"``).

    Examples
    --------
    >>> fmt_int(1234567.4)
    '1,234,567'
    """
    return f"{round(float(value)):,}"


def fmt_km(value: Any) -> str:
    """A distance for people: ``"3.2 km"``; ``"no meeting"`` when infinite or missing.

    Examples
    --------
    >>> fmt_km(3.24), fmt_km(float("inf"))
    ('3.2 km', 'no meeting')
    """
    if value is None or not math.isfinite(float(value)):
        return "no meeting"
    return f"{float(value):.1f} km"


__all__ = [
    "DEFAULT_CLUSTER_FROM",
    "DISTANCE_STEPS",
    "PALETTE",
    "SHARE_STEPS",
    "Legend",
    "base_map",
    "category_colours",
    "colour_for_step",
    "fit",
    "fmt_int",
    "fmt_km",
    "present",
    "text",
]
