"""Load the demo's Meeting Guide feed into TSML UI in headless Chromium, as a peer site would.

    python scripts/feed_in_tsml_ui.py --app-js PATH/TO/tsml-ui/public/app.js \
        [--organisation ID] [--screenshot docs/feed-in-tsml-ui.png]

TSML UI (code4recovery/tsml-ui, MIT) is not part of this project and is never copied into it:
give the path of its built ``public/app.js`` (``git show HEAD:public/app.js`` from a clone).

The app runs for real on a demo SQLite store (``scripts/page_screenshots.py``'s helpers) and
serves ``/api/meetings/feed.json``; a second local server, on another port and so another
origin, serves a plain page with TSML UI's embed snippet whose ``data-src`` points at the
feed, so the cross-origin (CORS) answer is exercised too. Requests leaving the machine are
blocked. The script prints what TSML UI made of the feed (rows, "Inactive" rows, its console
warnings) as JSON, saves a screenshot when asked, and exits 1 when a meeting is missing or
shows as inactive, or TSML UI warned about an entry.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import importlib.util
import json
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
#: TSML UI's list of meetings: the table's last body (a first one, when there is one, repeats
#: the meetings in progress at the time of the run).
_LIST = "#tsml-ui table tbody:last-of-type"
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ACT Peer Recovery meetings</title></head>
<body style="font-family: sans-serif; margin: 2rem">
<h1 style="font-size: 1.4rem">A peer organisation's website</h1>
<div id="tsml-ui" data-src="{src}" data-timezone="Europe/London"></div>
<script src="app.js" async></script>
</body></html>
"""


def _page_helpers() -> Any:
    spec = importlib.util.spec_from_file_location(
        "cg_page_screenshots", Path(__file__).with_name("page_screenshots.py"))
    if spec is None or spec.loader is None:  # pragma: no cover - ships with us
        msg = "scripts/page_screenshots.py is missing"
        raise FileNotFoundError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _static(folder: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="cg-tsml-page", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line per request."""


def check_feed_in_tsml_ui(
    browser: Any, app_js: Path, *, organisation: int | None = None,
    screenshot: Path | None = None,
) -> dict[str, Any]:
    """Serve the demo feed, open it in TSML UI, and report what TSML UI shows.

    Parameters
    ----------
    browser
        A Playwright Chromium browser.
    app_js
        TSML UI's built ``public/app.js``.
    organisation
        Load ``feed.json?organisation=ID`` instead of the whole feed.
    screenshot
        Where to save a PNG of the page, if anywhere.

    Returns
    -------
    dict
        ``entries`` (in the feed), ``rows`` (meeting rows TSML UI lists), ``inactive``
        (rows it marks inactive), ``warnings`` (its console warnings), ``errors`` (page
        errors and failed requests), ``blocked`` (outside requests refused).
    """
    helpers = _page_helpers()
    with tempfile.TemporaryDirectory(prefix="cg-tsml-") as tmp:
        folder = Path(tmp)
        url = helpers.build_demo_store(folder)
        app = helpers.make_app(url, folder)
        site = folder / "site"
        site.mkdir()
        (site / "app.js").write_bytes(Path(app_js).read_bytes())
        with helpers.serve(app) as api, _static(site) as page_base:
            query = "" if organisation is None else f"?organisation={organisation}"
            feed_url = f"{api}/api/meetings/feed.json{query}"
            (site / "index.html").write_text(PAGE.format(src=feed_url), encoding="utf-8")
            entries = len(json.loads(app.test_client().get(feed_url[len(api):]).data))
            return _look(browser, f"{page_base}/index.html", entries=entries,
                         screenshot=screenshot)


def _look(browser: Any, page_url: str, *, entries: int, screenshot: Path | None
          ) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                  timezone_id="Europe/London")
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("http://127.0.0.1:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    warnings: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: (warnings if m.type == "warning" else errors
                                  if m.type == "error" else []).append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(page_url)
        try:
            page.wait_for_selector("#tsml-ui table tbody tr", timeout=20_000)
        except Exception:
            errors.append(f"no meeting listed; the page says: "
                          f"{page.inner_text('#tsml-ui')[:300]!r}")
        page.wait_for_timeout(500)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=False)
        rows = _all_rows(page, entries)
        inactive = page.locator(f"{_LIST} tr", has_text="Inactive").count()
    finally:
        context.close()
    return {"entries": entries, "rows": rows, "inactive": inactive,
            "warnings": [w for w in warnings if "TSML UI" in w], "errors": errors,
            "blocked": sorted(set(blocked))}


def _all_rows(page: Any, expected: int) -> int:
    """Scroll until TSML UI (which lists meetings a page at a time) lists ``expected`` rows.

    Stops early when three scrolls in a row bring no more.
    """
    rows = page.locator(f"{_LIST} tr")
    count, still = rows.count(), 0
    while count < expected and still < 3:  # noqa: PLR2004 - patience, in scrolls
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(500)
        now = rows.count()
        still = still + 1 if now == count else 0
        count = now
    return int(count)


def main(argv: list[str] | None = None) -> int:
    """Run the check; print the report; 0 when every meeting shows and is active."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-js", type=Path, required=True,
                        help="TSML UI's built public/app.js (not part of this project)")
    parser.add_argument("--organisation", type=int, default=None)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.app_js.is_file():
        parser.error(f"--app-js {str(args.app_js)!r} is not a file")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional tool

    helpers = _page_helpers().offline_helpers()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=helpers.CHROMIUM,
                                     args=[*helpers.CHROMIUM_ARGS, "--headless"])
        try:
            report = check_feed_in_tsml_ui(browser, args.app_js,
                                           organisation=args.organisation,
                                           screenshot=args.screenshot)
        finally:
            browser.close()
    print(json.dumps(report, indent=2))
    ok = report["rows"] >= report["entries"] and not report["inactive"] \
        and not report["warnings"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
