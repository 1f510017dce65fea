"""The site in headless Chromium, served for real: peers, partners and hotspot leads.

One app per module runs on a SQLite store holding the demo data set and the demo accounts,
served by werkzeug on a free loopback port (``scripts/page_screenshots.py``: CSRF on, as in
production; only the ``Secure`` cookie flag is off for plain HTTP). Pages are driven in
Debian's ``/usr/bin/chromium`` through Playwright, with the offline routing of
``scripts/screenshots.py`` (the maps' libraries from the ``xstatic-*`` packages, grey tiles,
anything else outside blocked). Every test fails on a page error, a console error or a
blocked request, and saves a screenshot of each page it sees.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _browser import load_script

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INTERESTS = ("gardening", "outdoors")
NEW_TITLE = "Towpath bike-fixing pop-up for browser peers"


pages = load_script("page_screenshots")


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    """``(base URL, store URL)`` of the demo site, served while the module runs."""
    folder = tmp_path_factory.mktemp("browser-pages")
    url = pages.build_demo_store(folder)
    with pages.serve(pages.make_app(url, folder)) as base:
        yield base, url


@pytest.fixture
def store_of(site):
    """The site's store, opened again by the test to read what it needs to know."""
    from store import Store

    store = Store(site[1])
    yield store
    store.dispose()


def account(role: str) -> dict[str, str]:
    from service.usecases.accounts import DEMO_ACCOUNTS

    return next(a for a in DEMO_ACCOUNTS if a["role"] == role)


def shoot(page, folder: Path, name: str) -> Path:
    """Save a screenshot of the page and check that it is a real, non-blank picture."""
    from PIL import Image

    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path
    assert path.stat().st_size > 5_000, (path, path.stat().st_size)
    with Image.open(path) as image:
        assert image.size[0] == page.viewport_size["width"], image.size
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 20, f"{path} is nearly blank ({len(colours)} colours)"
    return path


def assert_clean(watch) -> None:
    assert watch.problems() == [], watch.problems()


def results_of(page) -> list[dict]:
    return page.eval_on_selector_all("ol.result-list li.result", """items => items.map(li => ({
        title: li.querySelector('h3 a').textContent.trim(),
        href: li.querySelector('h3 a').getAttribute('href'),
        reasons: [...li.querySelectorAll('.reasons li')].map(r => r.textContent.trim()),
    }))""")


def map_stats(frame) -> dict:
    """What the folium map inside an iframe drew (Leaflet's own view of it)."""
    return frame.evaluate("""() => {
        const el = document.querySelector('.folium-map');
        const map = el && window[el.id];
        let paths = 0, markers = 0;
        if (map) { map.eachLayer(l => { if (l instanceof L.Path) { paths += 1; }
                                        if (l instanceof L.Marker) { markers += 1; } }); }
        return {leaflet: window.L ? L.version : null, live: !!map, paths: paths,
                markers: markers, height: el ? el.getBoundingClientRect().height : 0};
    }""")


def partner_association(store_of) -> dict:
    from store.partner import association_summary
    from store.users import find_user_by_email

    user = find_user_by_email(store_of, account("association")["email"])
    return association_summary(store_of, user.association_id)


# -- a peer ----------------------------------------------------------------------------------


def test_a_peer_searches_by_postcode_with_two_interests_and_opens_a_result(
        site, open_page, watch, tmp_path) -> None:
    base, _url = site
    page = open_page()
    response = pages.peer_search(page, base, postcode="WN1", interests=INTERESTS)
    assert response.status == 200
    assert page.locator(".demo-banner").is_visible()
    heading = page.text_content("#results-heading")
    assert re.search(r"\d+ found\s+within 15 km of the centre of WN1?, showing 1-\d+",
                     heading), heading
    found = results_of(page)
    assert len(found) >= 3, found
    for r in found:
        assert r["reasons"], r
        assert any(re.search(r"^[\d.]+ km from", reason) for reason in r["reasons"]), r
    assert any(any(i in reason for i in INTERESTS) for r in found for reason in r["reasons"])
    # The list is the recommender's ranking: the same order as the JSON API gives.
    api = page.request.get(f"{base}/api/recommendations?postcode=WN1&radius_km=15&"
                           f"interests={','.join(INTERESTS)}&limit={len(found)}")
    assert api.status == 200
    assert [r["title"] for r in found] == [r["title"] for r in api.json()["results"]]
    assert pages.wait_for_maps(page) == [True]
    stats = map_stats(page.query_selector("iframe").content_frame())
    assert stats["leaflet"] == "1.9.3"
    assert stats["markers"] >= len(found), stats  # a numbered marker per opportunity
    shoot(page, tmp_path, "search")

    with page.expect_navigation() as opened:
        page.click("ol.result-list li.result h3 a")
    assert opened.value.status == 200
    assert page.url == base + found[0]["href"]
    assert page.text_content("h1").strip() == found[0]["title"]
    assert page.locator("a", has_text="Back to your results").count() == 1
    assert pages.wait_for_maps(page) == [True]
    shoot(page, tmp_path, "opportunity")
    assert_clean(watch)


def test_the_search_works_at_375px_with_the_keyboard_alone(site, open_page, watch,
                                                            tmp_path) -> None:
    base, _url = site
    page = open_page(viewport=pages.PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{base}/")
    overflow = "() => document.scrollingElement.scrollWidth - window.innerWidth"
    assert page.evaluate(overflow) <= 1
    shoot(page, tmp_path, "search-375")

    def tab_to(selector: str, limit: int = 80) -> int:
        for n in range(1, limit + 1):
            page.keyboard.press("Tab")
            if page.evaluate("(sel) => document.activeElement.matches(sel)", selector):
                return n
        pytest.fail(f"{selector} is not reached with Tab in {limit} presses")

    tab_to("#postcode")
    page.keyboard.type("WN1")
    tab_to(f"input[name=interests][value='{INTERESTS[0]}']")
    page.keyboard.press("Space")
    assert page.is_checked(f"input[name=interests][value='{INTERESTS[0]}']")
    tab_to("#search-form button[type=submit]")
    with page.expect_navigation() as searched:
        page.keyboard.press("Enter")
    assert searched.value.status == 200
    assert f"interests={INTERESTS[0]}" in page.url
    assert "postcode=WN1" in page.url
    assert results_of(page), "no results after a search made with the keyboard"
    assert page.evaluate(overflow) <= 1
    assert pages.wait_for_maps(page) == [True]
    widths = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className)""")
    assert widths == [], widths
    shoot(page, tmp_path, "results-375")
    assert_clean(watch)


# -- a partner association -------------------------------------------------------------------


def test_a_partner_adds_a_need_and_a_peer_nearby_then_finds_it(site, open_page, watch,
                                                                store_of, tmp_path) -> None:
    base, _url = site
    association = partner_association(store_of)
    lat, lon = association["lat"] + 0.002, association["lon"] - 0.003  # ~300 m away
    page = open_page()
    landed = pages.sign_in(page, base, account("association")["email"],
                           account("association")["password"])
    assert landed.status == 200
    assert page.url == f"{base}/partner/"
    assert page.text_content("h1").strip() == association["name"]
    shoot(page, tmp_path, "partner")
    assert NEW_TITLE not in page.content()

    page.click("text=Add a need")
    page.wait_for_url(f"{base}/partner/opportunities/new")
    page.fill("#title", NEW_TITLE)
    page.fill("#description", "Help mend bikes on the towpath on Saturdays; tools provided.")
    page.check("input[name=interests][value='diy-repair']")
    page.fill("#skills", "puncture repair, brake adjustment")
    page.fill("#lat", f"{lat:.6f}")
    page.fill("#lon", f"{lon:.6f}")
    # Typing a point chooses "At a point" (the form's script); nothing else is needed.
    assert page.is_checked("input[name=location_from][value=point]")
    shoot(page, tmp_path, "partner-new")
    with page.expect_navigation() as saved:
        page.click("form.stack button[type=submit]")
    assert saved.value.status == 200
    new_id = int(re.fullmatch(rf"{re.escape(base)}/partner/opportunities/(\d+)/edit",
                              page.url)[1])
    assert NEW_TITLE in page.text_content("h1")
    assert page.input_value("#lat") == f"{lat:.6f}"
    assert re.search(r"\d+ within 5 km", page.text_content(".reach"))
    shoot(page, tmp_path, "partner-edit")
    pages.sign_out(page)
    assert page.url.startswith(f"{base}/login")

    # A peer standing there, in a browser that never signed in, uses "Use my location".
    peer = open_page(geolocation={"latitude": lat, "longitude": lon},
                     permissions=["geolocation"])
    peer.goto(f"{base}/")
    peer.check("input[name=interests][value='diy-repair']")
    with peer.expect_navigation() as searched:
        peer.click("#use-location")
    assert searched.value.status == 200
    assert "interests=diy-repair" in peer.url
    found = results_of(peer)
    titles = [r["title"] for r in found]
    assert NEW_TITLE in titles, titles
    mine = found[titles.index(NEW_TITLE)]
    assert mine["href"].split("?")[0] == f"/opportunities/{new_id}"
    assert any(reason.startswith("0.") and "km from" in reason for reason in mine["reasons"])
    assert any("DIY" in reason or "diy" in reason for reason in mine["reasons"]), mine
    shoot(peer, tmp_path, "peer-finds-new-need")
    assert_clean(watch)


def test_a_partner_cannot_open_another_associations_edit_page(site, open_page, watch,
                                                               store_of, tmp_path) -> None:
    from store.reads import export_records

    base, _url = site
    own = partner_association(store_of)["id"]
    other = next(o for o in export_records(store_of, "opportunities")
                 if o["association_id"] != own)
    page = open_page()
    pages.sign_in(page, base, account("association")["email"],
                  account("association")["password"])
    response = page.goto(f"{base}/partner/opportunities/{other['id']}/edit")
    assert response.status == 403
    assert "belongs to another association" in page.content()
    assert other["title"] not in page.content()
    shoot(page, tmp_path, "partner-403")
    # Its own need opens, so the 403 is about ownership, not a broken page.
    mine = next(o for o in export_records(store_of, "opportunities")
                if o["association_id"] == own)
    assert page.goto(f"{base}/partner/opportunities/{mine['id']}/edit").status == 200
    # The browser shows the 403 page's own console message; nothing else may be wrong.
    refused = (f"{base}/partner/opportunities/{other['id']}/edit: Failed to load resource: "
               "the server responded with a status of 403 (FORBIDDEN)")
    assert refused in watch.console
    watch.console.remove(refused)
    assert_clean(watch)


# -- a hotspot lead --------------------------------------------------------------------------


def test_the_hotspot_lead_sees_the_coverage_map(site, open_page, watch, tmp_path) -> None:
    base, _url = site
    page = open_page()
    landed = pages.sign_in(page, base, account("hotspot_lead")["email"],
                           account("hotspot_lead")["password"])
    assert landed.status == 200
    assert page.url.startswith(f"{base}/hotspots")
    assert page.text_content("h1").strip() == "Hotspot dashboard"
    frame_element = page.query_selector("iframe[title^='Coverage map']")
    assert frame_element is not None
    assert all(pages.wait_for_maps(page))
    stats = map_stats(frame_element.content_frame())
    assert stats["live"]
    assert stats["height"] > 200, stats
    assert stats["paths"] > 10, stats  # catchments, hexagons, towns, meetings
    frame_element.scroll_into_view_if_needed()
    shoot(page, tmp_path, "hotspots-map")
    assert_clean(watch)


# -- every page ------------------------------------------------------------------------------


def test_every_page_renders_without_errors_and_is_screenshotted(site, browser,
                                                                tmp_path) -> None:
    from PIL import Image

    base, _url = site
    shots = pages.take_all(browser, base, tmp_path)  # raises on any error or blocked request
    assert set(shots) == {"search", "search-375", "search-mobile", "opportunity", "meetings",
                          "partner", "partner-edit", "hotspots", "admin", "login", "map-phone",
                          "register", "admin-association"}
    for name, path in shots.items():
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        assert 5_000 < path.stat().st_size < 400_000, (name, path.stat().st_size)
        with Image.open(path) as image:
            width = image.size[0]
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        if name != "map-phone":
            assert width == (375 if name in {"search-mobile", "search-375"} else 1280), (
                name, width)
        assert len(colours) > 20, name


# -- the map frames' sandbox -----------------------------------------------------------------


def test_a_map_frame_cannot_read_the_page_or_act_with_the_admins_session(site, open_page,
                                                                          watch) -> None:
    base, _url = site
    page = open_page()
    pages.sign_in(page, base, account("admin")["email"], account("admin")["password"])
    assert page.goto(f"{base}/hotspots").status == 200
    assert all(pages.wait_for_maps(page))
    probe = """async () => {
        let token, status;
        try { token = window.parent.document.querySelector('input[name=csrf_token]').value; }
        catch (e) { token = 'refused: ' + e.name; }
        try { const r = await fetch('/admin/users', {credentials: 'include'});
              status = r.status + ': ' + (await r.text()).slice(0, 40); }
        catch (e) { status = 'refused: ' + e.name; }
        return {token: token, status: status, origin: window.origin};
    }"""
    # The page itself may (the control: the probe can succeed)
    own = page.evaluate(probe)
    assert own["status"].startswith("200"), own
    assert len(own["token"]) > 20, own
    # Script in a map frame may not: an opaque origin, no access to the page, no session
    frame = page.query_selector("iframe").content_frame()
    assert frame.evaluate("() => !!(window.L && document.querySelector('.folium-map'))")
    seen = frame.evaluate(probe)
    assert seen["origin"] == "null", seen
    assert seen["token"].startswith("refused: SecurityError"), seen
    assert seen["status"].startswith("refused"), seen
    assert watch.errors == [], watch.errors
    assert watch.outside() == [], watch.outside()
