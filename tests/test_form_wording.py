"""Form errors for people (issue 14, point 6): the field's label, what to do, at the field.

For each form (the partner need form and the partner API, the "I'm interested" form, the
peer search and the meeting finder) a wrong value answers 4xx with a message that names the
field by the label the form shows and never by a code name (``end_time``, ``radius_km``).
On pages the message sits beside its field, which it describes (``aria-describedby``), and
the field takes focus. The app and its demo data are those of :mod:`test_dates`.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from test_dates import build_site
from test_dates import signed_in

from service import get_store

SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")


def messages(html: str) -> dict[str, str]:
    """The error messages of a page: element id (``end_time-error``) -> its text."""
    found = re.findall(r'<p class="(?:field-)?error" id="([\w,-]+)-error"[^>]*>(.*?)</p>',
                       html, re.S)
    return {name: " ".join(unescape(re.sub(r"<[^>]+>", "", text)).split())
            for name, text in found}


def check_field(html: str, field_id: str, error_id: str, label: str) -> str:
    """The message at the field: names its label, no code name; the field is described."""
    found = messages(html)
    assert error_id in found, (error_id, found)
    message = found[error_id]
    assert label in message, (label, message)
    assert not SNAKE.search(message), message
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert tag is not None, field_id
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    assert f"{error_id}-error" in tag.group(0), tag.group(0)
    assert "autofocus" in tag.group(0), tag.group(0)  # the first (here only) error
    return message


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo app of :func:`test_dates.build_site`."""
    app, opp_id, run_id = build_site(tmp_path_factory.mktemp("forms"))
    yield app, opp_id, run_id
    get_store(app).dispose()


# -- the partner need form and the partner API ----------------------------------------------

NEED = {"title": "Lock painting", "description": "Paint the lock gates",
        "start_time": "14:00", "end_time": "16:00", "status": "open",
        "location_from": "association"}
BAD_NEEDS = [
    # (changed fields, the input's id, the problem's id, the label)
    ({"end_time": "10:00"}, "end_time", "end_time", "Finish time"),
    ({"start_time": "25:00"}, "start_time", "start_time", "Start time"),
    ({"title": ""}, "title", "title", "Title"),
    ({"capacity": "lots"}, "capacity", "capacity", "Places"),
    ({"starts_on": "31/02/2026"}, "starts_on", "starts_on", "First day"),
    ({"starts_on": "2026-05-02", "ends_on": "2026-05-01"}, "ends_on", "ends_on", "Last day"),
    ({"status": "gone"}, "status-field", "status", "Status"),
    ({"location_from": "postcode", "postcode": "NOT A PC"}, "postcode", "postcode", "Postcode"),
    ({"location_from": "point", "lat": "north", "lon": "-2.2"}, "lat", "lat", "Latitude"),
]


@pytest.mark.parametrize(("changes", "field_id", "error_id", "label"), BAD_NEEDS,
                         ids=[c[3] for c in BAD_NEEDS])
def test_partner_form_names_the_field_by_its_label(site, changes, field_id, error_id,
                                                   label) -> None:
    app = site[0]
    response = signed_in(app, "association").post("/partner/opportunities/new",
                                                   data={**NEED, **changes})
    assert response.status_code == 400, response.status_code
    message = check_field(response.text, field_id, error_id, label)
    summary = re.search(r'<div class="error" role="alert">(.*?)</div>', response.text, re.S)
    assert summary is not None
    assert not SNAKE.search(unescape(re.sub(r"<[^>]+>", "", summary.group(1))))
    assert message.endswith((".", "?")), message


def test_the_finish_time_message_says_what_to_do(site) -> None:
    response = signed_in(site[0], "association").post(
        "/partner/opportunities/new", data={**NEED, "end_time": "10:00"})
    assert messages(response.text)["end_time"] == (
        "Finish time (10:00) must be after the start time (14:00). Change the finish time, "
        "or leave it empty.")


@pytest.fixture(scope="module")
def api_token(site) -> str:
    page = signed_in(site[0], "association").post("/partner/token", data={"action": "create"})
    return re.search(r'id="new-token">([^<]+)<', page.text).group(1)


API_NEED = {"title": "Lock painting", "start_time": "14:00", "end_time": "16:00"}
BAD_API_NEEDS = [
    ({"end_time": "10:00"}, "Finish time"), ({"capacity": "many"}, "Places"),
    ({"title": ""}, "Title"), ({"starts_on": "soon"}, "First day"),
    ({"weekdays": ["Funday"]}, "Days"), ({"status": "gone"}, "Status"),
    ({"lat": 95, "lon": 0}, "Latitude"), ({"interests": ["knitting"]}, "Interests"),
    ({"contact": 1, "places_taken": -1}, "Places taken"),
]


@pytest.mark.parametrize(("changes", "label"), BAD_API_NEEDS, ids=[b[1] for b in BAD_API_NEEDS])
def test_partner_api_messages_name_the_field_by_its_label(site, api_token, changes,
                                                          label) -> None:
    changes = {k: v for k, v in changes.items() if k != "contact"}
    response = site[0].test_client().post(
        "/api/partner/opportunities", json={**API_NEED, **changes},
        headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 400, response.json
    assert set(response.json) == {"error", "detail", "status"}
    assert label in response.json["detail"], response.json
    assert not SNAKE.search(response.json["detail"]), response.json


# -- the "I'm interested" form ----------------------------------------------------------------

BAD_INTERESTS = [
    ({}, "email", "method", "How should they reach you?"),
    ({"method": "email", "email": "not-an-email"}, "email", "email", "Your email"),
    ({"method": "phone", "phone": "call me"}, "phone", "phone", "Your phone number"),
    ({"method": "meeting"}, "meeting_id", "meeting_id", "Your meeting"),
]


@pytest.mark.parametrize(("data", "field_id", "error_id", "label"), BAD_INTERESTS,
                         ids=[b[3] for b in BAD_INTERESTS])
def test_interest_form_names_the_field_by_its_label(site, data, field_id, error_id,
                                                    label) -> None:
    app, opp_id, _run = site
    response = app.test_client().post(f"/opportunities/{opp_id}/interest", data=data)
    assert response.status_code == 400
    found = messages(response.text)
    assert label in found[error_id], found
    assert not SNAKE.search(found[error_id])
    if error_id == "method":  # a group of radio buttons: the group is described
        assert 'aria-describedby="method-error"' in response.text
        assert re.search(r'name="method" value="email"[^>]*aria-invalid="true"[^>]*autofocus',
                         response.text)
    else:
        check_field(response.text, field_id, error_id, label)


# -- the peer search and the meeting finder ---------------------------------------------------

BAD_SEARCHES = [
    ("postcode=ZZ9+9ZZ9", "postcode", "Postcode"),
    ("place=Atlantis", "place", "Town"),
    ("postcode=WN1&radius_km=far", "radius_km", "How far"),
    ("postcode=WN1&radius_km=500", "radius_km", "How far"),
    ("postcode=WN1&times=brunch", "times", "Time of day"),
    ("postcode=WN1&days=Funday", "days", "Days"),
    ("postcode=WN1&commitment=forever", "commitment", "Commitment"),
    ("postcode=WN1&remote=sometimes", "remote", "Remote or online"),
    ("meeting=Zzyzx", "meeting", "My meeting"),
]


@pytest.mark.parametrize(("query", "field", "label"), BAD_SEARCHES,
                         ids=[b[0] for b in BAD_SEARCHES])
def test_search_form_names_the_field_by_its_label(site, query, field, label) -> None:
    response = site[0].test_client().get(f"/?{query}")
    assert 400 <= response.status_code < 500, response.status_code
    check_field(response.text, field, field, label)


BAD_FINDS = [
    ("day=9", "day", "Day"), ("time=brunch", "time", "Time"),
    ("attendance=sometimes", "attendance", "How"), ("type=%3Cb%3E", "type", "Access"),
    ("region=Atlantis", "region", "Region"), ("view=yesterday", "view", "Show"),
    ("near=Atlantis", "near", "Near a postcode or town"),
    ("q=" + "x" * 300, "q", "Search meetings"),
]


@pytest.mark.parametrize(("query", "field", "label"), BAD_FINDS, ids=[b[2] for b in BAD_FINDS])
def test_meeting_finder_names_the_field_by_its_label(site, query, field, label) -> None:
    response = site[0].test_client().get(f"/meetings?{query}")
    assert 400 <= response.status_code < 500, response.status_code
    check_field(response.text, field, field, label)


def test_the_api_still_names_its_parameters(site) -> None:
    """The JSON API answers callers who typed ``radius_km``: it names the parameter."""
    response = site[0].test_client().get("/api/recommendations?postcode=WN1&radius_km=far")
    assert response.status_code == 400
    assert "radius_km='far' is not a number" in response.json["detail"]
