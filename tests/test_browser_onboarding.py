"""Onboarding in headless Chromium: an association joins and is found; a password is reset.

The demo site is served for real (CSRF on) with its email going to a real SMTP server
(aiosmtpd on a loopback port); the links are read from the messages received. Every test
fails on a page error, a console error (CSP violations included) or a request to another
host. The screenshots of the registration page and of the admin's review page are written
to docs/ for the README.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _browser import load_script

ROOT = Path(__file__).resolve().parents[1]
pages = load_script("page_screenshots")
NAME = "Zephyr Lock Keepers"
ACCOUNT = "keepers@zephyr.example"
PASSWORD = "copper kettle lighthouse walnut"
NEW_PASSWORD = "saffron glacier umbrella quartz"
NEED = "Zephyr lock gate painting crew"


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    from _smtp import start_smtp

    folder = tmp_path_factory.mktemp("browser-onboarding")
    url = pages.build_demo_store(folder)
    controller, inbox = start_smtp()
    app = pages.make_app(url, folder)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    with pages.serve(app) as base:
        yield base, inbox
    controller.stop()


def account(role: str) -> dict[str, str]:
    from service.usecases.accounts import DEMO_ACCOUNTS

    return next(a for a in DEMO_ACCOUNTS if a["role"] == role)


def link_from(inbox, address: str, subject: str) -> str:
    [mail] = [m for m in inbox.to(address) if m["Subject"] == subject]
    found = re.search(r"http://127\.0\.0\.1:\d+/\S+", inbox.body(mail))
    assert found, inbox.body(mail)
    return found.group(0)


def fits(page, width: int) -> bool:
    """Whether the page fits ``width`` CSS pixels without scrolling sideways."""
    return bool(page.evaluate("w => document.documentElement.scrollWidth <= w", width))

def register_through_the_form(tab, base: str) -> None:
    """Fill the registration form as a person would (screenshot, 375 px check), send it."""
    tab.goto(f"{base}/signup")
    assert tab.url == f"{base}/partner/register"
    tab.get_by_label("Name of the association").fill(NAME)
    tab.get_by_label("Category").select_option("waterway_trust")
    tab.get_by_label("What you do").fill("We look after the locks & towpath <together>.")
    tab.get_by_label("Postcode or town").fill("WN1")
    tab.get_by_label("Public email").fill("hello@zephyr.example")
    tab.get_by_label("Public phone").fill("01632 960555")
    tab.get_by_label("Registered charity number").fill("1234567")
    tab.get_by_label("Your email (to sign in)").fill(ACCOUNT)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_label("Password again").fill(PASSWORD)
    tab.evaluate("() => window.scrollTo(0, 0)")
    pages.take(tab, ROOT / "docs" / "page-register.png", bottom="form.stack")
    tab.set_viewport_size(pages.PHONE)
    assert fits(tab, pages.PHONE["width"]), "the registration form scrolls sideways at 375 px"
    tab.set_viewport_size(pages.DESKTOP)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Register").click()
    assert tab.get_by_role("heading", name="Check your email").is_visible()


def admin_approves(admin, base: str) -> None:
    """An admin opens the review page (screenshot, 375 px check) and approves."""
    pages.sign_in(admin, base, account("admin")["email"], account("admin")["password"])
    admin.goto(f"{base}/admin/associations?status=pending&q=Zephyr")
    with admin.expect_navigation():
        admin.get_by_role("link", name=f"Review {NAME}").click()
    assert admin.get_by_role("heading", name=NAME).is_visible()
    assert "registered charity number of England and Wales" in admin.content()
    frame = admin.frame_locator("iframe[title^='Map of']")
    frame.locator(".folium-map").wait_for()
    admin.wait_for_timeout(300)
    admin.screenshot(path=str(ROOT / "docs" / "page-admin-association.png"), full_page=True)
    admin.set_viewport_size(pages.PHONE)
    assert fits(admin, pages.PHONE["width"]), "the review page scrolls sideways at 375 px"
    admin.set_viewport_size(pages.DESKTOP)
    admin.get_by_label("Reason or note").fill("Welcome, lock keepers")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Approve").click()
    assert f"{NAME} is approved (and emailed)" in admin.content()


def test_an_association_registers_is_approved_and_its_first_need_is_found(
        site, open_page, watch) -> None:
    base, inbox = site
    tab = open_page()
    register_through_the_form(tab, base)
    tab.goto(link_from(inbox, ACCOUNT, "Confirm your email for CommonGround"))
    with tab.expect_navigation():
        tab.get_by_role("button", name="Confirm my email").click()
    assert tab.get_by_role("heading", name="Your email is confirmed").is_visible()
    pages.sign_in(tab, base, ACCOUNT, PASSWORD)
    tab.goto(f"{base}/partner/status")
    assert "Waiting for an admin" in tab.content()

    admin_approves(open_page(), base)
    approved = [m for m in inbox.to(ACCOUNT) if "is approved" in m["Subject"]]
    assert len(approved) == 1
    assert "Welcome, lock keepers" in inbox.body(approved[0])

    tab.goto(f"{base}/partner/")
    with tab.expect_navigation():
        tab.get_by_role("link", name="Add a need").click()
    tab.fill("#title", NEED)
    tab.fill("#description", "Scrape and paint the Zephyr lock gates with our crew.")
    tab.check("input[name=interests][value='waterways']")
    with tab.expect_navigation() as saved:
        tab.click("form.stack button[type=submit]")
    assert saved.value.status == 200
    assert NEED in tab.text_content("h1")

    peer = open_page()
    pages.peer_search(peer, base, postcode="WN1", interests=("waterways",),
                      text="Zephyr lock gates")
    titles = peer.eval_on_selector_all("ol.result-list li.result h3 a",
                                       "links => links.map(a => a.textContent.trim())")
    assert NEED in titles, titles
    assert watch.problems() == [], watch.problems()


def test_a_password_is_reset_by_email_and_the_old_session_ends(site, open_page,
                                                               watch) -> None:
    base, inbox = site
    partner = account("association")
    old = open_page()
    pages.sign_in(old, base, partner["email"], partner["password"])
    assert old.goto(f"{base}/partner/").url == f"{base}/partner/"

    tab = open_page()
    tab.goto(f"{base}/login")
    with tab.expect_navigation():
        tab.get_by_role("link", name="Forgot password?").click()
    tab.get_by_label("Email").fill(partner["email"])
    with tab.expect_navigation():
        tab.get_by_role("button", name="Send me a link").click()
    assert tab.get_by_role("heading", name="Check your email").is_visible()
    link = link_from(inbox, partner["email"], "Reset your CommonGround password")
    tab.goto(link)
    tab.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    tab.get_by_label("New password again").fill(NEW_PASSWORD)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Set the new password").click()
    assert tab.url.startswith(f"{base}/login")
    assert "every session of your account has ended" in tab.content()
    pages.sign_in(tab, base, partner["email"], NEW_PASSWORD)
    assert tab.goto(f"{base}/partner/").url == f"{base}/partner/"

    old.goto(f"{base}/partner/")
    assert old.url.startswith(f"{base}/login"), old.url  # the old session is gone
    assert watch.problems() == [], watch.problems()
    again = open_page()
    assert again.goto(link).status == 400
    assert "This link has been used already" in again.content()
    # the only thing the browser reports is that expected 400
    assert [p for p in watch.problems() if "status of 400" not in p] == [], watch.problems()
