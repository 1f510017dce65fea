"""Render the three maps of the demo in headless Chromium, offline, and save PNG screenshots.

    python scripts/screenshots.py [--out docs]      # docs/map-coverage.png, ... for README

Folium pages load Leaflet and friends from CDNs, and there is no network here (nor in CI).
:func:`offline_route` answers those requests from local copies shipped in Python packages:
Leaflet 1.9.3 (``xstatic-leaflet``, the version folium asks for), Leaflet.markercluster
(``xstatic-leaflet-markercluster``) and jQuery 3.7.1 (``xstatic-jquery``, which folium's
popups use). Libraries our maps do not use (Bootstrap, Font Awesome, Leaflet.awesome-markers,
glyphicons) get an empty file, and map tiles a plain grey tile: the screenshots show the
layers on a blank background, not OpenStreetMap. ``tests/test_browser_maps.py`` uses the same
routing and fails on any JavaScript error.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: (pattern on the URL, xstatic package, file inside its data folder, content type)
LOCAL_ASSETS = (
    (r"leaflet@[\d.]+/dist/leaflet\.js$", "xstatic.pkg.leaflet", "leaflet.js",
     "application/javascript"),
    (r"leaflet@[\d.]+/dist/leaflet\.css$", "xstatic.pkg.leaflet", "leaflet.css", "text/css"),
    (r"leaflet@[\d.]+/dist/images/(?P<name>[\w.-]+\.png)$", "xstatic.pkg.leaflet", "images",
     "image/png"),
    (r"leaflet\.markercluster/[\d.]+/leaflet\.markercluster\.js$",
     "xstatic.pkg.leaflet_markercluster", "leaflet.markercluster.js", "application/javascript"),
    (r"leaflet\.markercluster/[\d.]+/MarkerCluster\.css$", "xstatic.pkg.leaflet_markercluster",
     "MarkerCluster.css", "text/css"),
    (r"leaflet\.markercluster/[\d.]+/MarkerCluster\.Default\.css$",
     "xstatic.pkg.leaflet_markercluster", "MarkerCluster.Default.css", "text/css"),
    (r"jquery[-/]3\.7\.1(/jquery)?\.min\.js$", "xstatic.pkg.jquery", "jquery.min.js",
     "application/javascript"),
)
#: Libraries folium always loads but our maps never call: served empty.
UNUSED = ("bootstrap", "awesome-markers", "fontawesome", "glyphicons", "awesome.rotate")
#: A 1x1 light grey PNG, stretched by Leaflet into each 256 px tile.
GREY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGN4+vQpAAViArCRv9DsAAAAAElFTkSuQmCC")


def local_asset(url: str) -> tuple[bytes, str] | None:
    """The local copy of a CDN file folium asks for, or ``None`` (package missing too)."""
    for pattern, package, name, kind in LOCAL_ASSETS:
        found = re.search(pattern, url)
        if found:
            try:
                module = importlib.import_module(package)
            except ImportError:
                return None
            path = Path(module.BASE_DIR) / name
            if "name" in found.groupdict():
                path = path / found["name"]
            return (path.read_bytes(), kind) if path.is_file() else None
    return None


def missing_packages() -> list[str]:
    """The xstatic packages that the offline rendering needs and that are not installed."""
    missing = []
    for package in sorted({p for _r, p, _n, _k in LOCAL_ASSETS}):
        try:
            importlib.import_module(package)
        except ImportError:
            missing.append(package.replace("xstatic.pkg.", "xstatic-").replace("_", "-"))
    return missing


def offline_route(route: Any, served: dict[str, str]) -> None:
    """A Playwright route handler: local copies, empty unused libraries, grey tiles.

    ``served`` records what each external URL got (``local``, ``empty``, ``tile``,
    ``blocked``) so that a test can check that nothing it needs was stubbed.
    """
    url = route.request.url
    if url.startswith(("file:", "data:", "about:")) or "127.0.0.1" in url or "localhost" in url:
        route.continue_()
        return
    found = local_asset(url)
    if found is not None:
        served[url] = "local"
        route.fulfill(status=200, body=found[0], content_type=found[1])
    elif any(word in url for word in UNUSED):
        served[url] = "empty"
        route.fulfill(status=200, body="",
                      content_type="text/css" if url.endswith(".css") else
                      "application/javascript")
    elif re.search(r"/\d+/\d+/\d+\.png", url):
        served[url] = "tile"
        route.fulfill(status=200, body=GREY_PNG, content_type="image/png")
    else:
        served[url] = "blocked"
        route.abort()


def render(page: Any, html_path: Path, png_path: Path | None = None) -> dict[str, Any]:
    """Open a saved map; return JavaScript errors, console errors and what was served."""
    errors: list[str] = []
    console: list[str] = []
    served: dict[str, str] = {}
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.route("**/*", lambda route: offline_route(route, served))
    page.goto(html_path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    stats = page.evaluate("""() => {
        const el = document.querySelector('.folium-map');
        const map = el ? window[el.id] : null;
        let drawn = 0;
        if (map) { map.eachLayer(l => { if (l instanceof L.Path) { drawn += 1; } }); }
        return {
            drawn: drawn,
            legend: document.querySelectorAll('.cg-legend').length,
            layers: document.querySelectorAll('.leaflet-control-layers-selector').length,
            clusters: document.querySelectorAll('.marker-cluster').length,
            leaflet: typeof window.L === 'object' ? window.L.version : null,
        };
    }""")
    if png_path is not None:
        page.screenshot(path=str(png_path))
    return {"errors": errors, "console": console, "served": served, **stats}


def build_demo_maps(folder: Path) -> dict[str, Path]:
    """Load the demo into a temporary SQLite store and save the three maps as HTML."""
    sys.path.insert(0, str(ROOT))
    from ingest.demo import load_demo  # noqa: PLC0415
    from service import create_app  # noqa: PLC0415
    from service import get_context  # noqa: PLC0415
    from service.cli import interest_rows  # noqa: PLC0415
    from service.usecases import coverage  # noqa: PLC0415
    from service.usecases.search import parse_search  # noqa: PLC0415
    from service.usecases.search import search_on_map  # noqa: PLC0415
    from store import Store  # noqa: PLC0415

    store = Store(f"sqlite:///{folder / 'demo.db'}")
    store.init_db()
    store.seed_interests(interest_rows())
    load_demo(store)
    app = create_app({"DATABASE_URL": store.url, "SECRET_KEY": "screenshots",
                      "INSTANCE_PATH": str(folder)})
    paths = {}
    with app.app_context():
        maps = {
            "coverage": coverage.coverage_map(store, radius_km=10.0, count=5),
            "growth": coverage.growth_map(store),
            "opportunities": search_on_map(get_context(app), parse_search(
                {"place": "Wigan", "interests": "gardening,outdoors", "radius_km": 12.0})).map,
        }
    for name, m in maps.items():
        paths[name] = folder / f"map-{name}.html"
        m.save(str(paths[name]))
    store.dispose()
    return paths


def main(argv: list[str] | None = None) -> int:
    """Write ``map-coverage.png``, ``map-growth.png`` and ``map-opportunities.png``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args(argv)
    missing = missing_packages()
    if missing:
        print(f"install {' '.join(missing)} first (pip)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, html in build_demo_maps(Path(tmp)).items():
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            result = render(page, html, args.out / f"map-{name}.png")
            print(f"{name}: {html.stat().st_size:,} bytes of HTML, "
                  f"{result['drawn']} shapes drawn, errors: {result['errors'] or 'none'}")
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
