"""The coverage map: meetings and their catchment, hexagons, uncovered towns, suggested sites."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from typing import Any

import folium

from maps._assets import titled
from maps._common import DEFAULT_CLUSTER_FROM
from maps._common import DISTANCE_STEPS
from maps._common import GAP_COLOUR
from maps._common import MEETING_COLOUR
from maps._common import SHARE_STEPS
from maps._common import SITE_COLOUR
from maps._common import LayerList
from maps._common import Legend
from maps._common import base_map
from maps._common import colour_for_step
from maps._common import fit
from maps._common import fmt_int
from maps._common import fmt_km
from maps._common import present
from maps._common import text
from maps._layers import Point
from maps._layers import catchment_geojson
from maps._layers import hexagon_features
from maps._layers import marker
from maps._layers import point_layer
from maps._panels import SitePanel
from maps._panels import WhatIf

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

HEX_BY = ("covered_share", "distance_km")
LAYER_NAMES = {
    "catchment": "Meeting catchment", "hexagons": "Coverage by hexagon",
    "meetings": "Meetings", "gaps": "Uncovered towns", "sites": "Suggested sites",
}


def records(data: Any) -> list[dict[str, Any]]:
    """Rows of a data frame (``to_dict("records")``) or a sequence of mappings, as dicts."""
    if data is None:
        return []
    if hasattr(data, "to_dict"):
        return list(data.to_dict("records"))
    return [dict(r) for r in data]


def _check_radius(radius_km: Any) -> float:
    try:
        value = float(radius_km)
    except (TypeError, ValueError):
        msg = f"radius_km must be a number of kilometres, got {radius_km!r}"
        raise ValueError(msg) from None
    if not (math.isfinite(value) and value > 0):
        msg = f"radius_km must be a positive number of kilometres, got {radius_km!r}"
        raise ValueError(msg)
    return value


def build_coverage_map(
    meetings: Any, *, radius_km: float, hexagons: Any = None, gaps: Any = None,
    sites: Sequence[Mapping[str, Any]] | None = None, m: folium.Map | None = None,
    hex_by: str = "covered_share", max_gaps: int = 500,
    cluster_from: int = DEFAULT_CLUSTER_FROM, catchment: bool = True,
    what_if_url: str | None = None, sites_note: str | None = None,
) -> folium.Map:
    """Draw coverage: where meetings reach people and where they do not.

    Parameters
    ----------
    meetings
        Active in-person meetings: ``lat``, ``lon``, ``name`` and optionally ``venue``,
        ``organisation`` (a data frame or mappings).
    radius_km
        Reach of a meeting: the catchment layer is the area within it.
    hexagons
        H3 aggregation (:func:`matching.coverage.hexagons`): ``cell``, ``population``,
        ``covered_share``, ``distance_km``, ``places``.
    gaps
        Uncovered towns (``name``, ``lat``, ``lon``, ``population``, ``distance_km``), drawn
        sized by population; the ``max_gaps`` most populous are drawn.
    sites
        Suggested sites (``name``, ``lat``, ``lon``, ``added_population`` and
        ``devolve_from`` with ``name``, ``distance_km``, ``lat``, ``lon``; optionally ``at``,
        ``places`` and ``devolve_from.reasons``): a numbered marker, a dashed line to the
        organisation that would devolve it, and a panel listing each site's places and
        reasons.
    m
        A map to add the layers to (default: a new map of Great Britain).
    hex_by
        Colour hexagons by ``"covered_share"`` or ``"distance_km"``.
    max_gaps
        Most uncovered towns drawn.
    cluster_from
        Meetings past this number are clustered.
    catchment
        Draw the catchment (the union of ``radius_km`` discs around the meetings).
    what_if_url
        A URL answering ``?lat=&lon=`` with the people a new group there would add: clicking
        the map asks it and shows the answer (``None``: no what-if box).
    sites_note
        A word on the sites shown in their panel (e.g. that the exact answer is still being
        worked out); the panel is shown with it even when there are no sites yet.

    Returns
    -------
    folium.Map
        The map, with a LayerControl and a legend.

    Raises
    ------
    ValueError
        For a bad ``radius_km`` or ``hex_by``.

    Examples
    --------
    >>> m = build_coverage_map([{"name": "Tuesday group", "lat": 53.5, "lon": -2.6}],
    ...                        radius_km=10.0)
    >>> "Meetings" in m.get_root().render()
    True
    """
    radius_km = _check_radius(radius_km)
    if hex_by not in HEX_BY:
        msg = f"hex_by must be one of {', '.join(map(repr, HEX_BY))}, got {hex_by!r}"
        raise ValueError(msg)
    m = titled(base_map(m), "Coverage map: meetings, their reach and the gaps")
    meeting_rows = [r for r in records(meetings)
                    if present(r.get("lat")) and present(r.get("lon"))]
    lats: list[float] = [float(r["lat"]) for r in meeting_rows]
    lons: list[float] = [float(r["lon"]) for r in meeting_rows]

    hex_rows = records(hexagons)
    if hex_rows:
        _hexagon_layer(hex_rows, hex_by).add_to(m)
    if catchment and meeting_rows:
        area = catchment_geojson(lats, lons, radius_km)
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": area},
            name=LAYER_NAMES["catchment"],
            style_function=lambda _f: {"color": MEETING_COLOUR, "weight": 1,
                                       "fillColor": MEETING_COLOUR, "fillOpacity": 0.12},
        ).add_to(m)

    points = []
    for r in meeting_rows:
        where = ", ".join(str(r[k]) for k in ("venue", "organisation") if present(r.get(k)))
        name = r.get("name") if present(r.get("name")) else "Meeting"
        tip = text(name) + (f"<br>{text(where)}" if where else "")
        points.append(Point(r["lat"], r["lon"], tooltip=tip, colour=MEETING_COLOUR,
                            radius=5.0, shape="square"))
    point_layer(points, name=LAYER_NAMES["meetings"], cluster_from=cluster_from,
                colour=MEETING_COLOUR, shape="square").add_to(m)

    gap_rows = sorted(records(gaps), key=lambda r: -float(r["population"]))[:max_gaps]
    if gap_rows:
        biggest = max(float(r["population"]) for r in gap_rows) or 1.0
        gap_points = [
            Point(r["lat"], r["lon"], colour=GAP_COLOUR,
                  radius=3.0 + 15.0 * math.sqrt(float(r["population"]) / biggest),
                  tooltip=(f"{text(r['name'])}: {fmt_int(r['population'])} people, "
                           f"nearest meeting {fmt_km(r.get('distance_km'))}"))
            for r in gap_rows
        ]
        point_layer(gap_points, name=LAYER_NAMES["gaps"], cluster_from=max(cluster_from,
                    max_gaps), colour=GAP_COLOUR).add_to(m)
        lats += [float(r["lat"]) for r in gap_rows]
        lons += [float(r["lon"]) for r in gap_rows]

    site_rows = list(sites or [])
    if site_rows:
        _sites_layer(site_rows).add_to(m)
    if site_rows or sites_note:
        SitePanel(site_rows, title=f"Suggested sites ({radius_km:g} km reach)",
                  note=sites_note).add_to(m)
        lats += [float(s["lat"]) for s in site_rows]
        lons += [float(s["lon"]) for s in site_rows]
    if what_if_url is not None:
        WhatIf(what_if_url, radius_km=radius_km).add_to(m)

    LayerList(collapsed=False).add_to(m)
    _legend(radius_km, hex_by, bool(hex_rows), bool(gap_rows), bool(site_rows)).add_to(m)
    fit(m, lats, lons)
    return m


def _hexagon_layer(rows: list[dict[str, Any]], hex_by: str) -> folium.GeoJson:
    steps = SHARE_STEPS if hex_by == "covered_share" else DISTANCE_STEPS
    props = []
    for r in rows:
        share = r.get("covered_share")
        share = None if share is None or (isinstance(share, float) and math.isnan(share)) \
            else float(share)
        value = share if hex_by == "covered_share" else float(r.get("distance_km", math.inf))
        props.append({
            "fill": colour_for_step(value, steps),
            "label": (f"{fmt_int(r['population'])} people in {int(r.get('places', 0))} "
                      f"places; {'?' if share is None else round(share * 100)} % covered; "
                      f"mean distance {fmt_km(r.get('distance_km'))}"),
        })
    data = hexagon_features([r["cell"] for r in rows], props)
    return folium.GeoJson(
        data, name=LAYER_NAMES["hexagons"],
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555555",
                                  "weight": 0.3, "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        popup=folium.GeoJsonPopup(fields=["label"], labels=False),
    )


def _sites_layer(site_rows: list[Mapping[str, Any]]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=LAYER_NAMES["sites"])
    for rank, s in enumerate(site_rows, start=1):
        dev = s.get("devolve_from") or None
        if dev and dev.get("organisation_id") is None and dev.get("lat") is None:
            dev = None  # nobody ready within reach: the panel says who is nearest
        tip = (f"{rank}. {text(s['name'])}: adds {fmt_int(s['added_population'])} people")
        if dev:
            tip += (f"<br>devolve from {text(dev.get('name'))} "
                    f"({fmt_km(dev.get('distance_km'))})")
        marker(Point(s["lat"], s["lon"], tooltip=tip, colour=SITE_COLOUR, radius=10.0,
                     shape="numbered", label=str(rank))).add_to(group)
        if dev and dev.get("lat") is not None and dev.get("lon") is not None:
            folium.PolyLine(
                [(float(dev["lat"]), float(dev["lon"])), (float(s["lat"]), float(s["lon"]))],
                color=SITE_COLOUR, weight=2, dash_array="6 6",
                tooltip=folium.Tooltip(f"{text(dev.get('name'))} &rarr; {text(s['name'])}"),
            ).add_to(group)
    return group


def _legend(radius_km: float, hex_by: str, hexes: bool, gaps: bool, sites: bool) -> Legend:
    items = [(MEETING_COLOUR, "Active in-person meeting", "square"),
             (MEETING_COLOUR, f"Within {radius_km:g} km of a meeting", "square")]
    if hexes:
        steps = SHARE_STEPS if hex_by == "covered_share" else DISTANCE_STEPS
        what = "covered" if hex_by == "covered_share" else "to the nearest meeting"
        items += [(colour, f"Hexagon: {label} {what}", "square") for _u, colour, label in steps]
    if gaps:
        items.append((GAP_COLOUR, "Uncovered town (size: people)", "circle"))
    if sites:
        items += [(SITE_COLOUR, "Suggested site (by rank)", "numbered"),
                  (SITE_COLOUR, "Devolved from", "line")]
    return Legend(f"Coverage within {radius_km:g} km", items)


__all__ = ["HEX_BY", "LAYER_NAMES", "build_coverage_map", "records"]
