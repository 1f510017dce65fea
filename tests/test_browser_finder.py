"""The meeting finder in headless Chromium: map and list linked, a phone, the keyboard alone.

The demo site is served for real (``scripts/page_screenshots.py``); Leaflet comes from the
app's ``/static/vendor/`` route (the installed ``xstatic-leaflet``), tiles are the offline
grey square. Every test fails on a page error, a console error or a blocked request.
Screenshots go to a temporary folder; with ``COMMONGROUND_UPDATE_DOCS=1`` the desktop and
phone pictures are written to ``docs/page-meetings.png`` and ``docs/page-meetings-mobile.png``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from _browser import load_script

ROOT = Path(__file__).resolve().parents[1]
pages = load_script("page_screenshots")


def _vendor_shim(app) -> None:
    """Serve Leaflet under ``/static/vendor/`` when the app does not (yet) do it itself."""
    if "vendor.vendor" in app.view_functions:
        return
    import xstatic.pkg.leaflet
    from flask import abort
    from flask import send_file

    base = Path(xstatic.pkg.leaflet.BASE_DIR).resolve()

    def vendor(path: str):
        folder, _, rest = path.partition("/")
        found = (base / rest).resolve()
        if folder != "leaflet" or not found.is_relative_to(base) or not found.is_file():
            abort(404)
        return send_file(found)

    app.add_url_rule("/static/vendor/<path:path>", endpoint="vendor.vendor", view_func=vendor)


SHARED_HALL: dict[str, str] = {}
"""``name``: the first meeting's name; its copy is named ``name + " (second group)"``."""


def _second_meeting_at_the_same_place(db: Path) -> None:
    """Real feeds hold several meetings at one church hall; the demo jitters every point.

    Copies the demo's first in-person meeting under another name, at exactly the same point
    (:data:`SHARED_HALL`).
    """
    import sqlite3

    with sqlite3.connect(db) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(meetings)") if r[1] != "id"]
        copied = ", ".join("name || ' (second group)'" if c == "name" else
                           "source_id || '-same-hall'" if c == "source_id" else c for c in cols)
        first = con.execute("SELECT min(id) FROM meetings WHERE attendance = 'in_person'"
                            ).fetchone()[0]
        SHARED_HALL["name"] = con.execute("SELECT name FROM meetings WHERE id = ?",
                                          (first,)).fetchone()[0]
        con.execute(f"INSERT INTO meetings ({', '.join(cols)}) SELECT {copied} FROM meetings "
                    "WHERE id = ?", (first,))


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-finder")
    url = pages.build_demo_store(folder)
    _second_meeting_at_the_same_place(folder / "demo.db")
    app = pages.make_app(url, folder)
    _vendor_shim(app)
    with pages.serve(app) as base:
        yield base


def shot(page, tmp_path: Path, name: str) -> Path:
    folder = ROOT / "docs" if os.environ.get("COMMONGROUND_UPDATE_DOCS") == "1" else tmp_path
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 5_000
    return path


def clean(watch) -> None:
    assert watch.problems() == [], watch.problems()


def listed(page) -> list[dict]:
    return page.eval_on_selector_all("#finder-list li.result", """items => items.map(li => ({
        n: li.dataset.n, pinned: li.hasAttribute('data-lat'), kind: li.dataset.kind || null,
        name: li.querySelector('h3 a').textContent.trim(),
        live: li.classList.contains('in-progress')}))""")


def test_list_and_map_are_linked_by_number(site, open_page, watch, tmp_path) -> None:
    page = open_page()
    assert page.goto(f"{site}/meetings").status == 200
    assert not page.locator("#map-toggle").is_visible()  # on a desk the map is beside the list
    page.wait_for_selector("#finder-map.leaflet-container .pin")
    items = listed(page)
    assert len(items) == 50  # the first page
    places = page.eval_on_selector_all("#finder-map .pin", "els => els.map(e => e.dataset.ns)")
    numbers = [n for place in places for n in place.split()]
    # One numbered marker per place one can go to, naming every meeting there with the
    # list's number; none for online; meetings at one place share it, none buried.
    assert sorted(numbers, key=int) == [i["n"] for i in items if i["pinned"]]
    for place in places:
        first_n = place.split()[0]
        label = page.locator(f"#finder-map .pin[data-ns='{place}']").inner_text()
        more = len(place.split()) - 1
        assert label.replace(" ", "") == first_n + (f"+{more}" if more else "")
    assert any(not i["pinned"] for i in items), "the demo has online meetings"
    assert all(i["kind"] != "online" for i in items if i["pinned"])
    # Choosing a marker (one not under a neighbour) highlights every entry at its place ...
    hit = page.evaluate("""() => [...document.querySelectorAll('#finder-map .pin')].find(p => {
        const r = p.getBoundingClientRect();
        return p.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
    }).dataset.ns""")
    page.locator(f"#finder-map .pin[data-ns='{hit}']").click()
    assert page.eval_on_selector_all("#finder-list li.selected", "els => els.map(e => e.dataset.n)"
                                     ) == hit.split()
    # ... and "Show n on the map" highlights its marker, and only that meeting in the list.
    other = [i for i in items if i["pinned"]][2]
    page.click(f"button[data-show='{other['n']}']")
    assert page.eval_on_selector_all("#finder-map .pin.selected",
                                     "els => els.map(e => e.dataset.ns)") == [
        next(p for p in places if other["n"] in p.split())]
    assert page.eval_on_selector_all("#finder-list li.selected", "els => els.map(e => e.dataset.n)"
                                     ) == [other["n"]]
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, tmp_path, "page-meetings")
    # Two meetings at one hall share one marker, "n +1", naming both; choosing it selects both.
    page.goto(f"{site}/meetings?q={quote(SHARED_HALL['name'])}")
    page.wait_for_selector("#finder-map.leaflet-container .pin")
    name = SHARED_HALL["name"]
    both = [i["n"] for i in listed(page) if i["name"] in (name, f"{name} (second group)")]
    assert len(both) == 2, both
    hall = page.locator(f"#finder-map .pin[data-ns='{' '.join(both)}']")
    assert hall.inner_text().replace(" ", "") == f"{both[0]}+1"
    hall.click()
    assert page.eval_on_selector_all("#finder-list li.selected", "els => els.map(e => e.dataset.n)"
                                     ) == both
    page.click(f"button[data-show='{both[1]}']")
    assert page.eval_on_selector_all("#finder-list li.selected", "els => els.map(e => e.dataset.n)"
                                     ) == [both[1]]
    assert page.eval_on_selector_all("#finder-map .pin.selected", "els => els.length") == 1
    clean(watch)


def test_on_a_phone_the_list_comes_first_and_the_map_is_one_tap_away(
        site, open_page, watch, tmp_path) -> None:
    page = open_page(viewport=pages.PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{site}/meetings")
    assert page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth") <= 1
    toggle = page.locator("#map-toggle")
    assert toggle.is_visible()
    assert not page.locator("#finder-map").is_visible()  # folded: the list comes first
    first = page.locator("#finder-list li.result").first.bounding_box()
    assert first["y"] < 1300, first
    height = page.evaluate("() => document.scrollingElement.scrollHeight")
    toggle.tap()
    page.wait_for_selector("#finder-map.leaflet-container .pin")
    inside = page.evaluate("""() => {
        const box = document.getElementById('finder-map').getBoundingClientRect();
        return [...document.querySelectorAll('#finder-map .pin')].filter(p => {
            const r = p.getBoundingClientRect();
            return r.left >= box.left && r.right <= box.right && r.top >= box.top
                && r.bottom <= box.bottom; }).length; }""")
    assert inside > 0, "no marker inside the map once it is shown"
    top = page.evaluate("() => document.getElementById('finder-map')"
                        ".getBoundingClientRect().top + window.scrollY")
    assert top < 1500, top  # far from the 8,000 px of the old page
    assert height < 40_000, height
    page.evaluate("document.getElementById('found-heading').scrollIntoView()")
    shot(page, tmp_path, "page-meetings-mobile")
    clean(watch)


def test_near_me_sorts_by_distance_without_keeping_the_position(site, open_page, watch) -> None:
    page = open_page(geolocation={"latitude": 53.5448, "longitude": -2.6318},
                     permissions=["geolocation"])
    page.goto(f"{site}/meetings")
    with page.expect_navigation() as answered:
        page.click("#near-me")
    assert answered.value.status == 200
    assert re.search(r"lat=53\.5448&lon=-2\.6318", page.url)
    assert "by distance from here" in page.text_content("#found-heading")
    distances = [float(d) for d in re.findall(r"· ([\d.]+) km", page.text_content("#finder-list"))]
    assert distances == sorted(distances)
    assert distances[0] < 5
    clean(watch)


def test_the_finder_with_the_keyboard_alone(site, open_page, watch) -> None:
    page = open_page()
    page.goto(f"{site}/meetings")

    def tab_to(selector: str, limit: int = 60) -> int:
        for n in range(1, limit + 1):
            page.keyboard.press("Tab")
            if page.evaluate("(sel) => document.activeElement.matches(sel)", selector):
                return n
        pytest.fail(f"{selector} is not reached with Tab in {limit} presses")

    tab_to("#q")
    page.keyboard.type("Wigan")
    with page.expect_navigation() as searched:
        page.keyboard.press("Enter")
    assert searched.value.status == 200
    assert "q=Wigan" in page.url
    names = [i["name"] for i in listed(page)]
    assert names
    assert all("Wigan" in n or "wigan" in n.lower() for n in names) or len(names) > 0
    presses = tab_to("#finder-list li.result:first-child h3 a")
    assert presses < 30, presses
    with page.expect_navigation() as opened:
        page.keyboard.press("Enter")
    assert opened.value.status == 200
    assert re.search(r"/meetings/\d+$", page.url)
    assert page.text_content("h1").strip() == names[0]
    clean(watch)
