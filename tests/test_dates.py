"""Dates and times on pages and in CSVs for people: UK English, never ISO (issue 14, point 6).

Every kind of page (peer search and results, a need, the meeting finder and a meeting, the
organisations, the partner portal and inbox, the hotspot dashboard, the admin pages) is
rendered from the demo data with records that carry dates (a need with first and last days,
an interest, licences, an ingest run), and its visible text (no attributes, scripts, styles
or map frames) must not hold an ISO date. The dashboard's CSV downloads, meant for people,
likewise; the machine formats (the JSON API, the Meeting Guide feed) stay ISO.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest

from geo.geocode import OfflineGeocoder
from geo.service_area import service_area_from_text
from ingest.demo import load_demo
from ingest.pipeline import ingest_file
from service import create_app
from service import get_store
from service.usecases.accounts import DEMO_ACCOUNTS
from service.usecases.accounts import create_demo_users
from service.usecases.tables import TABLES
from store import Store
from store import models
from store.interests import record_interest

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ACCOUNTS = {a["role"]: a for a in DEMO_ACCOUNTS}
FIRST_DAY = dt.date.today() + dt.timedelta(days=40)
LAST_DAY = FIRST_DAY + dt.timedelta(days=90)


class VisibleText(HTMLParser):
    """The text a reader sees: data outside ``script``, ``style`` and ``template``."""

    HIDDEN = frozenset(("script", "style", "template"))

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in self.HIDDEN

    def handle_endtag(self, tag):
        self._hidden -= tag in self.HIDDEN

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_visible_text_leaves_out_attributes_and_scripts() -> None:
    html = ('<p title="2025-09-04">4 September 2025</p><script>var d = "2025-09-04";</script>'
            '<input type="date" value="2025-09-04"><iframe srcdoc="2025-09-04"></iframe>')
    assert visible(html) == "4 September 2025"
    assert ISO_DATE.search(visible("<td>2025-09-04</td>"))


def build_site(folder):
    """An app on the demo data, with dated records a page of each kind shows.

    Returns ``(app, id of a need with first and last days, id of an ingest run)``.
    """
    store = Store(f"sqlite:///{folder / 'demo.db'}")
    store.init_db()
    from service.cli import interest_rows

    store.seed_interests(interest_rows())
    load_demo(store)
    create_demo_users(store)
    partner = ACCOUNTS["association"]["email"]
    with store.session() as s:
        user = s.query(models.User).filter_by(email=partner).one()
        opp = (s.query(models.Opportunity).filter_by(association_id=user.association_id,
                                                     status="open")
               .order_by(models.Opportunity.id).first())
        opp.starts_on, opp.ends_on = FIRST_DAY, LAST_DAY
        opp_id = opp.id
        org = s.query(models.User).filter_by(
            email=ACCOUNTS["hotspot_lead"]["email"]).one().organisation_id
        today = dt.date.today()
        s.add_all([
            models.Volunteer(organisation_id=org, display_name="Soon Sam",
                             licence_number="DATES-1",
                             licence_valid_until=today + dt.timedelta(days=20)),
            models.Volunteer(organisation_id=org, display_name="Lapsed Lou",
                             licence_number="DATES-2",
                             licence_valid_until=today - dt.timedelta(days=3)),
            models.Volunteer(organisation_id=org, display_name="Later Lee",
                             licence_number="DATES-3",
                             licence_valid_until=today + dt.timedelta(days=400))])
    record_interest(store, opp_id, method="email", contact="peer@example.org")
    path = folder / "needs.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "association_name", "lat", "lon", "starts_on",
                         "ends_on"])
        writer.writerow(["n1", "Towpath tidy", "Dated Canal Trust", 53.55, -2.63,
                         "1 May 2026", "30 April 2026"])
    report = ingest_file(store, path, "opportunities", area=service_area_from_text("GB"),
                         geocoder=OfflineGeocoder())
    assert report.inserted == 1  # the last day before the first: dropped with a warning
    store.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(folder)})
    return app, opp_id, report.run_id


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo app of :func:`build_site`, served to this module's tests."""
    app, opp_id, run_id = build_site(tmp_path_factory.mktemp("dates"))
    yield app, opp_id, run_id
    get_store(app).dispose()


def signed_in(app, role: str):
    client = app.test_client()
    response = client.post("/login", data={"email": ACCOUNTS[role]["email"],
                                           "password": ACCOUNTS[role]["password"]})
    assert response.status_code == 302, response.text
    return client


def _meeting_id(app) -> int:
    features = app.test_client().get("/api/meetings").get_json()["features"]
    return next(f["id"] for f in features
                if f["properties"].get("weekdays") and f["properties"].get("start_time"))


def pages_of(app, opp_id: int, run_id: int) -> dict[str, tuple[object, str, str]]:
    """Each page kind: (client, URL, a date or time it must show in UK English)."""
    peer = app.test_client()
    partner, lead, admin = (signed_in(app, r) for r in ("association", "hotspot_lead",
                                                        "admin"))
    first = f"{FIRST_DAY.day} {FIRST_DAY:%B %Y}"
    meeting = _meeting_id(app)
    return {
        "search": (peer, "/?postcode=WN1+1AA&radius_km=50&page_size=50", ""),
        "need": (peer, f"/opportunities/{opp_id}", first),
        "finder": (peer, "/meetings", "Times are UK times"),
        "meeting": (peer, f"/meetings/{meeting}", ""),
        "organisations": (peer, "/organisations", ""),
        "partner needs": (partner, "/partner/", ""),
        "partner edit": (partner, f"/partner/opportunities/{opp_id}/edit", ""),
        "partner inbox": (partner, "/partner/interests",
                          f"{dt.date.today().day} {dt.date.today():%B %Y}"),
        "partner token": (partner, "/partner/token", ""),
        "dashboard": (lead, "/hotspots", "Yes, until "),
        "admin": (admin, "/admin/", ""),
        "admin organisations": (admin, "/admin/organisations", ""),
        "admin associations": (admin, "/admin/associations", ""),
        "admin users": (admin, "/admin/users", ""),
        "admin ingest runs": (admin, "/admin/ingest", ""),
        "admin ingest run": (admin, f"/admin/ingest/{run_id}", "Last day"),
    }


PAGE_KINDS = ("search", "need", "finder", "meeting", "organisations", "partner needs",
              "partner edit", "partner inbox", "partner token", "dashboard", "admin",
              "admin organisations", "admin associations", "admin users",
              "admin ingest runs", "admin ingest run")


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_no_page_shows_an_iso_date(site, kind) -> None:
    app, opp_id, run_id = site
    client, url, expected = pages_of(app, opp_id, run_id)[kind]
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    text = visible(response.text)
    assert not ISO_DATE.findall(text), (url, ISO_DATE.findall(text),
                                        text[max(0, ISO_DATE.search(text).start() - 80):][:200])
    assert expected in text, (url, expected)


def test_pages_word_dates_and_times_the_uk_way(site) -> None:
    app, opp_id, _run_id = site
    need = visible(app.test_client().get(f"/opportunities/{opp_id}").text)
    assert f"First day {FIRST_DAY:%A} {FIRST_DAY.day} {FIRST_DAY:%B %Y}" in need
    assert f"Last day {LAST_DAY:%A} {LAST_DAY.day} {LAST_DAY:%B %Y}" in need
    finder = visible(app.test_client().get("/meetings").text)
    assert re.search(r"now is (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) "
                     r"\d{2}:\d{2}\.", finder)
    admin = visible(signed_in(app, "admin").get("/admin/ingest").text)
    today = dt.date.today()
    assert re.search(rf"{today.day} {today:%B %Y}, \d{{2}}:\d{{2}}", admin), admin[:500]


@pytest.mark.parametrize("table", list(TABLES))
def test_dashboard_csvs_have_no_iso_dates(site, table) -> None:
    app, _opp_id, _run_id = site
    response = signed_in(app, "admin").get(f"/hotspots/{table}.csv")
    assert response.status_code == 200
    assert not ISO_DATE.findall(response.text), (table, ISO_DATE.findall(response.text)[:5])
    if table == "volunteers":
        rows = {r["display_name"]: r for r in csv.DictReader(io.StringIO(response.text))}
        soon = dt.date.today() + dt.timedelta(days=20)
        assert rows["Soon Sam"]["licence_valid_until"] == f"{soon.day} {soon:%B %Y}"


def test_machine_formats_stay_iso(site) -> None:
    app, opp_id, _run_id = site
    client = app.test_client()
    found = client.get("/api/opportunities?association_id=0").get_json()  # shape only
    assert found is not None
    feed = client.get("/api/meetings/feed.json").get_json()
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", m["updated"])
               for m in feed if m.get("updated"))
    response = client.get(f"/opportunities/{opp_id}/calendar.ics")
    # the first of the need's weekdays on or after its first day, written as RFC 5545 says
    starts = re.search(r"DTSTART;TZID=Europe/London:(\d{8})T\d{6}", response.text)
    assert starts, response.text
    first = dt.datetime.strptime(starts.group(1), "%Y%m%d").date()
    assert FIRST_DAY <= first < FIRST_DAY + dt.timedelta(days=7)
