"""The loop in headless Chromium: a peer says "I'm interested", the partner's inbox, taking part.

The demo site is served for real (CSRF on) with its email going to a real SMTP server
(aiosmtpd on a loopback port); the screenshots of the two new pages are written to docs/ for
the README.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _browser import load_script

ROOT = Path(__file__).resolve().parents[1]
PEER_EMAIL = "browser.peer@example.org"
pages = load_script("page_screenshots")


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    from _smtp import start_smtp

    folder = tmp_path_factory.mktemp("browser-loop")
    url = pages.build_demo_store(folder)
    controller, inbox = start_smtp()
    app = pages.make_app(url, folder)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    with pages.serve(app) as base:
        yield base, url, inbox
    controller.stop()


@pytest.fixture
def page(browser, site):
    watch = pages.Watch()
    context = watch.route(browser.new_context(viewport=pages.DESKTOP))
    yield watch.attach(context.new_page()), watch
    context.close()


def _partner_need(url: str) -> dict:
    from service.usecases.accounts import DEMO_ACCOUNTS
    from store import Store
    from store.reads import export_records
    from store.reads import is_listed
    from store.users import find_user_by_email

    store = Store(url)
    try:
        partner = next(a for a in DEMO_ACCOUNTS if a["role"] == "association")
        user = find_user_by_email(store, partner["email"])
        need = next(o for o in export_records(store, "opportunities")
                    if o["association_id"] == user.association_id and is_listed(o))
        return {"need": need, "partner": partner}
    finally:
        store.dispose()


def _places_taken(url: str, need_id: int) -> int:
    from store import Store
    from store.reads import export_records_by_ids

    store = Store(url)
    try:
        return int(export_records_by_ids(store, "opportunities", [need_id])[0]["places_taken"])
    finally:
        store.dispose()


def test_peer_interest_reaches_the_partner_who_marks_taking_part(site, page) -> None:
    base, url, inbox = site
    tab, watch = page
    found = _partner_need(url)
    need, partner = found["need"], found["partner"]
    before = _places_taken(url, need["id"])

    tab.goto(f"{base}/opportunities/{need['id']}")
    assert tab.get_by_role("heading", name="I'm interested").is_visible()
    tab.get_by_label("By email").check()
    tab.get_by_label("Your email").fill(PEER_EMAIL)
    tab.locator("#interested").scroll_into_view_if_needed()
    tab.screenshot(path=str(ROOT / "docs" / "page-interest.png"))
    tab.get_by_role("button", name="I'm interested").click()
    assert tab.get_by_role("heading", name="What happens next").is_visible()
    assert "deleted as" in tab.content()
    mails = [m for m in inbox.messages if PEER_EMAIL in inbox.body(m)]
    assert len(mails) == 1
    assert need["title"] in mails[0]["Subject"]

    pages.sign_in(tab, base, partner["email"], partner["password"])
    tab.goto(f"{base}/partner/")
    tab.get_by_role("link", name="Interested peers").click()
    row = tab.locator("tr", has_text=PEER_EMAIL)
    assert row.count() == 1
    tab.screenshot(path=str(ROOT / "docs" / "page-partner-inbox.png"))
    row.get_by_role("button", name="Taking part").click()
    assert "the contact details are deleted" in tab.content()
    assert PEER_EMAIL not in tab.content()
    assert _places_taken(url, need["id"]) == before + 1
    assert watch.problems() == [], watch.problems()
