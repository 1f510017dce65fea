"""Accessibility in Chromium: axe-core on every page at 1280 and 375 px; keyboard journeys.

axe must find zero violations of WCAG 2.0-2.2 A and AA and of its best practices
(:data:`_axe.TAGS`) on every page the app serves.

The demo site is served for real (``scripts/page_screenshots.py``: CSRF on, strict CSP with
nonces) and driven in Debian's Chromium. :data:`PAGES` names every page: public pages, the
error pages, the partner portal, the hotspot dashboard and the admin pages, each opened as
the role that sees it (one signed-in browser context per role and width, reused). Map frames
(sandboxed ``srcdoc``) are scrolled into view and checked as documents of their own, as are
the full-page maps under ``/maps/``.

:func:`test_every_html_route_is_swept` reads the app's URL map: a GET route that is neither in
:data:`PAGES` nor in :data:`NOT_PAGES` (JSON, CSV, calendar files, static files) fails the
suite, so a new page cannot be left out of the sweep.

A failure names the page and the width, and lists each violation's rule id, impact, frame and
CSS selector, e.g. ``color-contrast [serious] page: .meta  (Elements must meet minimum
color contrast ratio thresholds; ...)``.

The keyboard journeys (Tab, Shift+Tab, Space, Enter and typing; no mouse) check that each
stop shows its focus: a peer's search to a result, the finder's map from its list, and the
demo partner adding a need and fixing a wrong field that the returned form puts the focus on.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest
from _axe import TAGS
from _axe import axe_path
from _axe import axe_version
from _axe import describe
from _axe import run_axe
from _browser import load_script

if TYPE_CHECKING:
    from collections.abc import Callable

pages = load_script("page_screenshots")

WIDTHS = {"1280": {"width": 1280, "height": 900}, "375": {"width": 375, "height": 812}}
SEARCH = "/?postcode=WN1&interests=gardening&interests=outdoors"

#: GET routes that serve no HTML page, by endpoint: why each one is not swept.
NOT_PAGES = {
    "static": "CSS, JavaScript and images of the site",
    "vendor.vendor": "Leaflet and other libraries from installed packages",
    "pages.healthz": "health check (JSON)",
    "openapi.openapi_json": "the OpenAPI document (JSON); /api/docs is its page",
    "hotspots.table_csv": "CSV downloads of the dashboard's tables",
    "hotspots.impact_csv": "CSV download of the impact figures",
    "peer.meeting_ics": "calendar file (text/calendar)",
    "peer.meeting_calendar": "calendar file (text/calendar)",
    "peer.opportunity_ics": "calendar file (text/calendar)",
    "onboarding.register_elsewhere": "301 redirects (/join, /signup, ...) to /partner/register",
}
#: Every route under ``/api/`` except ``/api/docs`` answers JSON (or GeoJSON).
JSON_PREFIX = "/api/"


@dataclass(frozen=True)
class Page:
    """A page of the site: its name in test ids, its endpoint, who sees it, how to reach it.

    ``go`` is a path, or a function ``(page, base)`` that drives the browser there (a form
    submitted, a link followed). ``status`` is what the page is answered with.
    """

    name: str
    endpoint: str | None
    role: str | None
    go: str | Callable[[Any, str], Any]
    status: int = 200
    notes: dict[str, str] = field(default_factory=dict)


def follow(start: str, selector: str) -> Callable[[Any, str], Any]:
    """Open ``start``, then the first link matching ``selector``."""

    def go(page: Any, base: str) -> Any:
        page.goto(base + start)
        link = page.locator(selector).first
        href = link.get_attribute("href")
        assert href, f"no link {selector!r} on {start}"
        return page.goto(base + href if href.startswith("/") else href)

    return go


def first_edit(start: str, links: str) -> Callable[[Any, str], Any]:
    """Open ``start``, then each page it links to (``links``) until one offers an edit link."""
    edit = "a[href*='/outcomes/'][href$='/edit']"

    def go(page: Any, base: str) -> Any:
        page.goto(base + start)
        hrefs = [a.get_attribute("href") for a in page.locator(links).all()]
        for href in filter(None, hrefs):
            page.goto(base + href if href.startswith("/") else href)
            if page.locator(edit).count():
                target = page.locator(edit).first.get_attribute("href")
                return page.goto(base + target if target.startswith("/") else target)
        pytest.fail(f"no page linked from {start} offers an edit link")
        return None

    return go


def submit(start: str, fill: dict[str, str], button: str) -> Callable[[Any, str], Any]:
    """Open ``start`` (a path or a :func:`follow`), fill fields, press ``button``."""

    def go(page: Any, base: str) -> Any:
        if callable(start):
            start(page, base)
        else:
            page.goto(base + start)
        for selector, value in fill.items():
            if value == "check":
                page.check(selector)
            else:
                page.fill(selector, value)
        with page.expect_navigation() as sent:
            page.click(button)
        return sent.value

    return go


OPPORTUNITY = follow(SEARCH, "ol.result-list li.result h3 a")

PAGES = (
    # -- anyone ----------------------------------------------------------------------------
    Page("home", "peer.search", None, "/"),
    Page("search-results", "peer.search", None, SEARCH),
    Page("search-unknown-place", "peer.search", None, "/?postcode=ZZ99+9ZZ&interests=gardening",
         status=400),
    Page("opportunity", "peer.opportunity", None, OPPORTUNITY),
    Page("interest-missing-choice", "peer.express_interest", None,
         submit(OPPORTUNITY, {}, "form.interest button[type=submit]"), status=400),
    Page("interest-sent", "peer.express_interest", None,
         submit(OPPORTUNITY, {"form.interest input[value=email]": "check",
                              "#email": "peer@example.org"},
                "form.interest button[type=submit]")),
    Page("meetings", "peer.meetings", None, "/meetings"),
    Page("meetings-search", "peer.meetings", None, "/meetings?q=Wigan"),
    Page("meeting", "peer.meeting", None, follow("/meetings", "#finder-list li.result h3 a")),
    Page("organisations", "peer.organisations", None, "/organisations"),
    Page("map-coverage", "maps_views.coverage_page", None, "/maps/coverage"),
    Page("map-growth", "maps_views.growth_page", None, "/maps/growth"),
    Page("map-opportunities", "maps_views.opportunities_page", None,
         "/maps/opportunities?postcode=WN1&interests=gardening"),
    Page("api-docs", "openapi.docs", None, "/api/docs"),
    Page("sign-in", "auth.login", None, "/login"),
    Page("sign-in-wrong-password", "auth.login", None,
         submit("/login", {"#email": "nobody@example.org", "#password": "not-the-password"},
                "form.stack button[type=submit]"), status=401),
    Page("register", "onboarding.register", None, "/partner/register"),
    Page("register-errors", "onboarding.register", None,
         submit("/partner/register", {}, "form.stack button[type=submit]"), status=400),
    Page("forgot-password", "onboarding.forgot_password", None, "/forgot-password"),
    Page("reset-password-bad-link", "onboarding.reset_password", None,
         "/reset-password?token=not-a-token", status=400),
    Page("verify-email-bad-link", "onboarding.verify_email", None,
         "/verify-email?token=not-a-token", status=400),
    Page("error-404", None, None, "/no-such-page", status=404),
    Page("error-400", None, None, "/meetings?day=someday", status=400),
    # -- the demo partner (an association) -------------------------------------------------
    Page("partner-dashboard", "partner.index", "association", "/partner/"),
    Page("partner-need-form", "partner.new_opportunity", "association",
         "/partner/opportunities/new"),
    Page("partner-need-form-errors", "partner.new_opportunity", "association",
         submit("/partner/opportunities/new", {}, "form.stack button[type=submit]"),
         status=400),
    Page("partner-need-edit", "partner.edit_opportunity", "association",
         follow("/partner/", "table a[href*='/edit']")),
    Page("partner-inbox", "partner.interests", "association", "/partner/interests"),
    Page("partner-token", "partner.token", "association", "/partner/token"),
    Page("partner-profile", "partner.profile", "association", "/partner/profile"),
    Page("partner-status", "partner.status", "association", "/partner/status"),
    Page("partner-outcomes", "partner_outcomes.index", "association", "/partner/outcomes/"),
    Page("partner-outcome-edit", "partner_outcomes.edit", "association",
         follow("/partner/outcomes/", "a[href*='/outcomes/'][href$='/edit']")),
    Page("sign-out", "auth.logout", "association", "/logout"),
    # -- a hotspot lead ---------------------------------------------------------------------
    Page("hotspots", "hotspots.dashboard", "hotspot_lead", "/hotspots"),
    Page("hotspots-radius", "hotspots.dashboard", "hotspot_lead", "/hotspots?radius_km=10"),
    Page("hotspots-map-coverage", "hotspots.map_frame", "hotspot_lead",
         "/hotspots/maps/coverage"),
    Page("hotspots-map-growth", "hotspots.map_frame", "hotspot_lead", "/hotspots/maps/growth"),
    Page("hotspot-outcomes", "hotspot_outcomes.index", "hotspot_lead", "/hotspots/outcomes/"),
    Page("hotspot-outcomes-link", "hotspot_outcomes.index", "hotspot_lead",
         follow("/hotspots/outcomes/", "a[href*='link_id=']")),
    Page("hotspot-outcome-edit", "hotspot_outcomes.edit", "hotspot_lead",
         first_edit("/hotspots/outcomes/", "a[href*='link_id=']")),
    # -- an admin -------------------------------------------------------------------------
    Page("admin", "admin.index", "admin", "/admin/"),
    Page("admin-associations", "admin.associations", "admin", "/admin/associations"),
    Page("admin-association", "admin.association", "admin",
         follow("/admin/associations", "table a[aria-label^='Review']")),
    Page("admin-new-association", "admin.new_association", "admin", "/admin/associations/new"),
    Page("admin-organisations", "admin.organisations", "admin", "/admin/organisations"),
    Page("admin-users", "admin.users", "admin", "/admin/users"),
    Page("admin-new-user", "admin.new_user", "admin", "/admin/users/new"),
    Page("admin-ingest-runs", "admin.ingest_runs", "admin", "/admin/ingest"),
    Page("admin-ingest-run", "admin.ingest_run", "admin",
         follow("/admin/ingest", "table a[href*='/admin/ingest/']")),
)


def _accounts() -> dict[str, dict[str, str]]:
    from service.usecases.accounts import DEMO_ACCOUNTS

    return {a["role"]: a for a in DEMO_ACCOUNTS}


def _ingest_a_file(store_url: str, folder: Path) -> None:
    """One ingest run with a rejected row, so the admin's run page has something to show."""
    from geo.geocode import OfflineGeocoder
    from geo.service_area import service_area_from_text
    from ingest.pipeline import ingest_file
    from store import Store

    path = folder / "clubs.csv"
    path.write_text("id,name,category,postcode,lat,lon\n"
                    "axe1,Axe Rowing Club,sport,,53.45,-2.3\n"
                    "axe2,Far Away Club,sport,,48.85,2.35\n", encoding="utf-8")
    store = Store(store_url)
    try:
        ingest_file(store, path, "associations", area=service_area_from_text("GB"),
                    geocoder=OfflineGeocoder())
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def axe_script() -> str:
    path = axe_path()
    if path is None:
        pytest.skip("axe-core is missing: pip install axe-playwright-python (the test extra)")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    """``(base URL, app)`` of the demo site with one ingest run, served for the module."""
    folder = tmp_path_factory.mktemp("browser-axe")
    url = pages.build_demo_store(folder)
    _ingest_a_file(url, folder)
    app = pages.make_app(url, folder)
    with pages.serve(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def tabs(browser, site):
    """``tabs(role, width)``: one page per role and width, signed in once, reused."""
    base, _app = site
    accounts = _accounts()
    opened: dict[tuple[str | None, str], Any] = {}
    contexts = []

    def tab(role: str | None, width: str) -> Any:
        if (role, width) not in opened:
            phone = width == "375"
            context = browser.new_context(viewport=WIDTHS[width], is_mobile=phone,
                                          has_touch=phone)
            contexts.append(context)
            page = context.new_page()
            if role is not None:
                pages.sign_in(page, base, accounts[role]["email"], accounts[role]["password"])
            opened[(role, width)] = page
        return opened[(role, width)]

    yield tab
    for context in contexts:
        context.close()


def test_every_html_route_is_swept(site) -> None:
    """Each GET route of the URL map is a swept page or a listed non-page."""
    _base, app = site
    swept = {p.endpoint for p in PAGES}
    missing = sorted(
        f"{rule.rule} (endpoint {rule.endpoint})" for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint not in swept
        and rule.endpoint not in NOT_PAGES
        and not (rule.rule.startswith(JSON_PREFIX) and rule.endpoint != "openapi.docs"))
    assert not missing, (
        "these GET routes are not in the accessibility sweep: add each to PAGES in "
        "tests/test_browser_a11y.py (or, if it serves no HTML, to NOT_PAGES with the reason):\n  "
        + "\n  ".join(missing))


def test_axe_is_the_shipped_copy(axe_script) -> None:
    assert axe_version(axe_script).startswith("4."), axe_script[:80]
    assert "Mozilla Public" in axe_script[:400]  # MPL-2.0 licence banner


@pytest.mark.parametrize(("width", "spec"), [(w, p) for w in WIDTHS for p in PAGES],
                         ids=[f"{p.name}-{w}px" for w in WIDTHS for p in PAGES])
def test_no_axe_violations(site, tabs, axe_script, width: str, spec: Page) -> None:
    base, _app = site
    page = tabs(spec.role, width)
    response = page.goto(base + spec.go) if isinstance(spec.go, str) else spec.go(page, base)
    assert response is not None
    assert response.status == spec.status, (spec.name, response.status, page.url)
    if spec.role is not None:
        assert "/login" not in page.url, f"{spec.name}: sent to sign in ({page.url})"
    if page.query_selector("iframe"):
        assert all(pages.wait_for_maps(page)), f"{spec.name}: a map did not render"
    elif page.query_selector(".folium-map"):  # a full-page map: wait until Leaflet drew it
        page.wait_for_function("""() => { const el = document.querySelector('.folium-map');
            return !!(el && window.L && window[el.id] && el.querySelector('.leaflet-pane')); }""")
    violations = run_axe(page, axe_script)
    assert not violations, (
        f"{spec.name} at {width} px ({page.url}): {len(violations)} axe rules broken "
        f"(tags {', '.join(TAGS)}):\n{describe(violations)}")


# -- keyboard only ------------------------------------------------------------------------------


def tab_to(page: Any, selector: str, *, limit: int = 80, back: bool = False) -> int:
    """Press Tab (Shift+Tab with ``back``) until the focus is on ``selector``; the presses.

    Every element the focus lands on on the way must show it (WCAG 2.4.7): an outline or a
    box shadow that is not ``none``.
    """
    for n in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        # Chromium's date and time inputs: the first stop in one is a part of it for which
        # the input does not match :focus (nor show its ring); the next stop, a part that
        # does. The ring is checked where :focus holds.
        state = page.evaluate("""(sel) => {
            const el = document.activeElement;
            if (!el || el === document.body) { return {here: false, shown: true, what: 'body'}; }
            const css = getComputedStyle(el);
            const ring = (css.outlineStyle !== 'none' && parseFloat(css.outlineWidth) > 0)
                         || css.boxShadow !== 'none';
            return {here: el.matches(sel), shown: ring || !el.matches(':focus'),
                    what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                          + (el.name ? '[name=' + el.name + ']' : '')};
        }""", selector)
        assert state["shown"], f"the focus on {state['what']} is not visible (no outline)"
        if state["here"]:
            return n
    pytest.fail(f"{selector} is not reached with {'Shift+' if back else ''}Tab in {limit} "
                f"presses on {page.url}")


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => { const el = document.activeElement;
        return {id: el.id, name: el.getAttribute('name'), tag: el.tagName.toLowerCase(),
                invalid: el.getAttribute('aria-invalid'),
                described: el.getAttribute('aria-describedby'),
                description: (document.getElementById(el.getAttribute('aria-describedby') || '')
                              || {}).textContent || ''}; }""")


def clean(watch, *, expected: str = "\0") -> None:
    """No page error, console error, CSP violation or outside request (but ``expected``)."""
    problems = [p for p in watch.problems() if expected not in p]
    assert problems == [], problems


def test_a_peer_searches_and_opens_a_result_with_the_keyboard_alone(site, open_page,
                                                                     watch) -> None:
    base, _app = site
    page = open_page()
    page.goto(base + "/")
    assert tab_to(page, "a.skip") == 1  # the first stop skips the header
    page.keyboard.press("Enter")
    tab_to(page, "#place")
    page.keyboard.type("Wigan")
    for interest in ("gardening", "outdoors"):
        tab_to(page, f"input[name=interests][value={interest}]")
        page.keyboard.press("Space")
    assert sorted(page.eval_on_selector_all("input[name=interests]:checked",
                                            "els => els.map(e => e.value)")) == [
        "gardening", "outdoors"]
    tab_to(page, "#search-form button[type=submit]")
    with page.expect_navigation() as searched:
        page.keyboard.press("Enter")
    assert searched.value.status == 200
    assert "place=Wigan" in page.url
    assert "interests=outdoors" in page.url
    first = page.locator("ol.result-list li.result h3 a").first
    title = first.text_content().strip()
    presses = tab_to(page, "ol.result-list li.result:first-child h3 a")
    assert presses <= 12, f"{presses} presses from the top of the results page to the first result"
    with page.expect_navigation() as opened:
        page.keyboard.press("Enter")
    assert opened.value.status == 200
    assert page.text_content("h1").strip() == title
    clean(watch)


def test_the_finder_map_is_reached_from_the_list_with_the_keyboard(site, open_page,
                                                                    watch) -> None:
    """Pins are not tab stops (WCAG 2.5.8, see finder.js): "Show n on the map" is the way."""
    base, _app = site
    page = open_page()
    page.goto(base + "/meetings?q=Wigan")
    page.wait_for_selector("#finder-map .pin")
    assert page.eval_on_selector_all(
        "#finder-map .pin", "pins => pins.filter(p => p.tabIndex >= 0).length") == 0
    button = "#finder-list li.result[data-lat] [data-show]"
    n = page.get_attribute(button, "data-show")
    tab_to(page, button)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#finder-list li.selected[data-n='{n}']")
    assert page.eval_on_selector_all("#finder-map .pin.selected", "pins => pins.length") == 1
    # and back to the meeting's own page from the list
    tab_to(page, f"#finder-list li[data-n='{n}'] h3 a", back=True)
    with page.expect_navigation() as opened:
        page.keyboard.press("Enter")
    assert opened.value.status == 200
    clean(watch)


def test_a_partner_adds_a_need_and_fixes_a_wrong_field_with_the_keyboard_alone(
        site, open_page, watch) -> None:
    base, _app = site
    partner = _accounts()["association"]
    title = "Keyboard-only towpath litter pick"
    page = open_page()
    page.goto(base + "/login")
    tab_to(page, "#email")
    page.keyboard.type(partner["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(partner["password"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/partner/"), page.url
    tab_to(page, "a[href$='/partner/opportunities/new']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#title")
    page.keyboard.type(title)
    tab_to(page, "#description")
    page.keyboard.type("Two hours picking litter along the canal, gloves provided.")
    tab_to(page, "input[name=interests][value=outdoors]")
    page.keyboard.press("Space")
    tab_to(page, "#postcode")
    page.keyboard.type("NOT A PC")  # a wrong field; typing there chooses "At a postcode"
    with page.expect_navigation() as sent:
        page.keyboard.press("Enter")
    assert sent.value.status == 400
    # The focus is on the wrong field, which says so and is described by its message.
    field = focused(page)
    assert field["id"] == "postcode", field
    assert field["invalid"] == "true", field
    assert "postcode" in field["description"].lower(), field
    page.keyboard.press("Control+A")
    page.keyboard.type("LS1 4AP")
    with page.expect_navigation() as fixed:
        page.keyboard.press("Enter")
    assert fixed.value.status == 200, page.url
    assert page.locator("[aria-invalid=true]").count() == 0
    tab_to(page, "a[href$='/partner/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    listed = page.eval_on_selector_all("table a[href*='/edit']",
                                       "links => links.map(a => a.textContent.trim())")
    assert title in listed
    clean(watch, expected="status of 400 (BAD REQUEST)")  # the form sent back to be fixed
