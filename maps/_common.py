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
from folium.template import Template as FoliumTemplate

from maps._assets import retile

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
#: Marker shapes (WCAG 1.4.1: kinds of place differ by shape as well as colour).
SHAPES = ("circle", "square", "diamond", "triangle", "numbered")
#: Widths up to this (CSS px) count as a phone: legends and layer lists start folded.
PHONE_WIDTH = 640


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
    """A legend in a map's corner that folds away (a ``<details>``; folded on phones).

    Parameters
    ----------
    title
        The heading.
    items
        ``(colour, label, shape)`` with ``shape`` one of :data:`SHAPES` or ``"line"``;
        labels are escaped here.
    position
        ``"bottomright"`` or ``"bottomleft"``.
    """

    _template = Template("""
        {% macro html(this, kwargs) %}
        <details class="cg-legend" id="{{ this.get_name() }}" style="{{ this.css }}">
          <summary>{{ this.title }}</summary>{{ this.body }}
        </details>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        if (!window.matchMedia("(max-width: {{ this.fold_below }}px)").matches) {
            document.getElementById({{ this.get_name()|tojson }}).open = true;
        }
        {% endmacro %}
    """)

    def __init__(self, title: str, items: Sequence[tuple[str, str, str]], *,
                 position: str = "bottomright") -> None:
        super().__init__()
        self._name = "Legend"
        self.title = text(title)
        self.fold_below = PHONE_WIDTH
        rows = []
        for colour, label, shape in items:
            if shape == "line":
                key = f'<span class="cg-key cg-line" style="border-color: {text(colour)}"></span>'
            else:
                key = marker_html(colour, shape=shape, label="1" if shape == "numbered" else "")
                key = f'<span class="cg-key cg-mk cg-{text(shape)}">{key}</span>'
            rows.append(f"<div>{key}{text(label)}</div>")
        self.body = "".join(rows)
        self.css = "bottom: 24px; left: 12px;" if position == "bottomleft" else \
            "bottom: 24px; right: 12px;"


class MapStyle(MacroElement):
    """The maps' own styles, the note shown when the map's scripts did not run, no tiles.

    The note sits under the map: once Leaflet has drawn the map its (opaque) container
    covers it, so readers see it only when the scripts failed. It needs no script itself.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
          .cg-map-failed { position: absolute; top: 0; left: 0; right: 0; z-index: 0;
            margin: 0; padding: 2.5rem 1rem; font: 15px/1.4 system-ui, sans-serif;
            background: #fff; color: #1b1b1b; }
          .folium-map { z-index: 1; }
          .leaflet-container { background: #eef0ee; }
          .cg-legend { position: fixed; z-index: 9999; background: rgba(255,255,255,0.95);
            padding: 6px 10px; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
            font: 12px/1.4 system-ui, sans-serif; max-width: 260px; color: #1b1b1b; }
          .cg-legend summary { font-weight: bold; font-size: 13px; cursor: pointer;
            min-height: 24px; line-height: 24px; }
          .cg-legend .cg-key { display: inline-block; width: 14px; height: 14px;
            margin-right: 6px; vertical-align: -2px; }
          .cg-legend .cg-line { height: 0; border-width: 2px 0 0 0; border-style: dashed; }
          .cg-mk span { display: block; box-sizing: border-box; width: 100%; height: 100%;
            border: 1px solid #1b1b1b; }
          .cg-circle span { border-radius: 50%; }
          .cg-diamond span { transform: rotate(45deg) scale(0.8); }
          .cg-triangle span { border: 0; clip-path: polygon(50% 0, 100% 100%, 0 100%); }
          .cg-numbered span { border-radius: 50%; border-width: 3px; background: #fff;
            color: #1b1b1b; font: bold 11px/1 system-ui, sans-serif; display: flex;
            align-items: center; justify-content: center; }
          .cg-legend .cg-numbered span { font-size: 8px; border-width: 2px; }
          @media (max-width: {{ this.phone }}px) {
            .cg-legend { max-width: 60%; }
            .leaflet-control-layers-expanded { max-height: 50vh; overflow-y: auto; }
          }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <p class="cg-map-failed" role="status">The map could not be drawn: its scripts did not
          load. The places it shows are listed in text on the page.</p>
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapStyle"
        self.phone = PHONE_WIDTH


class LayerList(folium.LayerControl):
    """A LayerControl that starts folded on phones (and open elsewhere unless ``collapsed``)."""

    _template = FoliumTemplate("""
        {% macro script(this,kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
            };
            let {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                {...{{ this.options|tojavascript }},
                 collapsed: {{ this.options.collapsed|tojson }} || window.matchMedia(
                     "(max-width: {{ this.phone }}px)").matches}
            ).addTo({{this._parent.get_name()}});
        {% endmacro %}
    """)

    def __init__(self, *, collapsed: bool = False) -> None:
        super().__init__(collapsed=collapsed)
        self.phone = PHONE_WIDTH


class Popup(folium.Popup):
    """A popup set from an escaped HTML string, without jQuery (folium's needs it)."""

    _template = FoliumTemplate("""
        var {{ this.get_name() }} = L.popup({{ this.options|tojavascript }});
        {{ this.get_name() }}.setContent(`{{ this.content }}`);
        {{ this._parent.get_name() }}.bindPopup({{ this.get_name() }});
    """)

    def __init__(self, content: str, *, max_width: int = 320) -> None:
        super().__init__(max_width=max_width)
        # already escaped by text(): no backtick, dollar or backslash left
        self.content = content.replace("\n", " ")


def marker_html(colour: str, *, shape: str, label: str = "") -> str:
    """The inside of a shaped marker: a coloured square, diamond, triangle or numbered disc.

    Examples
    --------
    >>> marker_html("#0b5394", shape="square")
    '<span style="background: #0b5394"></span>'
    >>> marker_html("#ff7f0e", shape="numbered", label="3")
    '<span style="border-color: #ff7f0e">3</span>'
    """
    if shape not in SHAPES:
        msg = f"shape must be one of {', '.join(SHAPES)}, got {shape!r}"
        raise ValueError(msg)
    style = f"border-color: {text(colour)}" if shape == "numbered" else \
        f"background: {text(colour)}"
    return f'<span style="{style}">{text(label)}</span>'


def base_map(m: folium.Map | None = None, *, tiles: str | None = "openstreetmap") -> folium.Map:
    """``m`` itself, or a new map of Great Britain drawn on a canvas (fast with many points).

    Parameters
    ----------
    m
        A map to use as it is.
    tiles
        ``openstreetmap`` (default, with its attribution), ``none`` (a plain background: no
        request leaves for tiles) or an ``https://`` URL template, optionally
        ``URL|attribution`` (see :func:`maps._assets.tile_source`).

    Returns
    -------
    folium.Map
        The map, with the maps' styles and the note shown when its scripts fail.

    Examples
    --------
    >>> "tile.openstreetmap.org" in base_map(tiles="none").get_root().render()
    False
    """
    if m is not None:
        return m
    m = folium.Map(location=GB_CENTRE_LATLON, zoom_start=6, tiles=None,
                   prefer_canvas=True, control_scale=True)
    retile(m, tiles)
    MapStyle().add_to(m)
    return m


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
    "PHONE_WIDTH",
    "SHAPES",
    "SHARE_STEPS",
    "LayerList",
    "Legend",
    "MapStyle",
    "Popup",
    "base_map",
    "category_colours",
    "colour_for_step",
    "fit",
    "fmt_int",
    "fmt_km",
    "marker_html",
    "present",
    "text",
]
