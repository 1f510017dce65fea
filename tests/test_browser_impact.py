"""The loop closed in headless Chromium: interest -> inbox -> taking part -> impact.

A peer says "I'm interested" in one of the demo partner's needs; the partner marks them
"taking part" in the inbox and records their hours and skills on the need's outcomes page;
the demo hotspot lead's dashboard then shows the impact for the hotspot organisation and its
growth tree. The demo site is served for real (CSRF on), email goes to a real SMTP server on
a loopback port, and the watch fails the test on any CSP violation, page error or request to
another host. The impact section's screenshot is written to docs/page-impact.png.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from _browser import load_script

ROOT = Path(__file__).resolve().parents[1]
PEER_EMAIL = "impact.peer@example.org"
HOURS = 3.5
pages = load_script("page_screenshots")


def _quarter(day: dt.date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _setup(url: str) -> dict:
    """The demo partner, lead, hotspot and one listed need; this month's records of the
    partner's association cleared, so that the journey's figures are the only ones."""
    from service.usecases.accounts import DEMO_ACCOUNTS
    from store import Store
    from store.outcomes import Recorder
    from store.outcomes import delete_outcome
    from store.outcomes import list_outcomes
    from store.reads import export_records
    from store.reads import is_listed
    from store.users import demo_link_targets
    from store.users import find_user_by_email

    store = Store(url)
    try:
        accounts = {a["role"]: a for a in DEMO_ACCOUNTS}
        partner = find_user_by_email(store, accounts["association"]["email"])
        targets = demo_link_targets(store)
        need = next(o for o in export_records(store, "opportunities")
                    if o["association_id"] == partner.association_id and is_listed(o))
        this_month = dt.date.today().replace(day=1)
        for r in list_outcomes(store, association_id=partner.association_id):
            if r["period_start"] >= this_month:
                side = Recorder(r["recorded_by"], association_id=partner.association_id,
                                organisation_ids=None)
                delete_outcome(store, side, r["id"])
        return {"need": need, "accounts": accounts, "hotspot": targets["organisation"],
                "association_id": partner.association_id}
    finally:
        store.dispose()


def _figures(url: str, hotspot_id: int) -> dict:
    """The hotspot's and its tree's figures this quarter, as the use case computes them."""
    from service.usecases.dashboard import Dashboard
    from service.usecases.dashboard import Scope
    from service.usecases.impact import impact_for
    from store import Store
    from store.hotspots import organisation_scope

    store = Store(url)
    try:
        scope = Scope(organisation_scope(store, hotspot_id), hotspot_id)
        trees = Dashboard(store, scope, radius_km=10, area="GB", today=dt.date.today()).trees
        impact = impact_for(store, scope, trees, by="quarter")
        label = _quarter(dt.date.today())
        zero = {"peers_taking_part": 0, "hours": 0.0}
        org = next((r for r in impact.organisations if r["organisation_id"] == hotspot_id
                    and r["period_label"] == label), zero)
        tree = next((r for r in impact.trees if r["period_label"] == label), zero)
        return {"org": (org["peers_taking_part"], org["hours"]),
                "tree": (tree["peers_taking_part"], tree["hours"])}
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    from _smtp import start_smtp

    folder = tmp_path_factory.mktemp("browser-impact")
    url = pages.build_demo_store(folder)
    found = _setup(url)
    controller, inbox = start_smtp()
    app = pages.make_app(url, folder)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    with pages.serve(app) as base:
        yield base, url, inbox, found
    controller.stop()


def _row(tab, table: str, *cells: str) -> list[str]:
    rows = tab.locator(f"#{table} tbody tr")
    for i in range(rows.count()):
        texts = [" ".join(t.split()) for t in rows.nth(i).locator("td").all_inner_texts()]
        if all(c in texts for c in cells):
            return texts
    return []


def _partner_marks_and_records(tab, base: str, need: dict, accounts: dict,
                               hotspot: dict) -> None:
    """The partner: the inbox, "Taking part", then hours and skills on the need's outcomes."""
    pages.sign_in(tab, base, accounts["association"]["email"],
                  accounts["association"]["password"])
    tab.goto(f"{base}/partner/interests")
    row = tab.locator("tr", has_text=PEER_EMAIL)
    row.get_by_role("button", name="Taking part").click()
    assert PEER_EMAIL not in tab.content()
    tab.get_by_role("link", name=f"Record hours and skills for {need['title']}").first.click()
    assert tab.get_by_role("heading", name=f"Outcomes of “{need['title']}”").is_visible()
    assert tab.get_by_label("For", exact=True).input_value() == str(need["id"])
    tab.get_by_label("Peers came through").select_option(label=hotspot["name"])
    assert tab.get_by_label("Period", exact=True).input_value() == f"{dt.date.today():%Y-%m}"
    tab.get_by_label("Peers who took part").fill("1")
    tab.get_by_label("Hours volunteered").fill(str(HOURS))
    tab.get_by_label("Basic first aid").check()
    tab.get_by_label("Safe manual handling").check()
    tab.get_by_role("button", name="Record", exact=True).click()
    assert "Recorded." in tab.content()
    history = _row(tab, "outcome-history", f"{dt.date.today():%B %Y}", need["title"],
                   hotspot["name"])
    assert history[3:5] == ["1", "3.5"], history
    assert "Basic first aid" in history[7]
    inbox_row = _row(tab, "outcome-history", "the inbox (taking part)")
    assert inbox_row[3] == "1", inbox_row  # the inbox's one, not added to the record's one


def test_interest_to_taking_part_to_impact_on_the_dashboard(site, open_page, watch) -> None:
    base, url, inbox, found = site
    need, accounts, hotspot = found["need"], found["accounts"], found["hotspot"]
    before = _figures(url, hotspot["id"])
    tab = open_page()

    # A peer: "I'm interested", by email.
    tab.goto(f"{base}/opportunities/{need['id']}")
    tab.get_by_label("By email").check()
    tab.get_by_label("Your email").fill(PEER_EMAIL)
    tab.get_by_role("button", name="I'm interested").click()
    assert tab.get_by_role("heading", name="What happens next").is_visible()
    assert any(PEER_EMAIL in inbox.body(m) for m in inbox.messages)

    _partner_marks_and_records(tab, base, need, accounts, hotspot)
    pages.sign_out(tab)

    # The hotspot lead: the impact section of the dashboard.
    after = _figures(url, hotspot["id"])
    assert after["org"] == (before["org"][0] + 1, before["org"][1] + HOURS), (before, after)
    assert after["tree"] == (before["tree"][0] + 1, before["tree"][1] + HOURS)
    pages.sign_in(tab, base, accounts["hotspot_lead"]["email"],
                  accounts["hotspot_lead"]["password"])
    tab.goto(f"{base}/hotspots?impact_by=quarter#impact")
    quarter = _quarter(dt.date.today())

    def shown(n: float) -> str:
        return f"{n:,.2f}".rstrip("0").rstrip(".")

    org_row = _row(tab, "table-impact-by-organisation", hotspot["name"], quarter)
    assert org_row[3:5] == [f"{after['org'][0]:,}", shown(after["org"][1])], org_row
    assert "Basic first aid" in org_row[7]
    assert "Safe manual handling" in org_row[7]
    tree_row = _row(tab, "table-impact-by-tree", quarter)
    assert tree_row[2:4] == [f"{after['tree'][0]:,}", shown(after["tree"][1])], tree_row
    assert PEER_EMAIL not in tab.content()
    tab.locator("#impact").scroll_into_view_if_needed()
    pages.take(tab, ROOT / "docs" / "page-impact.png", top="#impact",
               bottom="#table-impact-by-tree")
    with tab.expect_download() as download:
        tab.get_by_role("link", name="Download the impact figures as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("Level,Growth tree,Organisation,Period,Peers who took part")
    assert hotspot["name"] in text
    assert watch.problems() == [], watch.problems()


def test_the_outcome_pages_fit_375px(site, open_page, watch) -> None:
    base, _url, _inbox, found = site
    tab = open_page(viewport=pages.PHONE, is_mobile=True, has_touch=True)
    accounts = found["accounts"]
    for role, path in (("association", f"/partner/outcomes/?opportunity_id={found['need']['id']}"),
                       ("hotspot_lead", "/hotspots/outcomes/")):
        pages.sign_in(tab, base, accounts[role]["email"], accounts[role]["password"])
        tab.goto(base + path)
        width = tab.evaluate("() => document.documentElement.scrollWidth")
        assert width <= pages.PHONE["width"], (path, width)
        unlabelled = tab.evaluate("""() => [...document.querySelectorAll(
            'main input:not([type=hidden]), main select')]
            .filter(e => !e.labels || !e.labels.length).map(e => e.name)""")
        assert unlabelled == [], (path, unlabelled)
        pages.sign_out(tab)
    assert watch.problems() == [], watch.problems()
