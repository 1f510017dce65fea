"""Admin pages: approve/suspend partners, staff users, ingest runs (statuses on both backends)."""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

import pytest

from geo.geocode import OfflineGeocoder
from geo.service_area import service_area_from_text
from ingest.pipeline import ingest_file
from service import create_app
from service import get_store
from service.usecases.accounts import hash_password
from service.web.auth import CurrentUser
from store import Store
from store import models
from store.users import create_user
from store.users import find_user_by_email
from store.users import get_user

PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def add(store: Store, model, **fields) -> int:
    with store.session() as s:
        record = model(**fields)
        s.add(record)
        s.flush()
        return record.id


def status_of(store: Store, model, record_id: int) -> str:
    with store.sessions() as s:
        return s.get(model, record_id).status


def sign_in(client, user) -> None:
    """Start a session for ``user`` without the password check (tests of authorisation;
    signing in itself is tested in test_auth.py with the real password hash)."""
    with client.session_transaction() as session:
        session["_user_id"] = CurrentUser(user).get_id()
        session["_fresh"] = True


@pytest.fixture
def admin_app(store: Store, tmp_path: Path):
    app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path)})
    yield app
    get_store(app).dispose()


@pytest.fixture
def admin(admin_app, store: Store):
    user = create_user(store, email="boss@cg.example", password_hash=password_hash(),
                       role="admin")
    client = admin_app.test_client()
    sign_in(client, user)
    client.user = user
    return client


def test_admin_home_counts_what_waits(admin, store) -> None:
    add(store, models.PeerOrganisation, name="New Peers", status="pending")
    add(store, models.Association, name="New Club", status="pending")
    add(store, models.Association, name="Old Club", status="approved")
    page = admin.get("/admin/").text
    assert "1 peer organisation waiting for approval" in page
    assert "1 association waiting for approval" in page
    assert "1 staff user" in page


@pytest.mark.parametrize(("model", "kind"), [(models.PeerOrganisation, "organisations"),
                                             (models.Association, "associations")])
def test_admin_approves_and_suspends(admin, store, model, kind) -> None:
    rid = add(store, model, name="Riverside", status="pending")
    listed = admin.get(f"/admin/{kind}?status=pending")
    assert "Riverside" in listed.text
    assert f"/admin/{kind}/{rid}/status" in listed.text
    done = admin.post(f"/admin/{kind}/{rid}/status",
                      data={"status": "approved", "next": f"/admin/{kind}?status=pending"})
    assert done.status_code == 302
    assert done.location == f"/admin/{kind}?status=pending"
    assert status_of(store, model, rid) == "approved"
    assert "Riverside is now approved (was pending)" in admin.get(done.location).text
    assert admin.post(f"/admin/{kind}/{rid}/status",
                      data={"status": "suspended"}).status_code == 302
    assert status_of(store, model, rid) == "suspended"
    assert "<td>Riverside" not in admin.get(f"/admin/{kind}?status=approved").text
    assert "<td>Riverside" in admin.get(f"/admin/{kind}?status=suspended").text

    bad = admin.post(f"/admin/{kind}/{rid}/status", data={"status": "banished"})
    assert bad.status_code == 400
    assert "&#39;banished&#39; is not known; choose one of pending, approved, suspended" \
        in bad.text
    assert admin.post(f"/admin/{kind}/999999/status",
                      data={"status": "approved"}).status_code == 404
    assert status_of(store, model, rid) == "suspended"
    offsite = admin.post(f"/admin/{kind}/{rid}/status",
                         data={"status": "approved", "next": "https://evil.example/"})
    assert offsite.location == f"/admin/{kind}"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_association_search_and_pages(admin, store) -> None:
    for name in ("100% Volunteers", "Canal Trust", "Canal_Boats", "Community Garden"):
        add(store, models.Association, name=name, status="approved")
    found = re.findall(r"<td>(Canal[^<]*)", admin.get("/admin/associations?q=canal").text)
    assert [f.strip() for f in found] == ["Canal Trust", "Canal_Boats"]
    # % and _ are matched as themselves, not as wildcards
    assert "100% Volunteers" in admin.get("/admin/associations?q=100%25").text
    assert "Canal Trust" not in admin.get("/admin/associations?q=100%25").text
    assert "Canal Trust" not in admin.get("/admin/associations?q=l_b").text
    assert admin.get("/admin/associations?q=l_b").text.count("<td>Canal_Boats") == 1
    assert "4 associations" in admin.get("/admin/associations").text
    beyond = admin.get("/admin/associations?page=7").text
    assert "4 associations" in beyond
    assert "<td>Canal" not in beyond
    for bad in ("page=0", "page=abc", "status=gone"):
        response = admin.get(f"/admin/associations?{bad}")
        assert response.status_code == 400
        assert bad.split("=")[0] in response.text


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_admin_creates_staff_users(admin, store) -> None:
    aid = add(store, models.Association, name="Canal Trust")
    oid = add(store, models.PeerOrganisation, name="Peer Org", is_hotspot=True)
    form = {"email": "Coord@Canal.example", "password": PASSWORD, "password_again": PASSWORD,
            "role": "association", "association_id": str(aid), "organisation_id": str(oid)}
    assert f'<option value="{aid}"' in admin.get("/admin/users/new").text
    done = admin.post("/admin/users/new", data=form)
    assert done.status_code == 302
    user = find_user_by_email(store, "coord@canal.example")
    # the leftover organisation is dropped: a partner is linked to its association only
    assert (user.role, user.association_id, user.organisation_id) == ("association", aid, None)
    assert user.password_hash.startswith("scrypt:")
    assert "coord@canal.example" in admin.get("/admin/users").text

    cases = [
        ({}, "exists already"),
        ({"email": "b@cg.example", "password_again": "something else"}, "passwords differ"),
        ({"email": "b@cg.example", "password": "short", "password_again": "short"},
         "at least 10 characters"),
        ({"email": "b@cg.example", "role": "hotspot_lead", "organisation_id": ""},
         "needs organisation_id"),
        ({"email": "not an email"}, "is not an email address"),
        ({"email": "b@cg.example", "role": "root"}, "role &#39;root&#39; is not known"),
        ({"email": "b@cg.example", "association_id": "1 OR 1=1"}, "is not an id"),
    ]
    for change, message in cases:
        response = admin.post("/admin/users/new", data=form | change)
        assert response.status_code == 400, change
        assert message in response.text, change
    assert find_user_by_email(store, "b@cg.example") is None


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_admin_suspends_and_reactivates_users_but_not_itself(admin, store) -> None:
    other = create_user(store, email="lead@cg.example", password_hash=password_hash(),
                        role="admin")
    assert admin.post(f"/admin/users/{other.id}/active", data={"active": "0"}).status_code == 302
    assert get_user(store, other.id).active is False
    assert admin.post(f"/admin/users/{other.id}/active", data={"active": "1"}).status_code == 302
    assert get_user(store, other.id).active is True
    mine = admin.post(f"/admin/users/{admin.user.id}/active", data={"active": "0"})
    assert mine.status_code == 400
    assert "cannot suspend your own account" in mine.text
    assert admin.post(f"/admin/users/{other.id}/active",
                      data={"active": "maybe"}).status_code == 400
    assert admin.post("/admin/users/999999/active", data={"active": "1"}).status_code == 404


def write_associations(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "category", "postcode", "lat", "lon"])
        writer.writerows(rows)
    return path


def test_admin_sees_ingest_runs_and_rejected_rows(admin, store, tmp_path) -> None:
    rows = [[f"a{i}", f"Club {i}", "sport", "", 53.4 + i / 100, -2.3] for i in range(3)]
    rows[1][4:6] = [48.85, 2.35]  # Paris: outside the service area
    rows[2][4:6] = ["north", "west"]
    path = write_associations(tmp_path / "clubs.csv", rows)
    report = ingest_file(store, path, "associations", area=service_area_from_text("GB"),
                         geocoder=OfflineGeocoder())
    assert report.rejected_rows == 2
    listing = admin.get("/admin/ingest").text
    assert "clubs.csv" in listing
    assert f"/admin/ingest/{report.run_id}" in listing
    page = admin.get(f"/admin/ingest/{report.run_id}")
    assert page.status_code == 200
    cells = re.findall(r"<tr><td>(\d+)</td>", page.text)
    assert sorted(int(c) for c in cells) == sorted(r["row"] for r in report.rejected)
    for r in report.rejected:
        assert str(r["reason"]).replace("'", "&#39;") in page.text
    assert admin.get("/admin/ingest/999999").status_code == 404
    assert admin.get(f"/admin/ingest/{report.run_id}?page=x").status_code == 400
