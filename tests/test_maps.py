"""The map builders, checked on the saved HTML: layers, legends, marker counts, escaping."""

from __future__ import annotations

import datetime as dt
import json
import re

import folium
import numpy as np
import pandas as pd
import pytest

from geo.service_area import service_area_from_text
from ingest.demand import district_demand
from maps import build_coverage_map
from maps import build_growth_map
from maps import build_meetings_map
from maps import build_opportunities_map
from maps._common import text
from matching.coverage import compute_coverage
from matching.coverage import hexagons

EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
EVIL_IN_JSON = "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;"


# -- parsing the saved HTML -----------------------------------------------------------------


def saved_html(m: folium.Map, tmp_path, name: str = "map.html") -> str:
    path = tmp_path / name
    m.save(str(path))
    return path.read_text(encoding="utf-8")


def overlays(html: str) -> dict[str, str]:
    """LayerControl overlay name -> JavaScript variable of the layer."""
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", html, re.S)
    assert block, "no LayerControl"
    return dict(re.findall(r'"([^"]+)"\s*:\s*(\w+)', block.group(1)))


def circle_markers(html: str) -> dict[str, list[tuple[float, float, dict]]]:
    """Parent layer variable -> its circle markers ``(lat, lon, options)``."""
    out: dict[str, list] = {}
    pattern = r"L\.circleMarker\(\s*\[([-\d.e]+),\s*([-\d.e]+)\],\s*(\{.*?\})\s*\)\.addTo\((\w+)\)"
    for lat, lon, options, parent in re.findall(pattern, html, re.S):
        out.setdefault(parent, []).append((float(lat), float(lon), json.loads(options)))
    return out


def shaped_markers(html: str) -> dict[str, list[tuple[float, float, str, str]]]:
    """Parent layer variable -> its HTML markers ``(lat, lon, class name, inner html)``."""
    icons = {name: json.loads(re.sub(r",\s*\}$", "}", options)) for name, options in
             re.findall(r"var (div_icon_\w+) = L\.divIcon\((\{.*?\})\);", html, re.S)}
    icon_of = dict(re.findall(r"(marker_\w+)\.setIcon\((div_icon_\w+)\)", html))
    out: dict[str, list] = {}
    pattern = (r"var (marker_\w+) = L\.marker\(\s*\[([-\d.e]+),\s*([-\d.e]+)\],\s*\{.*?\}\s*"
               r"\)\.addTo\((\w+)\)")
    for name, lat, lon, parent in re.findall(pattern, html, re.S):
        icon = icons[icon_of[name]]
        out.setdefault(parent, []).append((float(lat), float(lon), icon["className"],
                                           icon["html"]))
    return out


def popups(html: str) -> list[str]:
    """The contents of the popups, in order (set without jQuery)."""
    return re.findall(r"popup_\w+\.setContent\(`(.*?)`\);", html, re.S)


def geojson_layers(html: str) -> dict[str, dict]:
    """GeoJSON layer variable -> its embedded FeatureCollection."""
    return {name: json.loads(data) for name, data in
            re.findall(r"^\s*(geo_json_\w+)_add\((\{.*\})\);\s*$", html, re.M)}


def cluster_rows(html: str) -> list[list]:
    found = re.search(r"var data = (\[.*?\]);", html, re.S)
    assert found, "no FastMarkerCluster data"
    return json.loads(found.group(1))


def legends(html: str) -> list[str]:
    return re.findall(r'<div class="cg-legend"[^>]*>(.*?)</div>\s*</div>', html, re.S) or \
        re.findall(r'<div class="cg-legend".*?<h4>(.*?)</h4>', html, re.S)


# -- coverage -------------------------------------------------------------------------------


def _coverage_data(n_meetings: int = 7):
    rng = np.random.default_rng(3)
    meetings = pd.DataFrame({
        "id": range(1, n_meetings + 1),
        "name": [EVIL] + [f"Meeting {i}" for i in range(2, n_meetings + 1)],
        "venue": [f"Hall {i}" for i in range(1, n_meetings + 1)],
        "lat": 53.4 + rng.uniform(0, 0.4, n_meetings),
        "lon": -2.8 + rng.uniform(0, 0.6, n_meetings),
    })
    demand = pd.DataFrame({"name": ["Near", EVIL, "Far", "Farther", "Farthest"],
                           "lat": [53.5, 52.0, 51.5, 55.0, 50.5],
                           "lon": [-2.6, -1.0, -0.1, -3.0, -4.0],
                           "population": [5000, 7000, 90000, 3000, 2000]})
    result = compute_coverage(demand, meetings, radius_km=10.0)
    sites = [
        {"name": EVIL, "lat": 52.0, "lon": -1.0, "added_population": 7000,
         "devolve_from": {"organisation_id": 1, "name": EVIL, "distance_km": 50.0,
                          "lat": 53.5, "lon": -2.6}},
        {"name": "Far", "lat": 51.5, "lon": -0.1, "added_population": 90000,
         "devolve_from": None},
    ]
    return meetings, result, sites


def test_coverage_map_layers_legend_and_counts(tmp_path):
    meetings, result, sites = _coverage_data()
    m = build_coverage_map(meetings, radius_km=10.0, hexagons=hexagons(result.demand),
                           gaps=result.gaps(None), sites=sites)
    html = saved_html(m, tmp_path)
    layers = overlays(html)
    assert list(layers) == ["Coverage by hexagon", "Meeting catchment", "Meetings",
                            "Uncovered towns", "Suggested sites"]
    markers = circle_markers(html)
    squares = shaped_markers(html)
    assert layers["Meetings"] not in markers  # meetings are squares, not circles
    assert len(squares[layers["Meetings"]]) == len(meetings)
    assert {c for _a, _b, c, _h in squares[layers["Meetings"]]} == {"cg-mk cg-square"}
    drawn = sorted((round(a, 5), round(b, 5)) for a, b, _c, _h in squares[layers["Meetings"]])
    assert drawn == sorted(zip(meetings["lat"].round(5), meetings["lon"].round(5),
                               strict=True))
    gaps = result.gaps(None)
    assert len(markers[layers["Uncovered towns"]]) == len(gaps) == 4
    radii = {round(a, 5): o["radius"] for a, _b, o in markers[layers["Uncovered towns"]]}
    assert radii[51.5] > radii[52.0] > radii[55.0]  # sized by population
    sites_drawn = squares[layers["Suggested sites"]]
    assert [(c, h) for _a, _b, c, h in sites_drawn] == [
        ("cg-mk cg-numbered", '<span style="border-color: #6a0dad">1</span>'),
        ("cg-mk cg-numbered", '<span style="border-color: #6a0dad">2</span>')]
    assert html.count("L.polyline(") == 1  # only the site with a devolver gets a line
    geo = geojson_layers(html)
    hexes = geo[layers["Coverage by hexagon"]]["features"]
    assert len(hexes) == len(hexagons(result.demand))
    assert {f["properties"]["fill"] for f in hexes} <= {"#d7191c", "#1a9641"}
    assert "Coverage within 10 km" in html
    assert html.count('class="cg-legend"') == 1
    # every marker opens a popup with its name on tap, not only a hover tooltip
    assert len(popups(html)) == len(meetings) + len(gaps) + 2
    for label in ("Active in-person meeting", "Uncovered town", "Suggested site",
                  "80 % or more covered"):
        assert label in html
    assert EVIL not in html
    assert EVIL_ESCAPED in html


def test_coverage_map_clusters_many_meetings(tmp_path):
    meetings, _result, _sites = _coverage_data(n_meetings=2500)
    html = saved_html(build_coverage_map(meetings, radius_km=10.0, catchment=False),
                      tmp_path)
    rows = cluster_rows(html)
    assert len(rows) == 2500
    assert "L.markerClusterGroup" in html
    assert circle_markers(html) == {}  # no marker statement per meeting
    assert rows[0][2] == f"{EVIL_ESCAPED}<br>Hall 1"
    assert EVIL not in html


def test_coverage_map_of_national_data_stays_small(tmp_path):
    """20,000 meetings and every GB town: under 5 MB of HTML."""
    demand = district_demand(service_area_from_text("GB"))
    rng = np.random.default_rng(7)
    pick = rng.choice(len(demand), 20_000, p=demand["population"] / demand["population"].sum())
    meetings = pd.DataFrame({
        "id": np.arange(20_000), "name": [f"Meeting {i}" for i in range(20_000)],
        "lat": demand["lat"].to_numpy()[pick] + rng.normal(0, 0.02, 20_000),
        "lon": demand["lon"].to_numpy()[pick] + rng.normal(0, 0.03, 20_000),
    })
    result = compute_coverage(demand, meetings, radius_km=10.0)
    m = build_coverage_map(meetings, radius_km=10.0, hexagons=hexagons(result.demand),
                           gaps=result.gaps(None))
    html = saved_html(m, tmp_path)
    assert len(html.encode()) < 5_000_000
    assert len(cluster_rows(html)) == 20_000
    gaps = len(result.gaps(None))
    assert gaps > 0
    assert len(circle_markers(html)[overlays(html)["Uncovered towns"]]) == min(gaps, 500)


def test_coverage_map_colours_by_distance_and_adds_to_a_given_map(tmp_path):
    meetings, result, _sites = _coverage_data()
    base = folium.Map(location=(53, -2), zoom_start=7)
    m = build_coverage_map(meetings, radius_km=10.0, hexagons=hexagons(result.demand),
                           hex_by="distance_km", m=base)
    assert m is base
    html = saved_html(m, tmp_path)
    fills = {f["properties"]["fill"] for f in
             geojson_layers(html)[overlays(html)["Coverage by hexagon"]]["features"]}
    assert "#d7191c" in fills  # the far towns: 40 km or more
    assert "40 km or more to the nearest meeting" in html


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"radius_km": 0}, "radius_km must be a positive number"),
    ({"radius_km": "far"}, "radius_km must be a number"),
    ({"radius_km": 5, "hex_by": "colour"}, "hex_by must be one of"),
])
def test_coverage_map_refuses_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_coverage_map([], **kwargs)


# -- opportunities --------------------------------------------------------------------------


def _results():
    return [
        {"opportunity_id": 1, "title": "Towpath tidy", "association": "Canal Trust",
         "category": "waterway_trust", "distance_km": 1.234, "lat": 53.50, "lon": -2.60,
         "reasons": ["matches waterways", "1.2 km away"], "schedule": "Sat 10:00-13:00",
         "location_precision": "exact"},
        {"opportunity_id": 2, "title": EVIL, "association": EVIL, "category": "allotment",
         "distance_km": 2.5, "lat": 53.52, "lon": -2.62, "reasons": [EVIL],
         "schedule": {"days": "Sun", "times": "09:00-12:00"}, "location_precision": "town"},
        {"opportunity_id": 3, "title": "Repair cafe host", "association": "Fixers",
         "category": "repair_cafe", "distance_km": 3.0, "lat": 53.53, "lon": -2.58,
         "reasons": [], "approximate": True},
        {"opportunity_id": 4, "title": "Second canal job", "association": "Canal Trust",
         "category": "waterway_trust", "distance_km": 4.0, "lat": 53.47, "lon": -2.66},
    ]


def test_opportunities_map_layers_popups_and_colours(tmp_path):
    meetings = pd.DataFrame({"name": ["Tuesday group", "Friday group"], "lat": [53.51, 53.49],
                             "lon": [-2.61, -2.59]})
    m = build_opportunities_map({"lat": 53.5, "lon": -2.6, "label": "WN1 1AA"}, _results(),
                                meetings, radius_km=5.0)
    html = saved_html(m, tmp_path)
    layers = overlays(html)
    assert list(layers) == ["Search radius", "Search origin", "Meetings", "Opportunities"]
    markers = circle_markers(html)
    shaped = shaped_markers(html)
    results = shaped[layers["Opportunities"]]
    assert len(results) == 4
    assert [c for _a, _b, c, _h in results] == ["cg-mk cg-numbered"] * 4
    numbers = [re.search(r">(\d+)</span>", h)[1] for _a, _b, _c, h in results]
    assert numbers == ["1", "2", "3", "4"]  # the numbers of the list
    assert [c for _a, _b, c, _h in shaped[layers["Meetings"]]] == ["cg-mk cg-square"] * 2
    assert len(markers[layers["Search origin"]]) == 1
    colours = [re.search(r"border-color: (#\w+)", h)[1] for _a, _b, _c, h in results]
    assert colours[0] == colours[3]
    assert len(set(colours)) == 3
    assert "L.circle(" in html
    assert '"radius": 5000.0' in html
    assert "$(`" not in html  # no jQuery
    texts = [p for p in popups(html) if "<b>" in p]
    assert len(texts) == 4
    assert "<b>1. Towpath tidy</b>" in texts[0]
    assert "Canal Trust" in texts[0]
    assert "1.2 km away" in texts[0]
    assert "Sat 10:00-13:00" in texts[0]
    assert "matches waterways" in texts[0]
    assert "approximate location" not in texts[0]
    assert "approximate location" in texts[1]
    assert "Sun; 09:00-12:00" in texts[1]
    assert "approximate location" in texts[2]
    for label in ("waterway trust", "allotment", "repair cafe", "ACT Peer Recovery meeting",
                  "WN1 1AA", "Opportunities within 5 km"):
        assert label in html
    assert EVIL not in html
    assert EVIL_ESCAPED in html


def test_template_literal_characters_cannot_break_out(tmp_path):
    sneaky = "`; alert(2); `${alert(3)}\\"
    m = build_opportunities_map((53.5, -2.6), [{"title": sneaky, "lat": 53.5, "lon": -2.6,
                                                "association": sneaky}], radius_km=2)
    html = saved_html(m, tmp_path)
    assert sneaky not in html
    assert "${alert(3)}" not in html
    assert text(sneaky) in html


JINJA = "Club {{ 7*7 }} {% for x in range(3) %}x{% endfor %} {# hidden #}"


def test_template_syntax_in_user_text_is_shown_not_run(tmp_path):
    """folium compiles its rendered output as a Jinja template again: user text must not run."""
    meetings, result, _sites = _coverage_data()
    meetings.loc[0, "name"] = JINJA
    maps = {
        "opportunities": build_opportunities_map((53.5, -2.6), [
            {"title": JINJA, "lat": 53.5, "lon": -2.6, "association": JINJA}], radius_km=2),
        "meetings": build_meetings_map([{"id": 1, "name": JINJA, "lat": 53.5, "lon": -2.6,
                                         "attendance": "in_person"}]),
        "coverage": build_coverage_map(meetings, radius_km=10.0, hexagons=hexagons(result.demand)),
    }
    for name, m in maps.items():
        html = saved_html(m, tmp_path, f"{name}.html")
        assert "Club 49" not in html, name
        assert "xxx" not in html, name
        assert "{{ 7*7 }}" in html, name
        assert "{# hidden #}" in html, name


def test_opportunities_map_refuses_a_bad_origin():
    with pytest.raises(ValueError, match="latitude must be between -90 and 90"):
        build_opportunities_map((153.5, -2.6), [], radius_km=5)


# -- growth ---------------------------------------------------------------------------------


def _trees():
    members = [
        {"id": 1, "name": "Hub", "parent_id": None, "generation": 0, "founded_on": "2018-02-01",
         "status": "approved", "lat": 53.5, "lon": -2.6, "meetings": 3},
        {"id": 2, "name": EVIL, "parent_id": 1, "generation": 1,
         "founded_on": dt.date(2019, 6, 1), "status": "approved", "lat": 53.6, "lon": -2.5,
         "meetings": 2},
        {"id": 3, "name": "Grandchild", "parent_id": 2, "generation": 2,
         "founded_on": "2021-03-01", "status": "pending", "lat": 53.7, "lon": -2.4,
         "meetings": 1},
    ]
    other = [{"id": 9, "name": "Other hub", "parent_id": None, "generation": 0,
              "founded_on": "2020-01-01", "status": "approved", "lat": 51.5, "lon": -3.2,
              "meetings": 1}]
    return [{"name": "Hub", "members": members}, {"name": "Other hub", "members": other}]


def test_growth_map_has_one_layer_per_year_with_the_tree_so_far(tmp_path):
    html = saved_html(build_growth_map(_trees()), tmp_path)
    layers = overlays(html)
    years = [2018, 2019, 2020, 2021]
    assert list(layers) == [f"Growth by the end of {y}" for y in years]
    data = geojson_layers(html)
    expected_orgs = {2018: 1, 2019: 2, 2020: 3, 2021: 4}
    expected_lines = {2018: 0, 2019: 1, 2020: 1, 2021: 2}
    for year in years:
        features = data[layers[f"Growth by the end of {year}"]]["features"]
        kinds = [f["geometry"]["type"] for f in features]
        assert kinds.count("Point") == expected_orgs[year], year
        assert kinds.count("LineString") == expected_lines[year], year
    # Only the last year is on the map at first; the slider switches years.
    shown = re.findall(r"(geo_json_\w+)\.addTo\(map_\w+\)", html)
    assert shown == [layers["Growth by the end of 2021"]]
    assert "cg-year-slider" in html
    assert re.search(r"var years = \[2018, 2019, 2020, 2021\]", html)
    assert "Growth tree" in html
    assert "Generation 2" in html
    assert "Hotspot" in html
    assert EVIL not in html
    assert EVIL_IN_JSON in html


def test_growth_map_generations_differ_by_shape_as_well_as_colour(tmp_path):
    """WCAG 1.4.1: each generation has its own marker shape, and the legend shows it."""
    from maps.growth import GENERATION_SHAPES

    html = saved_html(build_growth_map(_trees()), tmp_path)
    features = geojson_layers(html)[overlays(html)["Growth by the end of 2021"]]["features"]
    shape_of = {f["properties"]["generation"]: f["properties"]["shape"]
                for f in features if f["geometry"]["type"] == "Point"}
    assert shape_of == {0: "square", 1: "circle", 2: "diamond"}
    assert len(set(GENERATION_SHAPES)) == len(GENERATION_SHAPES)
    # markers are drawn as shaped HTML icons, not colour-only canvas circles
    assert "new iconRootAlias.DivIcon(iconOptions)" in html
    assert '"className": "cg-mk cg-diamond"' in html
    assert "L.CircleMarker(latlng" not in html
    legend = re.search(r'<details class="cg-legend".*?</details>', html, re.S).group(0)
    keys = re.findall(r'class="cg-key cg-mk cg-(\w+)"', legend)
    assert keys == ["square", "circle", "diamond"]
    assert "Devolved from (line)" in legend


def test_growth_map_of_nothing_is_an_empty_map(tmp_path):
    html = saved_html(build_growth_map([]), tmp_path)
    assert "cg-year-slider" not in html
    assert "Growth tree" in html


def test_missing_values_are_left_out(tmp_path):
    meetings = pd.DataFrame({
        "name": ["A", None, "C"], "venue": [None, "Hall", float("nan")],
        "organisation": pd.array([pd.NA, "Org", "Org C"], dtype="string"),
        "lat": [53.5, 53.6, 53.7], "lon": [-2.6, -2.5, float("nan")],
    })
    html = saved_html(build_coverage_map(meetings, radius_km=5), tmp_path)
    markers = shaped_markers(html)[overlays(html)["Meetings"]]
    assert len(markers) == 2  # the meeting without a longitude is not drawn
    tips = [" ".join(t.split()) for t in re.findall(r"bindTooltip\(\s*`(.*?)`", html, re.S)]
    assert "<div> A </div>" in tips
    assert "<div> Meeting<br>Hall, Org </div>" in tips
    assert "nan" not in " ".join(tips)


# -- what a map loads, and from where -------------------------------------------------------

THIRD_PARTY = ("jsdelivr", "cloudflare", "jquery", "bootstrap", "fontawesome", "netdna",
               "awesome", "googleapis")


def test_rendered_maps_load_only_leaflet_and_markercluster_from_our_server():
    from maps import base_map
    from maps import render_map

    meetings, result, sites = _coverage_data(n_meetings=2500)
    m = build_coverage_map(meetings, radius_km=10.0, gaps=result.gaps(None), sites=sites,
                           catchment=False, m=base_map(tiles="none"))
    html = render_map(m, assets="/static/vendor", nonce="n0nce")
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert sources == ["/static/vendor/leaflet/leaflet.js",
                       "/static/vendor/markercluster/leaflet.markercluster.js"]
    assert styles == ["/static/vendor/leaflet/leaflet.css",
                      "/static/vendor/markercluster/MarkerCluster.css",
                      "/static/vendor/markercluster/MarkerCluster.Default.css"]
    assert not [word for word in THIRD_PARTY if word in html.lower()]
    assert "https://" not in html  # not even tiles: they are off
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts
    assert all('nonce="n0nce"' in tag for tag in scripts), scripts
    assert "$(" not in html  # folium's popups need jQuery; ours do not


def test_a_map_written_to_a_file_carries_its_libraries():
    from maps import render_map

    html = render_map(build_growth_map(_trees()))
    assert "<script src=" not in html
    assert "<link rel=\"stylesheet\"" not in html
    assert "Leaflet 1.9.3" in html
    assert not [word for word in THIRD_PARTY if word in html.lower()]


def test_rendering_twice_keeps_one_set_of_links():
    from maps import render_map

    m = build_growth_map(_trees())
    render_map(m, assets="/a")
    html = render_map(m, assets="/b")
    assert re.findall(r'src="([^"]+)"', html) == ["/b/leaflet/leaflet.js"]


def test_tiles_setting():
    from maps import base_map
    from maps import tile_source

    osm = base_map().get_root().render()
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in osm
    assert "OpenStreetMap" in osm  # attribution
    assert "L.tileLayer" not in base_map(tiles="none").get_root().render()
    own = base_map(tiles="https://tiles.example.org/{z}/{x}/{y}.png|Example maps")
    assert "tiles.example.org" in own.get_root().render()
    for bad in ("http://tiles.example.org/{z}/{x}/{y}.png", "https://x.org/tile.png", "osm"):
        with pytest.raises(ValueError, match="tiles must be 'openstreetmap', 'none' or"):
            tile_source(bad)


@pytest.mark.parametrize("path", ["leaflet/../../__init__.py", "leaflet/leaflet.js.map",
                                  "jquery/jquery.min.js", "leaflet/", "leaflet/nope.js",
                                  "markercluster/../leaflet/leaflet.js"])
def test_vendor_files_are_an_allow_list(path):
    from maps import vendor_file

    assert vendor_file(path) is None


def test_vendor_files_exist():
    from maps import vendor_file
    from maps._assets import LIBRARIES

    for path in [*LIBRARIES.values(), "leaflet/images/layers.png"]:
        assert vendor_file(path) is not None, path


def test_legends_and_layer_lists_fold_on_phones_and_a_failed_map_says_so():
    html = build_opportunities_map((53.5, -2.6), _results(), radius_km=5).get_root().render()
    assert '<details class="cg-legend"' in html
    assert '.open = true' in html  # opened only when the screen is wider than a phone
    assert 'collapsed: false || window.matchMedia(\n                     "(max-width: 640px)")' \
        in html
    assert 'class="cg-map-failed"' in html
    assert "The map could not be drawn" in html


def test_marker_shapes_are_checked():
    from maps._layers import Point

    with pytest.raises(ValueError, match="shape must be one of circle, square"):
        Point(53.5, -2.6, tooltip="x", shape="star")
