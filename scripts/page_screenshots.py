"""Serve the site on a demo store, drive it in headless Chromium, and save page screenshots.

    python scripts/page_screenshots.py [--out docs]     # docs/page-search.png, ... for README

The app runs for real: :func:`build_demo_store` loads the demo data set and its demo accounts
into a SQLite file in a temporary folder, :func:`make_app` builds the app as production would
(CSRF on, not in testing mode; only the ``Secure`` cookie flag is off because the server speaks
plain HTTP) and :func:`serve` runs it with werkzeug's server in a thread on a free loopback
port. Pages are opened in Debian's ``/usr/bin/chromium`` through Playwright, with the offline
routing of ``scripts/screenshots.py``: the maps' CDN libraries come from the ``xstatic-*``
packages, tiles are a grey square and any other outside request is blocked (and recorded).

``tests/test_browser_pages.py`` uses the same helpers and checks the flows; this script only
takes the pictures of the README's "The pages" section.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
import tempfile
import threading
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
#: Desktop and phone viewports of the screenshots.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
#: A postcode district of a demo town, placed by the offline geocoder, and two interests.
SEARCH = {"postcode": "WN1", "interests": ("gardening",), "text": "I like being near water"}


def offline_helpers() -> Any:
    """``scripts/screenshots.py`` as a module: Chromium path and args, offline routing."""
    spec = importlib.util.spec_from_file_location("cg_screenshots",
                                                  Path(__file__).with_name("screenshots.py"))
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with us
        msg = "scripts/screenshots.py is missing"
        raise FileNotFoundError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_demo_store(folder: Path) -> str:
    """A SQLite store in ``folder`` with the demo data set and the demo accounts; its URL."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from ingest.demo import load_demo  # noqa: PLC0415
    from service.cli import interest_rows  # noqa: PLC0415
    from service.usecases.accounts import create_demo_users  # noqa: PLC0415
    from store import Store  # noqa: PLC0415

    store = Store(f"sqlite:///{folder / 'demo.db'}")
    try:
        store.init_db()
        store.seed_interests(interest_rows())
        load_demo(store)
        create_demo_users(store)
    finally:
        store.dispose()
    return store.url


def make_app(database_url: str, folder: Path) -> Any:
    """The app as it runs in production (CSRF on), but with cookies allowed over plain HTTP.

    Parameters
    ----------
    database_url
        The store, from :func:`build_demo_store`.
    folder
        Its instance folder (caches).

    Returns
    -------
    flask.Flask
        The app.
    """
    from service import create_app  # noqa: PLC0415

    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "page-screenshots",
                       "INSTANCE_PATH": str(folder), "SECURE_COOKIES": "0",
                       "LOG_LEVEL": "WARNING", "MAP_TILES": "none"})


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL, then stop.

    Parameters
    ----------
    app
        A Flask app (from :func:`make_app`); its store is disposed of on the way out.

    Yields
    ------
    str
        ``http://127.0.0.1:<port>``.
    """
    import logging  # noqa: PLC0415

    from werkzeug.serving import make_server  # noqa: PLC0415

    from service import get_store  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="cg-page-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        get_store(app).dispose()


class Watch:
    """What a browser context did: every request, page errors, console errors (CSP too).

    Attach it with :meth:`attach` to every page of a context (the context's routing is set
    once, by :meth:`route`). ``requests`` lists every URL any frame of the context asked for
    (map frames included); ``served`` maps each outside URL to ``tile`` or ``blocked`` (see
    ``scripts/screenshots.py::offline_route``). Content-Security-Policy violations of any
    frame reach the console as errors (``securitypolicyviolation`` events, reported by an
    init script, and Chromium's own messages).
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.console: list[str] = []
        self.served: dict[str, str] = {}
        self.requests: list[str] = []
        self._helpers = offline_helpers()

    def route(self, context: Any) -> Any:
        """Send every request of ``context`` through the offline routing; return it."""
        context.add_init_script(self._helpers.CSP_REPORTER)
        context.on("request", lambda request: self.requests.append(request.url))
        context.route("**/*", lambda route: self._helpers.offline_route(route, self.served))
        return context

    def outside(self) -> list[str]:
        """Requests to any host other than the app (there should be none: tiles are off)."""
        return [url for url in self.requests if not self._helpers.is_local(url)]

    def attach(self, page: Any) -> Any:
        """Record ``page``'s uncaught exceptions and console errors; return the page."""
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: self.console.append(f"{page.url}: {msg.text}")
                if msg.type == "error" else None)
        return page

    def problems(self) -> list[str]:
        """Everything that went wrong, as lines (empty when all is well)."""
        outside = [f"request to another host: {url}" for url in self.outside()]
        return self.errors + self.console + outside


def sign_in(page: Any, base: str, email: str, password: str) -> Any:
    """Sign in through the ``/login`` form; return the answer to the form's POST."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation() as navigation:
        page.click("form.stack button[type=submit]")
    if navigation.value.status != HTTPStatus.OK or "/login" in page.url:
        msg = f"signing in as {email!r} failed: {navigation.value.status} at {page.url}"
        raise RuntimeError(msg)
    return navigation.value


def sign_out(page: Any) -> None:
    """Press "Sign out" in the header (a CSRF-protected POST)."""
    with page.expect_navigation():
        page.click("nav.staff-nav form button[type=submit]")


def peer_search(page: Any, base: str, *, postcode: str, interests: tuple[str, ...],
                text: str = "") -> Any:
    """Search as a peer through the form on ``/``; return the answer to the search."""
    page.goto(f"{base}/")
    page.fill("#postcode", postcode)
    for slug in interests:
        page.check(f"input[name=interests][value='{slug}']")
    if text:
        page.fill("#text", text)
    with page.expect_navigation() as navigation:
        page.click("#search-form button[type=submit]")
    return navigation.value


def wait_for_maps(page: Any, *, timeout_ms: float = 10_000) -> list[bool]:
    """Scroll each map iframe into view (they load lazily), wait until Leaflet has drawn it.

    Returns
    -------
    list of bool
        Per iframe of the page, in order: whether its folium map is a live Leaflet map with
        a sized map container (a map that did not render answers ``False``, not an error).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415

    rendered = []
    for frame_element in page.query_selector_all("iframe"):
        frame_element.scroll_into_view_if_needed()
        frame = frame_element.content_frame()
        ok = frame is not None
        if ok:
            try:
                frame.wait_for_function(
                    """() => { const el = document.querySelector('.folium-map');
                               return !!(el && window.L && window[el.id]
                                         && el.querySelector('.leaflet-pane')
                                         && el.getBoundingClientRect().height > 50); }""",
                    timeout=timeout_ms)
            except PlaywrightTimeout:
                ok = False
        rendered.append(ok)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # tiles and vector layers settle
    return rendered


def take(page: Any, path: Path, *, top: str | None = None, bottom: str | None = None,
         max_height: int = 1800) -> Path:
    """A PNG of ``page``: the viewport, or the part from ``top`` down to ``bottom``.

    Parameters
    ----------
    page
        A Playwright page.
    path
        Where to write the PNG.
    top, bottom
        CSS selectors: the picture starts at the top of ``top`` (else at the top of the
        page) and, when ``bottom`` is given, ends below ``bottom`` (at most ``max_height``
        pixels); without ``bottom`` it is one viewport high.
    max_height
        The tallest picture, in CSS pixels.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    box = page.evaluate("""([top, bottom]) => {
        const y = (sel, edge) => { const r = document.querySelector(sel).getBoundingClientRect();
                                   return window.scrollY + r[edge]; };
        return {top: top ? Math.max(0, y(top, 'top') - 16) : 0,
                bottom: bottom ? y(bottom, 'bottom') + 16 : null,
                width: document.documentElement.clientWidth, height: window.innerHeight};
    }""", [top, bottom])
    end = box["bottom"] if box["bottom"] is not None else box["top"] + box["height"]
    clip = {"x": 0, "y": box["top"], "width": box["width"],
            "height": min(end - box["top"], max_height)}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    return path


def _review_page(page: Any, base: str, out: Path) -> Path:
    """The admin's review page of the first association listed."""
    page.goto(f"{base}/admin/associations")
    with page.expect_navigation():
        page.click("table a[href*='/admin/associations/']")
    wait_for_maps(page)
    return take(page, out / "page-admin-association.png", bottom="main")


def take_all(browser: Any, base: str, out: Path) -> dict[str, Path]:
    """Visit every page and write its PNG into ``out``; raise if any page went wrong."""
    from service.usecases.accounts import DEMO_ACCOUNTS  # noqa: PLC0415

    accounts = {a["role"]: a for a in DEMO_ACCOUNTS}
    watch = Watch()
    shots: dict[str, Path] = {}
    context = watch.route(browser.new_context(viewport=DESKTOP))
    page = watch.attach(context.new_page())
    peer_search(page, base, **SEARCH)
    wait_for_maps(page)
    shots["search"] = take(page, out / "page-search.png", bottom=".results .map-frame")
    page.set_viewport_size({"width": 375, "height": 812})
    shots["search-375"] = take(page, out / "page-search-375.png", bottom=".result-list")
    page.set_viewport_size(DESKTOP)
    with page.expect_navigation():
        page.click("ol.result-list li.result h3 a")
    wait_for_maps(page)
    shots["opportunity"] = take(page, out / "page-opportunity.png", bottom=".map-frame")
    page.goto(f"{base}/meetings?day=2")
    wait_for_maps(page)
    shots["meetings"] = take(page, out / "page-meetings.png")
    for name, path, bottom in (("login", "/login", None),
                               ("register", "/partner/register", "form.stack")):
        page.goto(base + path)
        shots[name] = take(page, out / f"page-{name}.png", bottom=bottom)
    for role, name, url, bottom in (("association", "partner", "/partner/", None),
                                    ("hotspot_lead", "hotspots", "/hotspots", ".map-frame"),
                                    ("admin", "admin", "/admin/organisations", None)):
        sign_in(page, base, accounts[role]["email"], accounts[role]["password"])
        if page.goto(base + url).status != HTTPStatus.OK or page.url != base + url:
            msg = f"{url} as {role}: {page.url}"
            raise RuntimeError(msg)
        wait_for_maps(page)
        shots[name] = take(page, out / f"page-{name}.png", bottom=bottom)
        if role == "association":
            with page.expect_navigation():
                page.click("table a[href*='/edit']")
            shots["partner-edit"] = take(page, out / "page-partner-edit.png")
        if role == "admin":
            shots["admin-association"] = _review_page(page, base, out)
        sign_out(page)
    context.close()

    phone = watch.route(browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True))
    page = watch.attach(phone.new_page())
    peer_search(page, base, **SEARCH)
    wait_for_maps(page)
    shots["search-mobile"] = take(page, out / "page-search-mobile.png", top=".search-summary")
    frame = page.query_selector(".results .map-frame")
    frame.scroll_into_view_if_needed()
    shots["map-phone"] = out / "page-map-phone.png"
    frame.screenshot(path=str(shots["map-phone"]))
    phone.close()
    problems = watch.problems()
    if problems:
        raise RuntimeError("\n".join(problems))
    return shots


def main(argv: list[str] | None = None) -> int:
    """Write ``page-*.png`` into ``--out`` (``docs/``), one per page of the site."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args(argv)
    helpers = offline_helpers()
    missing = helpers.missing_packages()
    if missing:
        print(f"install {' '.join(missing)} first (pip)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = make_app(build_demo_store(folder), folder)
        with serve(app) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=helpers.CHROMIUM,
                                         args=helpers.CHROMIUM_ARGS)
            try:
                shots = take_all(browser, base, args.out)
            finally:
                browser.close()
    for name, path in shots.items():
        print(f"{name:14} {path} {path.stat().st_size / 1024:,.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
