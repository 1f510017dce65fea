"""Onboarding through the pages: register, verify, review, profile, password reset.

Email goes through a real SMTP server (aiosmtpd on a loopback port) and the links are read
from the messages received.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

import pytest
from sqlalchemy import text

from domain.charity import check_charity_number
from service import create_app
from service import get_store
from service.usecases.accounts import hash_password
from service.usecases.onboarding import similar_names
from service.web.auth import session_fields
from store import models
from store.associations import create_association
from store.users import create_user
from store.users import find_user_by_email

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "lantern meadow pebble orchard"
ACCOUNT = "lead@towpath.example"
FORM = {"name": "Towpath Tidy Volunteers", "category": "waterway_trust", "location": "WN1",
        "contact_email": "hello@towpath.example", "contact_phone": "01632 960123",
        "charity_number": "1234567", "website": "https://towpath.example/",
        "description": "We keep the towpath clear.", "email": ACCOUNT,
        "password": PASSWORD, "password_again": PASSWORD}
LINK = re.compile(r"http://localhost(/[\w\-/]+\?token=[\w\-]+)")


@functools.cache
def admin_hash() -> str:
    return hash_password("admin horse battery staple")


@pytest.fixture
def site(sqlite_store, tmp_path, smtp):
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_store.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path), **smtp.settings})
    yield {"app": app, "store": sqlite_store, "smtp": smtp}
    get_store(app).dispose()


def sign_in(client, store, email: str) -> None:
    with client.session_transaction() as session:
        session.update(session_fields(find_user_by_email(store, email)))


def link_in(smtp, address: str, index: int = -1) -> str:
    body = smtp.body(smtp.to(address)[index])
    found = LINK.search(body)
    assert found, body
    return found.group(1)


def admin_client(site):
    create_user(site["store"], email="boss@cg.example", password_hash=admin_hash(), role="admin")
    client = site["app"].test_client()
    sign_in(client, site["store"], "boss@cg.example")
    return client


def register(site, **changes):
    return site["app"].test_client().post("/partner/register", data={**FORM, **changes})


def test_the_guessed_addresses_lead_to_registration(client) -> None:
    for path in ("/signup", "/register", "/join", "/partner/signup"):
        answer = client.get(path)
        assert answer.status_code == 301
        assert answer.location.endswith("/partner/register")
    page = client.get("/partner/register").text
    for name in ("name", "category", "location", "lat", "lon", "contact_email",
                 "contact_phone", "charity_number", "email", "password", "password_again"):
        assert f'<label for="{name}"' in page, name
    assert "Forgot password?" in client.get("/login").text


def test_register_verify_then_an_admin_approves_with_real_email(site) -> None:
    store, smtp = site["store"], site["smtp"]
    answer = register(site)
    assert answer.status_code == 200
    assert "Check your email" in answer.text
    [mail] = smtp.to(ACCOUNT)
    assert mail["Subject"] == "Confirm your email for CommonGround"
    path = link_in(smtp, ACCOUNT)
    token = path.split("token=")[1]
    with store.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM account_tokens"))]
    assert token not in stored  # only a digest is kept
    assert len(stored) == 1
    user = find_user_by_email(store, ACCOUNT)
    assert not user.email_verified
    [assoc] = [a for a in store_associations(store) if a.name == FORM["name"]]
    assert (assoc.status, assoc.category, assoc.postcode) == ("pending", "waterway_trust", "WN1")

    partner = site["app"].test_client()
    sign_in(partner, store, ACCOUNT)
    assert partner.get("/partner/").location.endswith("/partner/status")
    assert "not yet confirmed" in partner.get("/partner/status").text
    assert partner.post("/partner/opportunities/new", data={"title": "x"}).status_code == 403

    shown = partner.get(path)
    assert "Confirm my email" in shown.text  # opening the link spends nothing
    done = partner.post("/verify-email", data={"token": token})
    assert "Your email is confirmed" in done.text
    assert find_user_by_email(store, ACCOUNT).email_verified
    again = partner.post("/verify-email", data={"token": token})
    assert again.status_code == 400
    assert "used already" in again.text
    page = partner.get("/partner/")
    assert page.status_code == 200
    assert "waiting for approval" in page.text

    admin = admin_client(site)
    detail = admin.get(f"/admin/associations/{assoc.id}")
    assert detail.status_code == 200
    assert 'sandbox="allow-scripts"' in detail.text
    assert "registered charity number of England and Wales" in detail.text
    # the review page names the fields as the registration form does
    assert "<dt>Contact email</dt>" in detail.text
    assert "<dt>Contact phone</dt>" in detail.text
    assert "Public email" not in detail.text
    refused = admin.post(f"/admin/associations/{assoc.id}/decision",
                         data={"decision": "rejected", "reason": " "})
    assert refused.status_code == 400
    assert "Reason is missing" in refused.text
    admin.post(f"/admin/associations/{assoc.id}/decision",
               data={"decision": "approved", "reason": "Welcome aboard"})
    approved = smtp.to(ACCOUNT)[-1]
    assert approved["Subject"] == f"{FORM['name']} is approved on CommonGround"
    assert "Welcome aboard" in smtp.body(approved)
    assert "Approved by an admin" in partner.get("/partner/status").text


def store_associations(store):
    with store.sessions() as s:
        return list(s.query(models.Association))


def test_a_rejection_is_emailed_with_its_reason_and_shown(site) -> None:
    register(site)
    store, smtp = site["store"], site["smtp"]
    [assoc] = store_associations(store)
    admin = admin_client(site)
    admin.post(f"/admin/associations/{assoc.id}/decision",
               data={"decision": "rejected", "reason": "We could not find <b>you</b>"})
    mail = smtp.to(ACCOUNT)[-1]
    assert "was not approved" in mail["Subject"]
    assert "We could not find <b>you</b>" in smtp.body(mail)
    with store.session() as s:  # as if the link was followed
        s.query(models.User).filter_by(email=ACCOUNT).update({"email_verified": True})
    partner = site["app"].test_client()
    sign_in(partner, store, ACCOUNT)
    status = partner.get("/partner/status").text
    assert "We could not find &lt;b&gt;you&lt;/b&gt;" in status
    assert partner.get("/partner/").status_code == 403
    assert partner.get("/partner/profile").status_code == 403


def test_registering_an_address_with_an_account_answers_the_same(site) -> None:
    first = register(site)
    again = register(site, name="Another Canal Group")
    assert first.status_code == again.status_code == 200
    assert first.text.replace(FORM["name"], "") == again.text.replace("Another Canal Group", "")
    assert len(store_associations(site["store"])) == 1
    mails = site["smtp"].to(ACCOUNT)
    assert [m["Subject"] for m in mails] == ["Confirm your email for CommonGround",
                                             "You already have a CommonGround account"]


@pytest.mark.parametrize(("changes", "said"), [
    ({"location": "", "lat": "48.85", "lon": "2.35"}, "is outside the service area"),
    ({"location": "Atlantis-under-Sea"}, "Atlantis-under-Sea"),
    ({"category": "wizards"}, "Category “wizards” is not one of the choices"),
    ({"password": "aaaaaaaaaa", "password_again": "aaaaaaaaaa"}, "common passwords"),
    ({"password_again": "something else"}, "The two passwords differ"),
    ({"contact_email": "nope"}, "Contact email “nope” is not an email address"),
    ({"website": "javascript:alert(1)"}, "is not a web address"),
    ({"name": "<script>alert(1)</script>", "website": "x"}, "&lt;script&gt;"),
    ({"email": "not-an-address"}, "Your email “not-an-address” is not an email address"),
])
def test_bad_registrations_say_what_to_fix(site, changes, said) -> None:
    answer = register(site, **changes)
    assert answer.status_code == 400
    assert said in answer.text
    assert "<script>alert(1)</script>" not in answer.text
    assert not store_associations(site["store"])
    assert not site["smtp"].messages


def test_registration_is_rate_limited_and_needs_csrf(site, tmp_path) -> None:
    client = site["app"].test_client()
    for i in range(5):
        client.post("/partner/register", data={**FORM, "email": f"x{i}@towpath.example"})
    blocked = client.post("/partner/register", data=FORM)
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    strict = create_app({"TESTING": True, "DATABASE_URL": site["store"].url,
                         "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path),
                         "WTF_CSRF_ENABLED": True})
    assert strict.test_client().post("/partner/register", data=FORM).status_code == 400
    assert strict.test_client().post("/forgot-password",
                                     data={"email": ACCOUNT}).status_code == 400
    get_store(strict).dispose()


def test_password_reset_by_email_ends_every_session(site) -> None:
    store, smtp, app = site["store"], site["smtp"], site["app"]
    register(site)
    other = app.test_client()
    sign_in(other, store, ACCOUNT)
    assert other.get("/partner/status").status_code == 200
    client = app.test_client()
    unknown = client.post("/forgot-password", data={"email": "nobody@towpath.example"})
    known = client.post("/forgot-password", data={"email": ACCOUNT})
    assert unknown.status_code == known.status_code == 200
    assert unknown.text.replace("nobody@towpath.example", "") == known.text.replace(ACCOUNT, "")
    assert not smtp.to("nobody@towpath.example")
    mail = smtp.to(ACCOUNT)[-1]
    assert mail["Subject"] == "Reset your CommonGround password"
    assert "1 hour" in smtp.body(mail)
    path = link_in(smtp, ACCOUNT)
    token = path.split("token=")[1]
    opened = client.get(path)
    assert "Choose a new password" in opened.text
    assert opened.headers["Referrer-Policy"] == "no-referrer"  # the token is in its address
    assert client.get("/forgot-password").headers["Referrer-Policy"] != "no-referrer"
    weak = client.post("/reset-password", data={"token": token, "password": "aaaaaaaaaa",
                                                "password_again": "aaaaaaaaaa"})
    assert weak.status_code == 400
    assert "common passwords" in weak.text
    done = client.post("/reset-password", data={"token": token, "password": NEW_PASSWORD,
                                                "password_again": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.location.endswith("/login")
    assert other.get("/partner/status").status_code == 302  # the old session has ended
    login = app.test_client().post("/login", data={"email": ACCOUNT, "password": NEW_PASSWORD})
    assert login.status_code == 302
    used = client.get(path)
    assert used.status_code == 400
    assert "used already" in used.text
    reused = client.post("/reset-password", data={"token": token, "password": PASSWORD,
                                                  "password_again": PASSWORD})
    assert "used already" in reused.text


def test_an_expired_or_made_up_reset_link_says_so(site) -> None:
    register(site)
    client = site["app"].test_client()
    client.post("/forgot-password", data={"email": ACCOUNT})
    path = link_in(site["smtp"], ACCOUNT)
    with site["store"].session() as s:
        for token in s.query(models.AccountToken):
            token.expires_at = dt.datetime(2020, 1, 1)
    expired = client.get(path)
    assert expired.status_code == 400
    assert "This link has expired" in expired.text
    made_up = client.get("/reset-password?token=abc")
    assert "This link is not valid" in made_up.text


def test_reset_requests_are_rate_limited(site) -> None:
    client = site["app"].test_client()
    for _ in range(5):
        assert client.post("/forgot-password", data={"email": ACCOUNT}).status_code == 200
    assert client.post("/forgot-password", data={"email": ACCOUNT}).status_code == 429


def test_partners_edit_their_profile_with_the_same_rules(site, caplog) -> None:
    store = site["store"]
    made = create_association(store, {"name": "Riverside Garden", "category":
                                      "community_garden", "lat": 53.545, "lon": -2.632},
                              status="approved")
    create_user(store, email="p@garden.example", password_hash=admin_hash(),
                role="association", association_id=made["id"])
    partner = site["app"].test_client()
    sign_in(partner, store, "p@garden.example")
    page = partner.get("/partner/profile")
    assert page.status_code == 200
    form = {"name": "Riverside Community Garden", "category": "community_garden",
            "description": "Veg & <b>flowers</b>", "website": "https://garden.example/",
            "contact_email": "hi@garden.example", "contact_phone": "01632 960000",
            "charity_number": "", "location": "", "lat": "53.545000", "lon": "-2.632000",
            "address": ""}
    with caplog.at_level("INFO", logger="commonground.onboarding"):
        saved = partner.post("/partner/profile", data=form)
    assert saved.status_code == 302
    assert any("profile changed: name, description, website, contact_email, contact_phone"
               in r.getMessage() for r in caplog.records)
    assert "Veg &amp; &lt;b&gt;flowers&lt;/b&gt;" in partner.get("/partner/profile").text
    bad = partner.post("/partner/profile", data={**form, "website": "garden dot example",
                                                 "contact_phone": "call us"})
    assert bad.status_code == 400
    assert "is not a web address" in bad.text
    assert "is not a phone number" in bad.text
    moved = partner.post("/partner/profile", data={**form, "location": "M1"})
    assert moved.status_code == 302
    with store.sessions() as s:
        row = s.get(models.Association, made["id"])
        assert (row.postcode, row.location_precision) == ("M1", "district")
        assert row.lat > 53.45  # Manchester, not Wigan
    far = partner.post("/partner/profile", data={**form, "lat": "40.0", "lon": "-3.7"})
    assert "outside the service area" in far.text


def test_admins_add_an_association_and_see_duplicates(site) -> None:
    store = site["store"]
    first = create_association(store, {"name": "Friends of Wigan Canal", "category":
                                       "waterway_trust", "lat": 53.545, "lon": -2.632,
                                       "charity_number": "SC012345"})
    admin = admin_client(site)
    assert admin.get("/admin/associations/new").status_code == 200
    bad = admin.post("/admin/associations/new", data={"name": "", "category": ""})
    assert bad.status_code == 400
    assert "Name is missing" in bad.text
    added = admin.post("/admin/associations/new", data={
        "name": "Wigan Canal Friends Group", "category": "waterway_trust", "location": "",
        "lat": "53.55", "lon": "-2.64", "status": "approved", "charity_number": "sc 012345"})
    assert added.status_code == 302
    page = admin.get(added.location).text
    assert "Friends of Wigan Canal" in page
    assert "similar name" in page
    assert "same charity number" in page
    assert "registered charity number of Scotland" in page
    assert admin.get(f"/admin/associations/{first['id'] + 99}").status_code == 404


def test_charity_number_formats() -> None:
    assert check_charity_number("1234567-1").registers == ("England and Wales",)
    assert check_charity_number("NIC100002").registers == ("Northern Ireland",)
    assert check_charity_number("220949").valid
    for bad in ("12345", "123456789", "SC12345", "NIC12345", "ABC"):
        assert not check_charity_number(bad).valid, bad
    assert check_charity_number("") is None
    assert similar_names("Wigan Canal Friends", "Friends of Wigan Canal")
    assert not similar_names("Wigan Canal Friends", "Leigh Cricket Club")


def test_the_review_page_escapes_what_an_association_typed(site) -> None:
    evil = '<img src=x onerror="alert(1)">'
    made = create_association(site["store"], {
        "name": f"Club {evil}", "category": "other", "lat": 53.545, "lon": -2.632,
        "description": evil, "charity_number": "<b>1</b>"})
    page = admin_client(site).get(f"/admin/associations/{made['id']}")
    assert page.status_code == 200
    assert evil not in page.text
    assert "Club &lt;img src=x" in page.text
    srcdoc = re.search(r'srcdoc="([^"]*)"', page.text).group(1)
    assert "<" not in srcdoc  # the map document is escaped into the attribute
    assert "is not in the format of a UK registered charity number" in page.text


def test_a_wrong_field_is_named_by_its_label_beside_it_and_focused(site) -> None:
    answer = register(site, contact_email="nope", website="garden dot example")
    html = answer.text
    message = re.search(r'<p class="error" id="contact_email-error">([^<]*)</p>', html)
    assert message is not None
    assert message.group(1).startswith("Contact email")
    assert not re.search(r"\b[a-z]+_[a-z0-9_]+\b", message.group(1))
    tag = re.search(r'<input id="contact_email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="contact_email-error"' in tag
    assert "autofocus" not in tag
    # the first field to correct, in the order of the form, takes the focus
    assert "autofocus" in re.search(r'<input id="website"[^>]*>', html).group(0)
    assert '<label for="contact_email">Contact email' in html
