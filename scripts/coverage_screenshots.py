"""Screenshots of the coverage map page: the sites with their lists, and the what-if.

    python scripts/coverage_screenshots.py [--out docs]

Serves the demo (``scripts/page_screenshots.py``: a real SQLite store, the app in a thread)
and opens ``/maps/coverage`` in headless Chromium, offline (Leaflet from local packages, grey
tiles). Writes ``map-coverage.png`` (hexagons, meetings, gaps and the five suggested sites,
numbered, with the panel listing the places each reaches and who devolves it) and
``map-coverage-what-if.png`` (after a click on central Manchester: the people a new group
there would add, and their places, answered by ``/api/coverage/what-if``).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WHAT_IF_LATLON = (53.4794, -2.2453)


def _pages_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "cg_page_screenshots", Path(__file__).with_name("page_screenshots.py"))
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with us
        msg = "scripts/page_screenshots.py is missing"
        raise FileNotFoundError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    """Write the two PNGs into ``--out``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args(argv)
    pages = _pages_module()
    helpers = pages.offline_helpers()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = pages.make_app(pages.build_demo_store(folder), folder)
        with pages.serve(app) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=helpers.CHROMIUM,
                                         args=helpers.CHROMIUM_ARGS)
            try:
                watch = pages.Watch()
                context = watch.route(browser.new_context(viewport={"width": 1400,
                                                                   "height": 900}))
                page = watch.attach(context.new_page())
                page.goto(f"{base}/maps/coverage?radius_km=10&count=5",
                          wait_until="networkidle", timeout=120_000)
                for _ in range(120):  # a first page after a change: sites come once worked out
                    if not page.locator(".cg-sites [role=status]").count():
                        break
                    page.wait_for_timeout(1000)
                    page.reload(wait_until="networkidle")
                page.wait_for_selector(".cg-sites li", timeout=60_000)
                page.wait_for_timeout(800)
                first = args.out / "map-coverage.png"
                page.screenshot(path=str(first))
                # a real click of the mouse where the point is drawn (markers included)
                x, y = page.evaluate("""([lat, lon]) => {
                    const id = document.querySelector('.folium-map').id;
                    const p = window[id].latLngToContainerPoint([lat, lon]);
                    const box = document.querySelector('.folium-map').getBoundingClientRect();
                    return [box.left + p.x, box.top + p.y];
                }""", list(WHAT_IF_LATLON))
                page.mouse.click(x, y)
                page.wait_for_function(
                    "() => document.querySelector('.cg-whatif-body').textContent"
                    ".includes('people at')", timeout=60_000)
                page.wait_for_timeout(300)
                second = args.out / "map-coverage-what-if.png"
                page.screenshot(path=str(second))
                problems = watch.problems()
            finally:
                browser.close()
    for path in (first, second):
        print(f"{path} {path.stat().st_size / 1024:,.0f} KB")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
