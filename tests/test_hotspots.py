"""The hotspot dashboard (/hotspots): roles, scope, figures, CSV, licences, escaping, 375 px.

The demo data set is loaded into the app's store with ``ingest.demo.load_demo`` and the demo
accounts are made with ``service.usecases.accounts.create_demo_users``; users sign in with a real
``POST /login``. Tests that only read share one such app per module (loading the demo takes
a few seconds); tests that add records get the ``app`` fixture's fresh store.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _browser import load_script

from geo.service_area import service_area_from_text
from ingest.demand import district_demand
from ingest.demo import load_demo
from matching.coverage import compute_coverage
from matching.coverage import serving_meetings
from service import create_app
from service import get_store
from service.cli import interest_rows
from service.usecases.accounts import DEMO_ACCOUNTS
from service.usecases.accounts import create_demo_users
from service.usecases.accounts import hash_password
from service.usecases.coverage_cache import cache_for
from service.usecases.dashboard import Dashboard
from service.usecases.dashboard import scope_for
from service.usecases.tables import TABLES
from service.usecases.tables import csv_cell
from store import Store
from store import models
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import regions_frame
from store.coverage import volunteers_frame
from store.hotspots import organisation_scope
from store.hotspots import volunteers_of
from store.users import create_user
from store.users import find_user_by_email

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = {a["role"]: a for a in DEMO_ACCOUNTS}
PASSWORD = "correct horse battery"
SUB_LEAD = "sub-lead@cg.example"
HOTSPOT_NAMES = ("Wigan Peer Recovery Network", "Wakefield Peer Recovery Network",
                 "Wolverhampton Peer Recovery Network", "Cardiff Peer Recovery Network",
                 "Glasgow Peer Recovery Network")


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


# -- helpers ---------------------------------------------------------------------------------


class Page(HTMLParser):
    """Tables (by id: header, rows of cell text, row classes) and iframes (title -> src)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict] = {}
        self.iframes: dict[str, str] = {}
        self._table = self._row = self._cell = None
        self._head = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table] = {"head": [], "rows": [], "flags": []}
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._table:
            self._row, self._flag = [], a.get("class") or ""
        elif tag in {"td", "th"} and self._row is not None:
            self._cell = []
        elif tag == "iframe":
            self.iframes[a["title"]] = a.get("src") or ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in {"td", "th"} and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[self._table]
            if self._head:
                table["head"] = self._row
            else:
                table["rows"].append(self._row)
                table["flags"].append(self._flag)
            self._row = None
        elif tag == "thead":
            self._head = False
        elif tag == "table":
            self._table = None


def rows_of(page: Page, name: str) -> list[dict[str, str]]:
    """The page's rows of a table, keyed by the CSV field names of its page columns."""
    keys = [c.key for c in TABLES[name][1] if c.page]
    table = page.tables.get(f"table-{name}", {"rows": []})
    return [dict(zip(keys, row, strict=True)) for row in table["rows"]]


def frames(client, page: Page) -> dict[str, str]:
    """The documents of the page's map frames (title -> HTML), fetched as a browser would."""
    out = {}
    for title, src in page.iframes.items():
        response = client.get(src)
        assert response.status_code == 200, (title, src)
        assert response.headers["Cache-Control"] == "no-store"
        out[title] = response.text
    return out


def settled(client, url: str = "/hotspots"):
    """The page once the work it started in the background (exact sites, links) has ended."""
    first = client.get(url)
    assert first.status_code == 200, first.text
    assert cache_for(get_store(client.application)).wait_background(120)
    return client.get(url)


def login(client, email: str, password: str) -> None:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.text


def signed_in(app, role: str):
    client = app.test_client()
    login(client, ACCOUNTS[role]["email"], ACCOUNTS[role]["password"])
    return client


def number(text: str) -> int:
    return int(text.replace(",", ""))


def share(text: str) -> float:
    return float(text.removesuffix(" %")) / 100.0


def load_demo_into(store: Store) -> None:
    load_demo(store)
    create_demo_users(store)


def expected_coverage(store: Store, radius_km: float, *, root: int | None = None):
    """compute_coverage called directly, as the dashboard documents (lead's org a root)."""
    orgs = organisations_frame(store)
    if root is not None:
        orgs.loc[orgs["id"] == root, "parent_id"] = None
    meetings = serving_meetings(meetings_frame(store), orgs, volunteers_frame(store),
                                on=dt.date.today())
    return compute_coverage(district_demand(service_area_from_text("GB")), meetings,
                            radius_km=radius_km, organisations=orgs,
                            regions=regions_frame(store))


def lead_org(store: Store) -> int:
    return find_user_by_email(store, ACCOUNTS["hotspot_lead"]["email"]).organisation_id


def sub_org(store: Store) -> dict:
    """An organisation devolved from the demo lead's hotspot that has devolved one itself."""
    scope = organisation_scope(store, lead_org(store))
    parents = {o["parent_id"] for o in scope}
    return next(o for o in scope if o["depth"] == 1 and o["id"] in parents)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """An app on a SQLite store with the demo and its accounts, and a lead of a subtree."""
    folder = tmp_path_factory.mktemp("hotspots")
    store = Store(f"sqlite:///{folder / 'demo.db'}")
    store.init_db()
    store.seed_interests(interest_rows())
    load_demo_into(store)
    create_user(store, email=SUB_LEAD, password_hash=password_hash(), role="hotspot_lead",
                organisation_id=sub_org(store)["id"])
    store.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(folder)})
    yield app
    get_store(app).dispose()


# -- who may see it --------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client) -> None:
    for url in ("/hotspots", "/hotspots/volunteers.csv", "/hotspots?radius_km=5"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/login?next=/hotspots"), response.location


def test_partner_accounts_are_refused(demo_app) -> None:
    client = signed_in(demo_app, "association")
    for url in ("/hotspots", "/hotspots/volunteers.csv", "/hotspots/links.csv"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "This page is for Hotspot lead or Admin accounts" in response.text
        assert "licence" not in response.text.lower()


def test_a_lead_sees_their_subtree_only_and_an_admin_sees_all(demo_app) -> None:
    store = get_store(demo_app)
    everyone = volunteers_of(store, None)
    for who, root in (("demo lead", lead_org(store)), ("sub-lead", sub_org(store)["id"])):
        if who == "demo lead":
            client = signed_in(demo_app, "hotspot_lead")
        else:
            client = demo_app.test_client()
            login(client, SUB_LEAD, PASSWORD)
        response = settled(client)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert 'class="demo-banner"' in response.text
        page = Page(response.text)
        maps = frames(client, page)
        text = unescape(response.text) + "".join(unescape(m) for m in maps.values())
        scope = organisation_scope(store, root)
        mine = {o["id"] for o in scope}
        outside = [o["name"] for o in organisation_scope(store, None) if o["id"] not in mine]
        assert outside
        for name in outside:
            assert name not in text, (who, name)
        (tree,) = rows_of(page, "coverage-by-hotspot")
        assert tree["name"] == scope[0]["name"]
        assert {r["hotspot"] for r in rows_of(page, "growth")} == {scope[0]["name"]}
        assert {r["organisation"] for r in rows_of(page, "links")} <= {o["name"] for o in scope}
        assert {r["devolve_from"] for r in rows_of(page, "sites")} <= \
            {o["name"] for o in scope} | {"none of yours ready within reach"}
        shown = {r["licence_number"] for r in rows_of(page, "volunteers")}
        assert shown == {v["licence_number"] for v in everyone if v["organisation_id"] in mine}
        for v in everyone:
            if v["organisation_id"] not in mine:
                assert v["licence_number"] not in text
        growth_map = maps["Growth map: each hotspot's devolution tree, year by year"]
        for o in scope:
            assert o["name"] in unescape(growth_map)

    page = Page(signed_in(demo_app, "admin").get("/hotspots").text)
    assert {r["name"] for r in rows_of(page, "coverage-by-hotspot")} == set(HOTSPOT_NAMES)
    assert len(rows_of(page, "coverage-by-region")) == 5
    assert len(rows_of(page, "volunteers")) == len(everyone)


@pytest.mark.parametrize("radius_km", [10.0, 15.0])
def test_the_figures_are_those_of_compute_coverage(demo_app, radius_km) -> None:
    store = get_store(demo_app)
    lead = signed_in(demo_app, "hotspot_lead")
    query = "" if radius_km == 10.0 else f"?radius_km={radius_km:g}"
    page = Page(lead.get(f"/hotspots{query}").text)
    root = lead_org(store)
    expected = expected_coverage(store, radius_km)
    (want,) = [r for r in expected.by_hotspot if r["organisation_id"] == root]
    (got,) = rows_of(page, "coverage-by-hotspot")
    for key in ("organisations", "meetings", "population", "covered_population"):
        assert number(got[key]) == want[key], key
    assert got["covered_share"] == f"{100 * want['covered_share']:.1f} %"
    (region,) = rows_of(page, "coverage-by-region")
    (want_region,) = [r for r in expected.by_region if r["name"] == region["name"]]
    assert number(region["covered_population"]) == want_region["covered_population"]
    mine = expected.demand.loc[expected.demand["hotspot_id"].eq(root).fillna(False)
                               & ~expected.demand["covered"]]
    top = mine.sort_values(["population", "name"], ascending=[False, True]).head(25)
    assert [r["name"] for r in rows_of(page, "gaps")] == top["name"].tolist()
    assert [number(r["population"]) for r in rows_of(page, "gaps")] == \
        top["population"].tolist()

    # A lead of a devolved organisation: figures for that subtree, the organisation a root.
    sub = sub_org(store)
    client = demo_app.test_client()
    login(client, SUB_LEAD, PASSWORD)
    (got,) = rows_of(Page(client.get(f"/hotspots{query}").text), "coverage-by-hotspot")
    (want,) = [r for r in expected_coverage(store, radius_km, root=sub["id"]).by_hotspot
               if r["organisation_id"] == sub["id"]]
    assert (got["name"], number(got["organisations"]), number(got["population"]),
            number(got["covered_population"])) == (sub["name"], want["organisations"],
                                                   want["population"],
                                                   want["covered_population"])

    admin = Page(signed_in(demo_app, "admin").get(f"/hotspots{query}").text)
    for row, want in zip(rows_of(admin, "coverage-by-region"), expected.by_region, strict=True):
        assert (row["name"], number(row["population"]), number(row["covered_population"])) == \
            (want["name"], want["population"], want["covered_population"])


def _same(kind: str, page_text: str, value: str, key: str) -> bool:  # noqa: PLR0911
    """Whether a page cell shows the CSV value (formatted for people)."""
    if kind == "int":
        return (page_text == value == "") or number(page_text) == int(value)
    if kind == "share":
        if value == "":
            return page_text == "\N{EN DASH}"
        return abs(share(page_text) - float(value)) <= 6e-4
    if kind in {"km", "score"}:
        if value == "":
            return page_text == "no meeting"
        return abs(float(page_text.removesuffix(" km")) - float(value)) <= 0.051
    if key == "status":
        start = {"valid": "Valid", "expiring": "Expires", "lapsed": "Lapsed",
                 "unknown": "No expiry"}[value]
        return page_text.startswith(start)
    if key == "able_to_deliver_meetings":
        return page_text.startswith(value.capitalize())
    if key == "devolve_from" and value == "":
        return page_text == "none of yours ready within reach"
    return page_text == value.removeprefix("'")


def test_csv_downloads_have_the_rows_of_the_page(demo_app) -> None:
    admin = signed_in(demo_app, "admin")
    page = Page(settled(admin, "/hotspots?radius_km=12").text)
    for name, (_title, columns) in TABLES.items():
        response = admin.get(f"/hotspots/{name}.csv?radius_km=12")
        assert response.status_code == 200, name
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == \
            f'attachment; filename="hotspots-{name}-12km.csv"'
        assert response.headers["Cache-Control"] == "no-store"
        reader = csv.DictReader(io.StringIO(response.text))
        assert reader.fieldnames == [c.key for c in columns]
        got = list(reader)
        shown = rows_of(page, name)
        assert got, name
        assert len(got) == len(shown), name
        for page_row, csv_row in zip(shown, got, strict=True):
            for c in columns:
                if c.page:
                    assert _same(c.kind, page_row[c.key], csv_row[c.key], c.key), \
                        (name, c.key, page_row[c.key], csv_row[c.key])


def test_radius_is_checked_and_named(demo_app) -> None:
    """The page's form names the field by its label; the CSV download names the parameter."""
    lead = signed_in(demo_app, "hotspot_lead")
    for value, words in (("0", "out of range"), ("101", "out of range"),
                         ("ten", "is not a number"), ("nan", "out of range")):
        page = lead.get(f"/hotspots?radius_km={value}")
        assert page.status_code == 400, value
        assert f"Reach of a meeting (km) “{value}” " in page.text
        assert words in page.text
        assert "Use a number from 0.1 to 100 km." in page.text
        assert "radius_km" not in page.text[page.text.find("<main"):page.text.find("</main>")]
        csv = lead.get(f"/hotspots/gaps.csv?radius_km={value}")
        assert csv.status_code == 400, value
        assert f"radius_km=&#39;{value}&#39;" in csv.text
        assert words in csv.text
    typo = lead.get("/hotspots?radius=5")
    assert typo.status_code == 400
    assert "&#39;radius&#39;" in typo.text
    assert "radius_km" in typo.text
    ok = lead.get("/hotspots?radius_km=7.5")
    assert ok.status_code == 200
    assert "within 7.5 km of an active in-person meeting" in ok.text
    assert lead.get("/hotspots/nope.csv").status_code == 404


def test_a_second_visit_shows_the_same_dashboard(demo_app) -> None:
    """The second visit is served from the cache with the same figures (speed: bench/pages.py)."""
    for role in ("hotspot_lead", "admin"):
        client = signed_in(demo_app, role)
        first, second = (settled(client) for _ in range(2))
        assert (first.status_code, second.status_code) == (200, 200), role
        tables = [{name: rows_of(Page(r.text), name) for name in TABLES} for r in (first, second)]
        assert tables[0] == tables[1], role
        assert any(tables[0].values()), role


def test_a_cold_page_answers_at_once_and_says_what_it_is_still_working_out(demo_app) -> None:
    """On a cold cache the slow parts run in the background; the page says so, then shows them."""
    store = get_store(demo_app)
    for role in ("hotspot_lead", "admin"):
        client = signed_in(demo_app, role)
        url = "/hotspots?radius_km=11.25"  # a radius no other test asks: nothing cached yet
        touch = f"UPDATE meetings SET name = name || ' ' WHERE id = {min_meeting(store)}"
        with store.engine.begin() as conn:  # a data change: every cached answer is cold
            conn.exec_driver_sql(touch)
        cold = client.get(url)
        assert cold.status_code == 200
        assert "Still working out the links worth making" in cold.text, role
        assert rows_of(Page(cold.text), "links") == []
        sites = rows_of(Page(cold.text), "sites")
        assert ("Still working out where new groups" in cold.text) if not sites else \
            ('id="sites-computing"' in cold.text), role
        assert cache_for(store).wait_background(120)
        done = client.get(url)
        assert "Still working out" not in done.text
        assert 'id="sites-computing"' not in done.text
        cold_tables = {n: rows_of(Page(cold.text), n) for n in TABLES}
        done_tables = {n: rows_of(Page(done.text), n) for n in TABLES}
        assert done_tables["links"], role
        assert done_tables["sites"], role
        for name in set(TABLES) - {"links", "sites"}:
            assert cold_tables[name] == done_tables[name], (role, name)
        # the downloads wait for the final answers: the same rows as the settled page
        got = list(csv.DictReader(io.StringIO(client.get(
            "/hotspots/sites.csv?radius_km=11.25").text)))
        assert [r["name"] for r in got] == [r["name"] for r in done_tables["sites"]]


def min_meeting(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT min(id) FROM meetings").scalar())


def test_a_new_lead_without_meetings_or_volunteers_gets_a_working_page(app) -> None:
    store = get_store(app)
    with store.session() as s:
        org = models.PeerOrganisation(name="New Peers", status="pending", lat=53.5, lon=-2.2)
        s.add(org)
        s.flush()
        org_id = org.id
    create_user(store, email="new@cg.example", password_hash=password_hash(),
                role="hotspot_lead", organisation_id=org_id)
    client = app.test_client()
    login(client, "new@cg.example", PASSWORD)
    response = settled(client)
    assert response.status_code == 200
    assert "Demo data." not in response.text
    page = Page(response.text)
    (tree,) = rows_of(page, "coverage-by-hotspot")
    assert (tree["name"], tree["meetings"], tree["covered_population"]) == ("New Peers", "0", "0")
    assert number(tree["population"]) > 0  # the towns around it, none within reach
    assert all(r["distance_km"] == "no meeting" for r in rows_of(page, "gaps"))
    assert {r["devolve_from"] for r in rows_of(page, "sites")} == \
        {"none of yours ready within reach"}  # a pending organisation does not devolve
    assert "No licensed volunteers recorded." in response.text
    assert len(page.iframes) == 2
    assert all(frames(client, page).values())
    body = client.get("/hotspots/volunteers.csv").text
    assert body.splitlines() == [",".join(c.key for c in TABLES["volunteers"][1])]


# -- volunteers and licences -----------------------------------------------------------------


def test_lapsed_licences_are_not_shown_as_able_and_expiring_ones_are_flagged(app) -> None:
    store = get_store(app)
    load_demo_into(store)
    today = dt.date.today()
    org = lead_org(store)
    outsider = next(o["id"] for o in organisation_scope(store, None)
                    if o["id"] not in {x["id"] for x in organisation_scope(store, org)})
    people = {"Lapsed Lou": (org, today - dt.timedelta(days=1)),
              "Soon Sam": (org, today + dt.timedelta(days=30)),
              "Last-day Lin": (org, today),
              "Later Lee": (org, today + dt.timedelta(days=61)),
              "Elsewhere Eve": (outsider, today - dt.timedelta(days=3))}
    with store.session() as s:
        s.add_all([models.Volunteer(organisation_id=o, display_name=name,
                                    licence_number=f"TEST-{i}", licence_valid_until=until)
                   for i, (name, (o, until)) in enumerate(people.items())])
    lead = signed_in(app, "hotspot_lead")
    page = Page(lead.get("/hotspots").text)
    table = page.tables["table-volunteers"]
    rows = {r["display_name"]: (r, flag) for r, flag in
            zip(rows_of(page, "volunteers"), table["flags"], strict=True)}
    assert "Elsewhere Eve" not in rows

    lou, flag = rows["Lapsed Lou"]
    assert lou["status"].startswith("Lapsed")
    assert "not able to deliver meetings" in lou["able_to_deliver_meetings"]
    assert not lou["able_to_deliver_meetings"].startswith("Yes")
    assert flag == "flag-lapsed"
    sam, flag = rows["Soon Sam"]
    assert sam["status"] == "Expires in 30 days: renew now"
    assert sam["able_to_deliver_meetings"].startswith("Yes")
    assert flag == "flag-expiring"
    lin, flag = rows["Last-day Lin"]
    assert (lin["status"], flag) == ("Expires today: renew now", "flag-expiring")
    lee, flag = rows["Later Lee"]
    assert (lee["status"], lee["able_to_deliver_meetings"], flag) == ("Valid", "Yes", "")
    # urgent first: every lapsed licence before every expiring one before the valid ones
    statuses = [r["status"].split()[0] for r in rows_of(page, "volunteers")]
    assert statuses == sorted(statuses, key=["Lapsed:", "No", "Expires", "Valid"].index)

    got = {r["display_name"]: r for r in
           csv.DictReader(io.StringIO(lead.get("/hotspots/volunteers.csv").text))}
    assert (got["Lapsed Lou"]["status"], got["Lapsed Lou"]["able_to_deliver_meetings"],
            got["Lapsed Lou"]["days_left"]) == ("lapsed", "no", "-1")
    assert (got["Soon Sam"]["status"], got["Soon Sam"]["able_to_deliver_meetings"],
            got["Soon Sam"]["days_left"]) == ("expiring", "yes", "30")
    assert got["Later Lee"]["status"] == "valid"
    assert "Elsewhere Eve" not in got


# -- escaping --------------------------------------------------------------------------------


def test_hostile_names_are_escaped_in_the_page_and_maps_and_inert_in_csv(app) -> None:
    store = get_store(app)
    load_demo_into(store)
    root = lead_org(store)
    with store.session() as s:
        hub = s.get(models.PeerOrganisation, root)
        org = models.PeerOrganisation(
            name='<script>alert("org")</script>', status="approved", parent_id=root,
            region_id=hub.region_id, lat=hub.lat + 0.05, lon=hub.lon + 0.05,
            founded_on=dt.date(2024, 5, 1), town="Testtown")
        s.add(org)
        s.flush()
        s.add_all([
            models.Meeting(organisation_id=org.id, name="<img src=x onerror=alert(1)>",
                           lat=hub.lat + 0.05, lon=hub.lon + 0.05, active=True,
                           attendance="in_person", weekdays=[2]),
            models.Volunteer(organisation_id=org.id, display_name='<script>alert("vol")</script>',
                             licence_number="XSS-1", licence_valid_until=dt.date(2030, 1, 1)),
            models.Volunteer(organisation_id=org.id,
                             display_name='=HYPERLINK("http://evil.example","click")',
                             licence_number="+44-1", licence_valid_until=dt.date(2030, 1, 1)),
            models.Volunteer(organisation_id=org.id, display_name="@SUM(A1:A9)",
                             licence_number="-2+3", licence_valid_until=dt.date(2030, 1, 1)),
        ])
    for role in ("hotspot_lead", "admin"):
        client = signed_in(app, role)
        response = client.get("/hotspots")
        assert response.status_code == 200
        body = response.text
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert "&lt;script&gt;alert(&#34;vol&#34;)&lt;/script&gt;" in body
        assert "&lt;script&gt;alert(&#34;org&#34;)&lt;/script&gt;" in body
        page = Page(body)
        assert len(page.iframes) == 2
        maps = frames(client, page)
        for title, inner in maps.items():
            assert "<script>alert" not in inner, title
            assert "<img src=x" not in inner, title
            # the name is there as text (in GeoJSON, folium writes & as \u0026)
            assert "&lt;script&gt;alert(" in inner.replace("\\u0026", "&"), title
        coverage_map = next(v for k, v in maps.items() if k.startswith("Coverage"))
        assert "&lt;img src=x onerror=alert(1)&gt;" in coverage_map

    lead = signed_in(app, "hotspot_lead")
    text = lead.get("/hotspots/volunteers.csv").text
    rows = {r["licence_number"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["'+44-1"]["display_name"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert rows["'-2+3"]["display_name"] == "'@SUM(A1:A9)"
    assert rows["XSS-1"]["display_name"] == '<script>alert("vol")</script>'  # text, not HTML
    text_columns = {c.key for c in TABLES["volunteers"][1] if c.kind == "text"}
    for row in rows.values():
        assert not any(row[k][:1] in {"=", "+", "-", "@"} for k in text_columns), row
    growth = lead.get("/hotspots/growth.csv")
    assert growth.mimetype == "text/csv"
    assert growth.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+2", "'=1+2"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"),
    ("\t=1", "'\t=1"), ("Wigan", "Wigan"), ("", ""), (None, ""), ("a=b", "a=b"),
])
def test_csv_cells_cannot_start_a_formula(value, cell) -> None:
    assert csv_cell(value) == cell


# -- the store's side, on both backends ------------------------------------------------------


def test_scope_is_an_organisation_and_its_whole_subtree(store: Store) -> None:
    with store.session() as s:
        def org(name, parent=None):
            o = models.PeerOrganisation(name=name, status="approved",
                                        parent_id=parent.id if parent else None)
            s.add(o)
            s.flush()
            return o

        hub = org("Hub")
        child, other_child = org("Child", hub), org("Another child", hub)
        grandchild = org("Grandchild", child)
        elsewhere = org("Elsewhere")
        loop_a = org("Loop A")
        loop_b = org("Loop B", loop_a)
        loop_a.parent_id = loop_b.id  # bad data: a cycle must not hang or repeat
        ids = {o.name: o.id for o in (hub, child, other_child, grandchild, elsewhere,
                                      loop_a, loop_b)}
        s.add_all([models.Volunteer(organisation_id=ids[n], display_name=f"V {n}",
                                    licence_number=f"L-{n}") for n in ids])
    got = [(o["name"], o["depth"]) for o in organisation_scope(store, ids["Child"])]
    assert got == [("Child", 0), ("Grandchild", 1)]
    got = [(o["name"], o["depth"]) for o in organisation_scope(store, ids["Hub"])]
    assert got == [("Hub", 0), ("Another child", 1), ("Child", 1), ("Grandchild", 2)]
    assert [o["name"] for o in organisation_scope(store, ids["Loop A"])] == ["Loop A", "Loop B"]
    everything = [o["name"] for o in organisation_scope(store, None)]
    assert sorted(everything) == sorted(ids)
    assert organisation_scope(store, 10**6) == []

    vols = volunteers_of(store, [ids["Child"], ids["Grandchild"]])
    assert [(v["organisation"], v["display_name"]) for v in vols] == \
        [("Child", "V Child"), ("Grandchild", "V Grandchild")]
    assert volunteers_of(store, []) == []
    assert len(volunteers_of(store, None)) == len(ids)


def test_both_backends_give_the_same_dashboard(demo_stores, tmp_path) -> None:
    if "postgis" not in demo_stores:
        pytest.skip("PostGIS is not available")
    tables = {}
    for backend, store in demo_stores.items():
        app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "t",
                          "INSTANCE_PATH": str(tmp_path / backend)})
        root = organisation_scope(store, None)[0]
        for who, user in (("admin", type("U", (), {"role": "admin"})()),
                          ("lead", type("U", (), {"role": "hotspot_lead",
                                                  "organisation_id": root["id"]})())):
            with app.app_context():
                board = Dashboard(store, scope_for(store, user), radius_km=10.0, area="GB",
                                  today=dt.date(2026, 1, 1))
                tables[(backend, who)] = {n: board.table(n).to_csv() for n in TABLES}
        get_store(app).dispose()
    for who in ("admin", "lead"):
        assert tables[("sqlite", who)] == tables[("postgis", who)], who


# -- in a browser ----------------------------------------------------------------------------


def test_the_page_in_chromium_at_375px_with_the_keyboard(demo_app, browser, tmp_path) -> None:
    shots = load_script("screenshots")
    client = signed_in(demo_app, "hotspot_lead")
    settled(client)  # every table filled (the first visit starts the slow ones)
    errors, console, served = [], [], {}

    def route(r) -> None:
        url = r.request.url
        if url.startswith("http://cg.test/"):
            got = client.get(url.removeprefix("http://cg.test"))
            body = got.get_data()
            got.close()  # static files are streamed from an open file
            r.fulfill(status=got.status_code, body=body,
                      content_type=got.headers.get("Content-Type"))
        else:
            shots.offline_route(r, served)

    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.route("**/*", route)
    page.goto("http://cg.test/hotspots", wait_until="load")
    page.wait_for_timeout(500)
    layout = page.evaluate("""() => ({
        width: document.documentElement.scrollWidth,
        wraps: [...document.querySelectorAll('.table-wrap')].map(
            w => [w.getBoundingClientRect().right, getComputedStyle(w).overflowX]),
        // sandboxed map frames: the page cannot look inside them
        frames: [...document.querySelectorAll('iframe')].map(f => f.contentDocument === null),
        banner: !!document.querySelector('.demo-banner'),
    })""")
    layout["maps"] = [frame.content_frame().evaluate("""() => {
        const el = document.querySelector('.folium-map');
        return !!(el && window.L && window[el.id]); }""")
        for frame in page.query_selector_all("iframe")]
    page.screenshot(path=str(tmp_path / "hotspots-375.png"), full_page=False)
    focused = []
    for _ in range(400):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("""() => { const e = document.activeElement;
            return e.id || e.getAttribute('href') || e.getAttribute('aria-labelledby')
                   || e.tagName; }"""))
        if focused[-1] and focused[-1].startswith("/hotspots/volunteers.csv"):
            break
    page.close()
    assert errors == [], errors
    assert console == [], console
    assert "blocked" not in served.values(), served
    assert layout["width"] <= 375, layout
    assert len(layout["wraps"]) == len(TABLES) + 2  # and the two impact tables
    for right, overflow in layout["wraps"]:
        assert right <= 375
        assert overflow == "auto"
    assert layout["maps"] == [True, True]
    assert layout["frames"] == [True, True]
    assert layout["banner"]
    assert focused[0] == "#main"  # the skip link first
    for stop in ("radius_km", "#volunteers", "cap-coverage-by-region",
                 "/hotspots/coverage-by-region.csv?radius_km=10"):
        assert stop in focused, (stop, focused)
    assert focused[-1].startswith("/hotspots/volunteers.csv")
    assert (tmp_path / "hotspots-375.png").stat().st_size > 10_000
    assert not re.search(r"Traceback", " ".join(console))
