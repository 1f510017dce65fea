"""The three maps of the demo in headless Chromium: no JavaScript errors, and screenshots.

There is no network here. The maps are written as self-contained files (Leaflet and
markercluster inside, :func:`maps.render_map`), tiles get a grey square, and any other request
is refused and recorded: see ``scripts/screenshots.py``. A test fails on any request to
another host than the tile server, if the page throws, or if the console reports an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _browser import load_script

from maps import render_map

ROOT = Path(__file__).resolve().parents[1]


shots = load_script("screenshots")


@pytest.fixture(scope="module")
def demo_maps(demo_stores, tmp_path_factory):
    from service import create_app
    from service import get_context
    from service import get_store
    from service.usecases import coverage
    from service.usecases.search import parse_search
    from service.usecases.search import search_on_map

    folder = tmp_path_factory.mktemp("browser-maps")
    store = demo_stores["sqlite"]
    app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "t",
                      "INSTANCE_PATH": str(folder)})
    maps = {
        "coverage": coverage.coverage_map(store, radius_km=10.0, count=5),
        "growth": coverage.growth_map(store),
        "opportunities": search_on_map(get_context(app), parse_search(
            {"place": "Wigan", "interests": "gardening", "radius_km": 12.0})).map,
    }
    get_store(app).dispose()
    paths = {}
    for name, m in maps.items():
        paths[name] = folder / f"map-{name}.html"
        paths[name].write_text(render_map(m), encoding="utf-8")
    return paths


def _check(result: dict) -> None:
    assert result["errors"] == [], result["errors"]
    assert result["console"] == [], result["console"]  # CSP violations are console errors
    # nothing but tiles leaves the file: no CDN, no font, no icon
    assert set(result["served"].values()) <= {"tile"}, result["served"]
    assert result["leaflet"] == "1.9.3"
    assert result["legend"] == 1
    assert result["drawn"] > 0


@pytest.mark.parametrize("name", ["coverage", "growth", "opportunities"])
def test_demo_map_loads_without_errors_and_is_screenshotted(browser, demo_maps, name,
                                                            tmp_path):
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    png = tmp_path / f"map-{name}.png"
    result = shots.render(page, demo_maps[name], png)
    page.close()
    _check(result)
    assert result["layers"] >= 3  # LayerControl inputs
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (1000, 700)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 20  # layers were drawn, not a blank page


def test_growth_slider_switches_years(browser, demo_maps):
    page = browser.new_page()
    result = shots.render(page, demo_maps["growth"])
    _check(result)
    last = page.evaluate("() => document.querySelector('.cg-year-slider b').textContent")
    # organisations are shaped markers (one shape per generation), their links are lines
    drawn = """() => { const map = window[document.querySelector('.folium-map').id];
        let n = 0; map.eachLayer(l => { if (l instanceof L.Path || l instanceof L.Marker) {
            n += 1; } }); return n; }"""
    before = page.evaluate(drawn)
    page.evaluate("""() => { const input = document.querySelector('.cg-year-slider input');
                             input.value = '0'; input.dispatchEvent(new Event('input')); }""")
    first = page.evaluate("() => document.querySelector('.cg-year-slider b').textContent")
    after = page.evaluate(drawn)
    page.close()
    assert int(first) < int(last)
    assert 0 < after < before  # fewer organisations in the first year


#: Whether the map's note is visible: its size and text, and whether an opaque map covers it.
COVER = """() => {
    const note = document.querySelector('.cg-map-failed');
    const map = document.querySelector('.folium-map');
    const bg = getComputedStyle(map).backgroundColor;
    return {note: note.getBoundingClientRect().height, text: note.textContent.trim(),
            covered: bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent',
            leaflet: typeof window.L};
}"""


def test_a_map_whose_scripts_do_not_load_says_so(browser, tmp_path):
    from maps import build_coverage_map

    path = tmp_path / "broken.html"
    html = render_map(build_coverage_map([{"name": "A", "lat": 53.5, "lon": -2.6}],
                                         radius_km=5.0), assets="https://cdn.invalid/vendor")
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 600, "height": 400})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
               else r.abort())
    page.goto(path.as_uri())
    page.wait_for_timeout(300)
    seen = page.evaluate(COVER)
    page.close()
    assert seen["leaflet"] == "undefined"
    assert seen["note"] > 20  # the note is there, with its text
    assert seen["text"].startswith("The map could not be drawn")
    assert seen["covered"] is False  # and nothing opaque lies over it


def test_a_drawn_map_covers_the_note(browser, demo_maps):
    page = browser.new_page(viewport={"width": 600, "height": 400})
    result = shots.render(page, demo_maps["growth"])
    seen = page.evaluate(COVER)
    page.close()
    _check(result)
    assert seen["covered"] is True  # the drawn map hides the note


def test_clustered_meetings_render_without_errors(browser, tmp_path):
    from maps import build_coverage_map

    rng = np.random.default_rng(1)
    meetings = pd.DataFrame({"name": [f"<b>Group</b> {i}" for i in range(3000)],
                             "lat": 53.0 + rng.uniform(0, 1.5, 3000),
                             "lon": -3.0 + rng.uniform(0, 2.0, 3000)})
    path = tmp_path / "clustered.html"
    path.write_text(render_map(build_coverage_map(meetings, radius_km=5.0)), encoding="utf-8")
    page = browser.new_page()
    result = shots.render(page, path)
    page.close()
    _check(result)
    assert result["clusters"] > 0


# -- the what-if of the coverage page, clicked with the real mouse ---------------------------

pages = load_script("page_screenshots")
MANCHESTER_LATLON = (53.4808, -2.2426)


@pytest.fixture(scope="module")
def served(browser, tmp_path_factory):
    """The demo site served on a loopback port (the what-if answers from its API)."""
    folder = tmp_path_factory.mktemp("browser-what-if")
    with pages.serve(pages.make_app(pages.build_demo_store(folder), folder)) as base:
        yield base


def _what_if_text(page) -> str:
    return page.evaluate("() => document.querySelector('.cg-whatif-body').textContent")


def test_a_real_click_on_the_coverage_map_asks_the_what_if(served, open_page, watch):
    """Issue 14: a real mouse click did nothing where markers are (most of a city).

    Leaflet markers do not pass clicks on to the map (``bubblingMouseEvents: false``), and
    the what-if listened to the map's "click" only: a click on Manchester landed on a meeting
    marker and never reached it. Programmatic ``map.fire('click')`` hid that.
    """
    page = open_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/coverage/what-if" in r.url else None)
    page.goto(f"{served}/maps/coverage?radius_km=10&count=5", wait_until="networkidle",
              timeout=120_000)
    for _ in range(120):  # the first page after a change shows the sites once worked out
        if not page.locator(".cg-sites [role=status]").count():
            break
        page.wait_for_timeout(1000)
        page.reload(wait_until="networkidle")
    page.wait_for_selector(".cg-sites li", timeout=60_000)
    x, y = page.evaluate("""([lat, lon]) => {
        const el = document.querySelector('.folium-map');
        const p = window[el.id].latLngToContainerPoint([lat, lon]);
        const box = el.getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", list(MANCHESTER_LATLON))
    # the click lands on a marker (the case that failed), not on the bare map
    hit = page.evaluate("([x, y]) => !!document.elementFromPoint(x, y)"
                        ".closest('.leaflet-marker-icon')", [x, y])
    assert hit
    page.mouse.click(x, y)
    page.wait_for_function("() => document.querySelector('.cg-whatif-body').textContent"
                           ".includes('people at')", timeout=30_000)
    assert "Manchester" in _what_if_text(page)
    assert len(asked) == 1  # one question per click, not one from Leaflet and one from the DOM
    # a drag pans the map and asks nothing; a click on a control asks nothing
    page.mouse.move(x + 200, y + 100)
    page.mouse.down()
    page.mouse.move(x + 260, y + 160, steps=5)
    page.mouse.up()
    page.locator(".leaflet-control-zoom-in").click()
    page.wait_for_timeout(500)
    assert len(asked) == 1, asked
    assert watch.problems() == [], watch.problems()
