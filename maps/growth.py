"""The growth map: each hotspot's devolution tree over Great Britain, year by year.

One layer per year (the tree as it stood at the end of that year: organisations founded by
then, and a line from each to the organisation that devolved it), and a year slider that
shows one year at a time; the LayerControl lists the same layers. Per-year layers were chosen
over folium's TimestampedGeoJson because that plugin needs four more script libraries from
CDNs (jQuery UI, Leaflet.TimeDimension, ISO 8601 periods, moment.js), while these layers need
nothing beyond Leaflet. Each year is one GeoJSON layer, so a national tree stays compact.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING
from typing import Any

import folium
from branca.element import MacroElement
from branca.element import Template

from domain.dates import long_date
from maps._common import LayerList
from maps._common import Legend
from maps._common import base_map
from maps._common import fit
from maps._common import marker_html
from maps._common import text
from maps._layers import COORD_DECIMALS

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

#: Colour of each generation (0 = the hotspot); deeper generations take the last colour.
GENERATION_COLOURS = ("#7a0177", "#c51b8a", "#f768a1", "#fa9fb5", "#fcc5c0")
#: Shape of each generation (WCAG 1.4.1: generations differ by shape as well as colour);
#: the last, a numbered disc, shows the generation's number.
GENERATION_SHAPES = ("square", "circle", "diamond", "triangle", "numbered")


def _step(generation: int) -> int:
    return min(max(generation, 0), len(GENERATION_COLOURS) - 1)


def _generation_colour(generation: int) -> str:
    return GENERATION_COLOURS[_step(generation)]


def _generation_shape(generation: int) -> str:
    return GENERATION_SHAPES[_step(generation)]


def _founded(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class YearSlider(MacroElement):
    """A range input in the map's corner that shows one year's layer at a time."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
          .cg-year-slider { background: rgba(255,255,255,0.92); padding: 6px 10px;
            font: 12px/1.4 system-ui, sans-serif; }
          .cg-year-slider input { width: 180px; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var years = {{ this.years|tojson }};
          var layers = [{{ this.layer_names|join(", ") }}];
          var control = L.control({position: "topleft"});
          control.onAdd = function () {
            var div = L.DomUtil.create("div", "cg-year-slider leaflet-bar");
            div.innerHTML = '<label>Growth by the end of <b></b></label><br>' +
              '<input type="range" min="0" step="1">';
            L.DomEvent.disableClickPropagation(div);
            var input = div.querySelector("input");
            var out = div.querySelector("b");
            input.max = String(years.length - 1);
            input.value = String(years.length - 1);
            function show(i) {
              layers.forEach(function (layer, j) {
                if (j === i && !map.hasLayer(layer)) { map.addLayer(layer); }
                if (j !== i && map.hasLayer(layer)) { map.removeLayer(layer); }
              });
              out.textContent = String(years[i]);
            }
            input.addEventListener("input", function () { show(parseInt(input.value, 10)); });
            out.textContent = String(years[years.length - 1]);
            return div;
          };
          control.addTo(map);
        })();
        {% endmacro %}
    """)

    def __init__(self, years: Sequence[int], layers: Sequence[folium.GeoJson]) -> None:
        super().__init__()
        self._name = "YearSlider"
        self.years = [int(y) for y in years]
        self._layers = list(layers)

    @property
    def layer_names(self) -> list[str]:
        """JavaScript names of the year layers, in year order."""
        return [layer.get_name() for layer in self._layers]


def year_features(trees: Sequence[Mapping[str, Any]], year: int) -> dict[str, Any]:
    """The trees as they stood at the end of ``year``: points and parent -> child lines.

    Organisations without a founding date count from the first year shown.
    """
    points, lines = [], []
    for tree in trees:
        members = [dict(mb) for mb in tree.get("members", [])]
        by_id = {int(mb["id"]): mb for mb in members}
        for mb in members:
            founded = _founded(mb.get("founded_on"))
            if (founded is not None and founded.year > year) or mb.get("lat") is None:
                continue
            gen = int(mb.get("generation", 0))
            parent = by_id.get(int(mb["parent_id"])) if mb.get("parent_id") is not None else None
            label = (f"<b>{text(mb.get('name'))}</b><br>generation {gen}"
                     f"{' (hotspot)' if gen == 0 else ''}; founded "
                     f"{long_date(founded) if founded else 'date unknown'}; "
                     f"{int(mb.get('meetings', 0))} meetings; {text(mb.get('status') or '')}")
            if parent is not None:
                label += f"<br>devolved from {text(parent.get('name'))}"
            lat, lon = round(float(mb["lat"]), COORD_DECIMALS), round(float(mb["lon"]),
                                                                      COORD_DECIMALS)
            points.append({
                "type": "Feature", "id": f"{year}-o{mb['id']}",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"label": label, "colour": _generation_colour(gen),
                               "shape": _generation_shape(gen), "generation": gen,
                               "radius": round(5.0 + 2.0 * math.sqrt(int(mb.get("meetings", 0))),
                                               1)},
            })
            if parent is not None and parent.get("lat") is not None:
                lines.append({
                    "type": "Feature", "id": f"{year}-e{mb['id']}",
                    "geometry": {"type": "LineString", "coordinates": [
                        [round(float(parent["lon"]), COORD_DECIMALS),
                         round(float(parent["lat"]), COORD_DECIMALS)], [lon, lat]]},
                    "properties": {"label": f"{text(parent.get('name'))} &rarr; "
                                            f"{text(mb.get('name'))}",
                                   "colour": _generation_colour(gen), "radius": 0},
                })
    # Lines first so that the points are drawn over them.
    return {"type": "FeatureCollection", "features": lines + points}


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    """A line's path style, or a point's marker icon (its generation's shape and colour)."""
    props = feature["properties"]
    if feature["geometry"]["type"] == "LineString":
        return {"color": props["colour"], "weight": 3, "opacity": 0.85}
    size = max(12, round(2 * props["radius"]))
    shape = props["shape"]
    label = str(props["generation"]) if shape == "numbered" else ""
    return {"html": marker_html(props["colour"], shape=shape, label=label),
            "className": f"cg-mk cg-{shape}", "iconSize": [size, size],
            "iconAnchor": [size // 2, size // 2]}


def build_growth_map(
    trees: Sequence[Mapping[str, Any]], *, m: folium.Map | None = None,
    years: Sequence[int] | None = None, slider: bool = True,
) -> folium.Map:
    """Draw the devolution trees hotspot -> child -> grandchild, with one layer per year.

    Parameters
    ----------
    trees
        Trees as :meth:`matching.growth.GrowthTree.to_dict` gives them: ``name`` and
        ``members`` (``id``, ``name``, ``parent_id``, ``generation``, ``founded_on``,
        ``status``, ``lat``, ``lon``, ``meetings``).
    m
        A map to add to (default: a new one).
    years
        Years to draw (default: from the first founding year to the last).
    slider
        Add the year slider.

    Returns
    -------
    folium.Map
        The map: one layer per year (the last one shown), a LayerControl, a legend.

    Examples
    --------
    >>> tree = {"name": "Hub", "members": [
    ...     {"id": 1, "name": "Hub", "parent_id": None, "generation": 0,
    ...      "founded_on": "2019-01-01", "lat": 53.5, "lon": -2.6, "meetings": 2},
    ...     {"id": 2, "name": "Child", "parent_id": 1, "generation": 1,
    ...      "founded_on": "2021-05-01", "lat": 53.6, "lon": -2.5, "meetings": 1}]}
    >>> html = build_growth_map([tree]).get_root().render()
    >>> "Growth by the end of 2021" in html, "cg-year-slider" in html
    (True, True)
    """
    m = base_map(m)
    founded = [_founded(mb.get("founded_on")) for t in trees for mb in t.get("members", [])]
    known = [d.year for d in founded if d is not None]
    if years is None:
        years = list(range(min(known), max(known) + 1)) if known else []
    years = sorted({int(y) for y in years})
    layers = []
    for year in years:
        layer = folium.GeoJson(
            year_features(trees, year), name=f"Growth by the end of {year}",
            show=year == years[-1], style_function=_style,
            # a shaped HTML marker per point; _style gives each its generation's icon
            marker=folium.Marker(icon=folium.DivIcon(class_name="cg-mk")),
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            popup=folium.GeoJsonPopup(fields=["label"], labels=False),
        )
        layer.add_to(m)
        layers.append(layer)
    LayerList(collapsed=True).add_to(m)
    if slider and layers:
        YearSlider(years, layers).add_to(m)
    depth = max((int(mb.get("generation", 0)) for t in trees for mb in t.get("members", [])),
                default=0)
    items = [(_generation_colour(g), "Hotspot" if g == 0 else f"Generation {g}",
              _generation_shape(g))
             for g in range(min(depth, len(GENERATION_COLOURS) - 1) + 1)]
    items.append(("#555555", "Devolved from (line)", "line"))
    Legend("Growth tree", items).add_to(m)
    members = [mb for t in trees for mb in t.get("members", []) if mb.get("lat") is not None]
    fit(m, [float(mb["lat"]) for mb in members], [float(mb["lon"]) for mb in members])
    return m


__all__ = ["GENERATION_COLOURS", "GENERATION_SHAPES", "YearSlider", "build_growth_map",
           "year_features"]
