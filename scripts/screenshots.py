"""Render the three maps of the demo in headless Chromium, offline, and save PNG screenshots.

    python scripts/screenshots.py [--out docs]      # docs/map-coverage.png, ... for README

The maps are written as self-contained files (:func:`maps.render_map` without an assets URL:
Leaflet and Leaflet.markercluster from the ``xstatic-*`` packages written into the file), so
they need no network. :func:`offline_route` answers any request that leaves the page: map
tiles get a plain grey tile (recorded as ``tile``), anything else is refused and recorded as
``blocked``; ``tests/test_browser_maps.py`` fails on any ``blocked`` request and on any
JavaScript error.

Chromium runs without site isolation (``CHROMIUM_ARGS``): otherwise the requests of sandboxed
``<iframe srcdoc>`` map frames (an opaque origin, hence another process) are invisible to
Playwright's routing, and the tests could not see what a map frame asks for. The sandbox
itself (no access to the page, no cookies) is enforced by Blink either way.
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-site-isolation-trials",
                 "--disable-features=IsolateOrigins,site-per-process"]
#: Hosts that count as the app itself.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "cg.test")
#: A 1x1 light grey PNG, stretched by Leaflet into each 256 px tile.
GREY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGN4+vQpAAViArCRv9DsAAAAAElFTkSuQmCC")
#: Reports Content-Security-Policy violations of every frame as console errors.
CSP_REPORTER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('Content Security Policy violation: ' + e.violatedDirective + ' blocked '
                + (e.blockedURI || 'inline') + ' in ' + document.location.href);
});
"""


def missing_packages() -> list[str]:
    """The packages that the offline rendering needs and that are not installed."""
    missing = []
    for module, package in (("xstatic.pkg.leaflet", "xstatic-leaflet"),
                            ("xstatic.pkg.leaflet_markercluster",
                             "xstatic-leaflet-markercluster")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    return missing


def is_local(url: str) -> bool:
    """Whether ``url`` is the page itself or the app (loopback, ``cg.test``), not outside."""
    if url.startswith(("file:", "data:", "about:", "blob:")):
        return True
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def offline_route(route: Any, served: dict[str, str]) -> None:
    """A Playwright route handler: the app and local files pass; tiles grey; else refused.

    ``served`` records what each outside URL got (``tile`` or ``blocked``).
    """
    url = route.request.url
    if is_local(url):
        route.continue_()
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
    page.add_init_script(CSP_REPORTER)
    page.route("**/*", lambda route: offline_route(route, served))
    page.goto(html_path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    stats = page.evaluate("""() => {
        const el = document.querySelector('.folium-map');
        const map = el ? window[el.id] : null;
        let drawn = 0;
        const shape = l => l instanceof L.Path || l instanceof L.Marker;
        if (map) { map.eachLayer(l => { if (shape(l)) { drawn += 1; } }); }
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
    from maps import render_map  # noqa: PLC0415
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
        paths[name].write_text(render_map(m), encoding="utf-8")
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
