"""Peer pages: search with reasons and a map, an opportunity, the meeting finder."""

from __future__ import annotations

import re

import pytest

from ingest.demo import load_demo
from service import get_store
from store.models import Association
from store.models import Opportunity
from store.reads import approved_organisation_ids
from store.reads import export_records
from store.reads import is_listed


@pytest.fixture
def demo_client(app, client):
    load_demo(get_store(app))
    return client


def test_search_form_without_origin(demo_client) -> None:
    page = demo_client.get("/").get_data(as_text=True)
    assert "Find volunteering near your meeting" in page
    assert 'name="interests" value="gardening"' in page
    assert "Your privacy." in page
    assert "Demo data." in page


def test_search_by_place_with_two_interests(demo_client) -> None:
    response = demo_client.get("/?place=Wigan&interests=gardening&interests=outdoors")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "within 15 km of Wigan" in page
    assert page.count('class="result"') >= 3
    assert re.search(r"\d+\.\d km", page)
    assert "<iframe" in page
    assert "srcdoc=" in page


def test_search_results_match_the_api(demo_client) -> None:
    api = demo_client.get("/api/recommendations?meeting_id=1&interests=waterways").get_json()
    page = demo_client.get("/?meeting_id=1&interests=waterways").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/opportunities/(\d+)[?"]', page)]
    assert ids == [r["opportunity_id"] for r in api["results"]]


def test_unknown_postcode_is_a_clear_4xx(demo_client) -> None:
    response = demo_client.get("/?postcode=NOT+A+CODE")
    assert 400 <= response.status_code < 500
    assert "We could not search from there." in response.get_data(as_text=True)


def test_opportunity_page(demo_client, app) -> None:
    opp = next(o for o in export_records(get_store(app), "opportunities")
               if o["skills"] and is_listed(o))
    page = demo_client.get(f"/opportunities/{opp['id']}").get_data(as_text=True)
    assert opp["title"] in page or opp["title"].replace("'", "&#39;") in page
    assert "Get in touch" in page
    assert "You can learn" in page
    assert demo_client.get("/opportunities/999999").status_code == 404


def test_meeting_finder_filters(demo_client, app) -> None:
    public = approved_organisation_ids(get_store(app))
    everything = [m for m in export_records(get_store(app), "meetings") if m["active"]]
    meetings = [m for m in everything if m["organisation_id"] in public]
    assert len(meetings) < len(everything)  # the demo has meetings of pending organisations
    page = demo_client.get("/meetings").get_data(as_text=True)
    assert f"{len(meetings)} meetings" in page
    assert f"{len(meetings)} active meetings in all" in page
    tuesday = [m for m in meetings if 2 in m["weekdays"]]
    page = demo_client.get("/meetings?day=2").get_data(as_text=True)
    assert f'id="found-heading">{len(tuesday)} meetings' in page
    online = [m for m in meetings if m["attendance"] in ("online", "hybrid")]
    page = demo_client.get("/meetings?attendance=online").get_data(as_text=True)
    assert f'id="found-heading">{len(online)} meetings' in page
    first = meetings[0]
    detail = demo_client.get(f"/meetings/{first['id']}").get_data(as_text=True)
    assert "Volunteering near this meeting" in detail
    hidden = next(m for m in everything if m["organisation_id"] not in public)
    assert demo_client.get(f"/meetings/{hidden['id']}").status_code == 404
    assert hidden["name"] not in page


def test_user_text_is_escaped_on_peer_pages(app, client) -> None:
    evil = "<script>alert(1)</script>"
    store = get_store(app)
    with store.session() as s:
        a = Association(name=evil, category="charity", lat=53.5448, lon=-2.6318,
                        description=evil)
        s.add(a)
        s.flush()
        s.add(Opportunity(association_id=a.id, title=evil, description=evil,
                          interests=["gardening"], skills=[evil], lat=53.5448, lon=-2.6318))
    for url in ("/?lat=53.5448&lon=-2.6318&interests=gardening", "/opportunities/1"):
        page = client.get(url).get_data(as_text=True)
        # The page itself never carries the raw tag; the map iframe's srcdoc is escaped too.
        assert evil not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_search_map_shows_only_the_meetings_within_the_radius(demo_client, app) -> None:
    from geo.distance import haversine_km

    meetings = [m for m in export_records(get_store(app), "meetings")
                if m["active"] and m["lat"] is not None]
    far = [m for m in meetings if haversine_km(53.5448, -2.6318, m["lat"], m["lon"]) > 100]
    near = [m for m in meetings if haversine_km(53.5448, -2.6318, m["lat"], m["lon"]) <= 15]
    assert far
    assert near
    page = demo_client.get("/?lat=53.5448&lon=-2.6318&interests=gardening").get_data(
        as_text=True)
    frame = page.split('srcdoc="', 1)[1]

    def marker(m: dict) -> str:  # the maps round positions to 5 decimals (about 1 m)
        return f"[{round(m['lat'], 5)}, {round(m['lon'], 5)}]"

    assert any(marker(m) in frame for m in near)
    assert not any(marker(m) in frame for m in far)


def test_results_first_understood_paging_and_errors_at_their_field(demo_client) -> None:
    """Issue 12: results before the folded form, what was understood, pages, field errors."""
    page = demo_client.get("/?place=Wigan&text=I+like+being+outdoors+near+water"
                           "&radius_km=25").get_data(as_text=True)
    assert page.index('id="results-heading"') < page.index('id="search-form"')
    assert "Near Wigan, outdoors, waterways -" in page
    assert "waterways, from 'near water'" in page
    remove = re.search(r'href="([^"]*ignore=waterways[^"]*)"', page)
    assert remove is not None
    assert re.search(r"\d+ found within 25 km of Wigan, showing 1-10", page)
    assert '<details class="search-details" id="search-details" >' in page  # folded
    after = demo_client.get(remove.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "from 'near water'" not in after
    assert 'name="ignore" value="waterways"' in after
    more = re.search(r'href="([^"]*page=2[^"]*)">Show more', page)
    assert more is not None
    second = demo_client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r"showing 11-\d+", second)
    assert '<ol class="result-list" start="11">' in second
    bad = demo_client.get("/?postcode=NOT+A+CODE&interests=gardening")
    text = bad.get_data(as_text=True)
    assert 'id="postcode-error"' in text
    assert re.search(r'id="postcode"[^>]*aria-invalid="true"[^>]*autofocus', text)
    nowhere = demo_client.get("/?interests=gardening")
    assert nowhere.status_code == 400
    assert "say where from" in nowhere.get_data(as_text=True)
    filtered = demo_client.get("/?place=Wigan&interests=gardening&commitment=flexible"
                               "&groups=1").get_data(as_text=True)
    assert 'option value="flexible" selected' in filtered
