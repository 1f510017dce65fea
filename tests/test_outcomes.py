"""Outcome records and impact: rules, scoping, validation, the dashboard's figures, CSV.

A small world (two growth trees, three associations, links, needs, meetings and one account
per role) is written into a real store on each backend. The dashboard's per-organisation and
per-tree figures are checked against a brute-force sum over the stored records, written out
rule by rule in this file, on that world and on the demo data set.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io

import pytest

from domain.errors import RecordError
from domain.outcomes import clean_outcome
from matching.skills import SKILL_LABELS
from service import create_app
from service import get_store
from service.usecases.accounts import hash_password
from service.usecases.accounts import new_api_token
from service.usecases.dashboard import Dashboard
from service.usecases.dashboard import Scope
from service.usecases.impact import impact_for
from store import Store
from store import models
from store.hotspots import organisation_scope
from store.interests import record_interest
from store.interests import set_interest_status
from store.outcomes import Recorder
from store.outcomes import create_outcome
from store.outcomes import list_outcomes
from store.users import create_user
from store.users import set_api_token_hash

PASSWORD = "correct horse battery"
NAMES = {"Y": '<script>alert("y")</script> Trust'}
TODAY = dt.date.today()
THIS_MONTH = TODAY.replace(day=1)


def months_back(n: int) -> dt.date:
    index = THIS_MONTH.year * 12 + THIS_MONTH.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


# -- a small world ---------------------------------------------------------------------------


def build_world(store: Store, *, users: bool = False) -> dict:
    """Two trees (A <- B, and C), associations X, Y, Z, their needs, links and meetings."""
    with store.session() as s:
        a = models.PeerOrganisation(name="Alpha Peers", status="approved", is_hotspot=True,
                                    lat=53.5, lon=-2.6, founded_on=dt.date(2019, 1, 1))
        s.add(a)
        s.flush()
        b = models.PeerOrganisation(name='=HYPERLINK("x"), Beta', status="approved",
                                    parent_id=a.id, lat=53.6, lon=-2.5,
                                    founded_on=dt.date(2021, 1, 1))
        c = models.PeerOrganisation(name="Gamma Peers", status="approved", is_hotspot=True,
                                    lat=51.5, lon=-3.2, founded_on=dt.date(2019, 6, 1))
        s.add_all([b, c])
        s.flush()
        assocs = {n: models.Association(name=NAMES.get(n, f"{n} Trust"), status="approved",
                                        lat=53.5, lon=-2.6) for n in "XYZ"}
        s.add_all(assocs.values())
        s.flush()
        needs = {k: models.Opportunity(association_id=assocs[k[0]].id, title=f"Need {k}",
                                       lat=53.5, lon=-2.6, capacity=20, interests=["waterways"])
                 for k in ("X1", "X2", "Y1")}
        s.add_all(needs.values())
        meetings = {o: models.Meeting(organisation_id=org.id, name=f"Meeting {o}", lat=53.5,
                                      lon=-2.6, active=True) for o, org in (("A", a), ("B", b))}
        s.add_all(meetings.values())
        links = {k: models.MutualInterestLink(organisation_id=org.id,
                                              association_id=assocs[k[1]].id)
                 for k, org in (("AX", a), ("BX", b), ("BY", b), ("CY", c))}
        s.add_all(links.values())
        s.flush()
        world = {"A": a.id, "B": b.id, "C": c.id,
                 **{n: x.id for n, x in assocs.items()},
                 **{k: x.id for k, x in needs.items()},
                 **{f"m{k}": x.id for k, x in meetings.items()},
                 **{f"link{k}": x.id for k, x in links.items()}}
    if users:
        for email, role, link in (
                ("partner-x@cg.example", "association", {"association_id": world["X"]}),
                ("partner-y@cg.example", "association", {"association_id": world["Y"]}),
                ("lead-a@cg.example", "hotspot_lead", {"organisation_id": world["A"]}),
                ("lead-c@cg.example", "hotspot_lead", {"organisation_id": world["C"]}),
                ("admin@cg.example", "admin", {})):
            world[email] = create_user(store, email=email, password_hash=password_hash(),
                                       role=role, **link).id
    return world


def month(n: int) -> dict:
    return {"period_start": months_back(n), "period_unit": "month"}


def figures(peers=0, hours=0.0, volunteered=0, licensed=0, skills=()) -> dict:
    return {"peers_taking_part": peers, "hours": float(hours),
            "went_on_to_volunteer": volunteered, "became_licensed": licensed,
            "skills": list(skills)}


def record_world(store: Store, w: dict) -> None:
    """Records from every side, overlapping on purpose, and interests marked in the inbox."""
    px, py = Recorder("association", association_id=w["X"]), \
        Recorder("association", association_id=w["Y"])
    lead_a = Recorder("organisation", organisation_ids=frozenset({w["A"], w["B"]}))
    lead_c = Recorder("organisation", organisation_ids=frozenset({w["C"]}))
    # Two sides of the link A-X, two months ago: the larger figure of each side counts.
    create_outcome(store, px, w["X"], {"opportunity_id": w["X1"], "organisation_id": w["A"],
                                       **month(2), **figures(2, 6.5, skills=["basic-first-aid"])})
    create_outcome(store, lead_a, w["X"], {"organisation_id": w["A"], **month(2),
                                           **figures(3, 5, volunteered=1,
                                                     skills=["cooperative-work"])})
    # This month, need X1: three peers through meeting A marked taking part; the partner's
    # own record says one: the inbox's three count (not four).
    for _ in range(3):
        record_interest(store, w["X1"], method="meeting", meeting_id=w["mA"])
    for iid in _interest_ids(store, w["X1"]):
        set_interest_status(store, w["X"], iid, "taking_part")
    create_outcome(store, px, w["X"], {"opportunity_id": w["X1"], "organisation_id": w["A"],
                                       **month(0), **figures(1, 9.25)})
    # Need X2: one peer by email (organisation not known) taking part; the partner records
    # two through B: the partner's two count, the inbox's one does not.
    record_interest(store, w["X2"], method="email", contact="peer@example.org")
    set_interest_status(store, w["X"], _interest_ids(store, w["X2"])[0], "taking_part")
    create_outcome(store, px, w["X"], {"opportunity_id": w["X2"], "organisation_id": w["B"],
                                       **month(0), **figures(2, 4)})
    # Y: a day of need Y1, organisation not known; a day on the link B-Y; lead C's link.
    create_outcome(store, py, w["Y"], {"opportunity_id": w["Y1"], "period_unit": "day",
                                       "period_start": months_back(4) + dt.timedelta(days=9),
                                       **figures(4, 12)})
    create_outcome(store, py, w["Y"], {"organisation_id": w["B"], "period_unit": "day",
                                       "period_start": months_back(1) + dt.timedelta(days=3),
                                       **figures(1, 2.75, licensed=1)})
    create_outcome(store, lead_c, w["Y"], {"organisation_id": w["C"], **month(1),
                                           **figures(5, 20, skills=["risk-awareness"])})
    create_outcome(store, lead_c, w["Y"], {"organisation_id": w["C"], **month(7),
                                           **figures(2, 3)})


def _interest_ids(store: Store, need_id: int) -> list[int]:
    from store.interests import list_interests

    with store.sessions() as s:
        assoc = s.get(models.Opportunity, need_id).association_id
    return sorted(i["id"] for i in list_interests(store, assoc) if i["opportunity_id"] == need_id)


# -- the brute force -------------------------------------------------------------------------


def brute_force(records: list[dict], organisation_ids, by: str) -> dict:
    """(organisation, period start) -> figures, by the rules written out one at a time."""
    def first_of_month(d):
        return d.replace(day=1)

    def start(d):
        return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1) if by == "quarter" \
            else first_of_month(d)

    def side(r):
        return "organisation" if r["recorded_by"] == "organisation" else "association"

    def peers_that_count(r):
        if r["recorded_by"] == "organisation" or r["opportunity_id"] is None:
            return r["peers_taking_part"]
        same = [x for x in records if x["recorded_by"] in ("association", "inbox")
                and x["opportunity_id"] == r["opportunity_id"]
                and first_of_month(x["period_start"]) == first_of_month(r["period_start"])]
        inbox = sum(x["peers_taking_part"] for x in same if x["recorded_by"] == "inbox")
        own = sum(x["peers_taking_part"] for x in same if x["recorded_by"] == "association")
        if r["recorded_by"] == "inbox":
            return r["peers_taking_part"] if inbox > own else 0
        return r["peers_taking_part"] if own >= inbox else 0

    expected: dict = {}
    keys = {(r["organisation_id"], r["association_id"], first_of_month(r["period_start"]))
            for r in records}
    for org, assoc, m in sorted(keys, key=str):
        if org not in organisation_ids:
            continue
        sides = {}
        for name in ("association", "organisation"):
            mine = [r for r in records if r["organisation_id"] == org
                    and r["association_id"] == assoc
                    and first_of_month(r["period_start"]) == m and side(r) == name]
            if mine:
                sides[name] = {
                    "peers_taking_part": sum(peers_that_count(r) for r in mine),
                    "hours": sum(r["hours"] for r in mine),
                    "went_on_to_volunteer": sum(r["went_on_to_volunteer"] for r in mine),
                    "became_licensed": sum(r["became_licensed"] for r in mine),
                    "skills": {s for r in mine for s in r["skills"]}}
        total = expected.setdefault((org, start(m)), {
            "peers_taking_part": 0, "hours": 0.0, "went_on_to_volunteer": 0,
            "became_licensed": 0, "skills": set()})
        for f in ("peers_taking_part", "hours", "went_on_to_volunteer", "became_licensed"):
            total[f] += max(s[f] for s in sides.values())
        for s in sides.values():
            total["skills"] |= s["skills"]
    return expected


FIGS = ("peers_taking_part", "hours", "went_on_to_volunteer", "became_licensed")


def _check_against_brute_force(store: Store, scope: Scope, *, trees_of: dict[int, set[int]],
                               include_unknown: bool) -> int:
    records = list_outcomes(store)
    board = Dashboard(store, scope, radius_km=10.0, area="GB", today=TODAY)
    checked = 0
    for by in ("month", "quarter"):
        impact = impact_for(store, scope, board.trees, by=by)
        wanted = set(scope.ids) | ({None} if include_unknown else set())
        expected = brute_force(records, wanted, by)
        got = {(r["organisation_id"], r["period"]): r for r in impact.organisations
               if r.get("flag") != "total"}
        assert set(got) == set(expected), by
        for key, exp in expected.items():
            assert {f: got[key][f] for f in FIGS} == {f: exp[f] for f in FIGS}, (by, key)
            assert set(got[key]["skills"]) == exp["skills"], (by, key)
            checked += 1
        for total in (r for r in impact.organisations if r.get("flag") == "total"):
            mine = [e for (o, _p), e in expected.items() if o == total["organisation_id"]]
            for f in FIGS:
                assert total[f] == sum(e[f] for e in mine), (by, total["organisation"], f)
        tree_rows = {(r["tree_id"], r["period"]): r for r in impact.trees
                     if r.get("flag") != "total"}
        for root, members in trees_of.items():
            periods = {p for (o, p) in expected if o in members}
            for p in periods:
                for f in FIGS:
                    assert tree_rows[(root, p)][f] == sum(
                        e[f] for (o, q), e in expected.items() if o in members and q == p)
            tree_total = next(r for r in impact.trees
                              if r["tree_id"] == root and r.get("flag") == "total") \
                if periods else None
            if tree_total:
                for f in FIGS:
                    assert tree_total[f] == sum(e[f] for (o, _q), e in expected.items()
                                                if o in members)
        for f in FIGS:
            assert impact.total[f] == sum(e[f] for e in expected.values()), (by, f)
    return checked


def _scope(store: Store, root: int | None) -> Scope:
    return Scope(organisation_scope(store, root), root)


def test_dashboard_figures_match_a_brute_force_sum(store: Store) -> None:
    w = build_world(store)
    record_world(store, w)
    records = list_outcomes(store)
    inbox = [r for r in records if r["recorded_by"] == "inbox"]
    assert sorted((r["opportunity_id"], r["organisation_id"], r["peers_taking_part"])
                  for r in inbox) == sorted([(w["X1"], w["A"], 3), (w["X2"], None, 1)])
    trees = {w["A"]: {w["A"], w["B"]}, w["C"]: {w["C"]}}
    assert _check_against_brute_force(store, _scope(store, None), trees_of=trees,
                                      include_unknown=True) >= 10
    assert _check_against_brute_force(store, _scope(store, w["A"]),
                                      trees_of={w["A"]: trees[w["A"]]},
                                      include_unknown=False) >= 4
    assert _check_against_brute_force(store, _scope(store, w["B"]),
                                      trees_of={w["B"]: {w["B"]}}, include_unknown=False) >= 2
    # The rules, by hand: A two months ago is the larger side of each figure; A this month
    # is the inbox's three (not 3 + 1); B this month is the partner's two (the email peer is
    # not counted again under "not known").
    impact = impact_for(store, _scope(store, None),
                        Dashboard(store, _scope(store, None), radius_km=10, area="GB",
                                  today=TODAY).trees, by="month")
    rows = {(r["organisation_id"], r["period"]): r for r in impact.organisations}
    assert {f: rows[(w["A"], months_back(2))][f] for f in FIGS} == {
        "peers_taking_part": 3, "hours": 6.5, "went_on_to_volunteer": 1, "became_licensed": 0}
    assert rows[(w["A"], THIS_MONTH)]["peers_taking_part"] == 3
    assert rows[(w["A"], THIS_MONTH)]["hours"] == 9.25
    assert rows[(w["B"], THIS_MONTH)]["peers_taking_part"] == 2
    assert (None, THIS_MONTH) not in rows or rows[(None, THIS_MONTH)]["peers_taking_part"] == 0


def test_demo_figures_match_a_brute_force_sum(demo_store: Store) -> None:
    records = list_outcomes(demo_store)
    assert len(records) > 50
    assert all(r["is_demo"] and r["period_start"] <= TODAY for r in records)
    assert min(r["period_start"] for r in records) >= months_back(11)
    roots = [o["id"] for o in organisation_scope(demo_store, None) if o["depth"] == 0]
    trees = {r: {o["id"] for o in organisation_scope(demo_store, r)} for r in roots}
    assert _check_against_brute_force(demo_store, _scope(demo_store, None), trees_of=trees,
                                      include_unknown=True) > 50
    root = max(roots, key=lambda r: len(trees[r]))
    _check_against_brute_force(demo_store, _scope(demo_store, root),
                               trees_of={root: trees[root]}, include_unknown=False)


def test_unmarking_taking_part_takes_the_count_back(sqlite_store: Store) -> None:
    w = build_world(sqlite_store)
    record_interest(sqlite_store, w["X1"], method="meeting", meeting_id=w["mB"])
    iid = _interest_ids(sqlite_store, w["X1"])[0]
    set_interest_status(sqlite_store, w["X"], iid, "taking_part")
    set_interest_status(sqlite_store, w["X"], iid, "taking_part")  # no change, no count
    counts = [(r["organisation_id"], r["peers_taking_part"]) for r in list_outcomes(sqlite_store)]
    assert counts == [(w["B"], 1)]
    set_interest_status(sqlite_store, w["X"], iid, "not_a_fit")
    assert [r["peers_taking_part"] for r in list_outcomes(sqlite_store)] == [0]
    with sqlite_store.sessions() as s:  # nothing about the peer in the counter
        row = s.query(models.OutcomeRecord).one()
        assert row.source_id == f"{w['X1']}:{w['B']}:{THIS_MONTH:%Y-%m}"


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "words"), [
    ("peers_taking_part", -1, "whole number from 0 to 1,000"),
    ("peers_taking_part", 10**9, "whole number from 0 to 1,000"),
    ("peers_taking_part", 2.5, "whole number"),
    ("peers_taking_part", "3 peers", "whole number"),
    ("peers_taking_part", True, "whole number"),
    ("went_on_to_volunteer", -3, "whole number"),
    ("became_licensed", "1e3", "whole number"),
    ("hours", -0.5, "hours from 0 to 20,000"),
    ("hours", 1e9, "hours from 0 to 20,000"),
    ("hours", "nan", "hours from 0"),
    ("hours", "inf", "hours from 0"),
    ("hours", 1.1, "quarter hours"),
    ("period", "2026-13", "not a month or a day"),
    ("period", "next month", "not a month or a day"),
    ("period", "1999-12", "too long ago"),
    ("period", f"{TODAY.year + 1}-01", "in the future"),
    ("skills", ["juggling"], "not on the list of skills"),
    ("skills", "name of the peer", "not on the list of skills"),
])
def test_bad_values_name_the_field(field, value, words) -> None:
    values = {"period": f"{TODAY:%Y-%m}", "peers_taking_part": 1, field: value}
    with pytest.raises(RecordError) as caught:
        clean_outcome(values, skills=SKILL_LABELS.keys(), today=TODAY)
    assert field in caught.value.problems
    assert field in caught.value.problems[field] or field == "period"
    assert words in caught.value.problems[field]


def test_free_text_about_a_peer_is_refused() -> None:
    with pytest.raises(RecordError) as caught:
        clean_outcome({"period": f"{TODAY:%Y-%m}", "peers_taking_part": 1,
                       "note": "Sam came twice"}, skills=(), today=TODAY)
    assert "note" in caught.value.problems["fields"]
    assert "no names or notes about peers" in caught.value.problems["fields"]
    with pytest.raises(RecordError, match="the record is empty"):
        clean_outcome({"period": f"{TODAY:%Y-%m}"}, skills=(), today=TODAY)
    ok = clean_outcome({"period": TODAY.isoformat(), "hours": "2.75", "peers_taking_part": "2",
                        "skills": "basic-first-aid, risk-awareness"},
                       skills=SKILL_LABELS.keys(), today=TODAY)
    assert ok == {"period_start": TODAY, "period_unit": "day", "peers_taking_part": 2,
                  "hours": 2.75, "went_on_to_volunteer": 0, "became_licensed": 0,
                  "skills": ["basic-first-aid", "risk-awareness"]}


# -- the faces: API, pages, roles, CSV -------------------------------------------------------


@pytest.fixture
def world_app(sqlite_store: Store, tmp_path):
    w = build_world(sqlite_store, users=True)
    record_world(sqlite_store, w)
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_store.url, "SECRET_KEY": "t",
                      "INSTANCE_PATH": str(tmp_path), "WTF_CSRF_ENABLED": False})
    yield app, w
    get_store(app).dispose()


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def token_for(app, w: dict, email: str) -> dict:
    token, digest = new_api_token(w[email])
    set_api_token_hash(get_store(app), w[email], digest)
    return {"Authorization": f"Bearer {token}"}


def test_partner_api_records_changes_and_deletes_its_own(world_app) -> None:
    app, w = world_app
    client, auth = app.test_client(), token_for(app, w, "partner-x@cg.example")
    body = {"period": f"{TODAY:%Y-%m}", "opportunity_id": w["X2"], "peers_taking_part": 2,
            "hours": 3.5, "skills": ["basic-first-aid"]}
    made = client.post("/api/partner/outcomes", json=body, headers=auth)
    assert made.status_code == 201, made.text
    row = made.get_json()
    assert made.headers["Location"].endswith(f"/api/partner/outcomes/{row['id']}")
    assert row["recorded_by"] == "association"
    assert row["organisation_id"] is None
    listed = client.get(f"/api/partner/outcomes?opportunity_id={w['X2']}", headers=auth)
    assert row["id"] in [r["id"] for r in listed.get_json()["results"]]
    changed = client.patch(f"/api/partner/outcomes/{row['id']}", json={"hours": 4},
                           headers=auth)
    assert changed.status_code == 200
    assert changed.get_json()["hours"] == 4
    assert client.delete(f"/api/partner/outcomes/{row['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/partner/outcomes/{row['id']}", headers=auth).status_code == 404


@pytest.mark.parametrize(("field", "value"), [
    ("peers_taking_part", -1), ("peers_taking_part", 100000), ("peers_taking_part", 1.5),
    ("hours", -2), ("hours", 1e12), ("hours", "lots"), ("went_on_to_volunteer", "two"),
    ("became_licensed", -1), ("period", "2026-02-30"), ("skills", ["x"]),
    ("organisation_id", "abc"),
])
def test_partner_api_bad_values_are_a_400_naming_the_field(world_app, field, value) -> None:
    app, w = world_app
    auth = token_for(app, w, "partner-x@cg.example")
    body = {"period": f"{TODAY:%Y-%m}", "opportunity_id": w["X1"], "peers_taking_part": 1,
            field: value}
    response = app.test_client().post("/api/partner/outcomes", json=body, headers=auth)
    assert response.status_code == 400, response.text
    error = response.get_json()
    assert set(error) == {"error", "detail", "status"}
    assert error["error"] == "bad_parameter"
    assert field in error["detail"]


def test_partners_touch_only_their_own_entries(world_app) -> None:
    app, w = world_app
    store = get_store(app)
    client = app.test_client()
    x, y = token_for(app, w, "partner-x@cg.example"), token_for(app, w, "partner-y@cg.example")
    x_own = next(r for r in list_outcomes(store, association_id=w["X"])
                 if r["recorded_by"] == "association")
    lead_side = next(r for r in list_outcomes(store, association_id=w["X"])
                     if r["recorded_by"] == "organisation")
    inbox = next(r for r in list_outcomes(store, association_id=w["X"])
                 if r["recorded_by"] == "inbox")
    for rid in (x_own["id"],):  # another association's record: neither seen nor changed
        assert client.get(f"/api/partner/outcomes/{rid}", headers=y).status_code == 403
        assert client.patch(f"/api/partner/outcomes/{rid}", json={"hours": 1},
                            headers=y).status_code == 403
        assert client.delete(f"/api/partner/outcomes/{rid}", headers=y).status_code == 403
    for rid in (lead_side["id"], inbox["id"]):  # seen by X, but not X's to change
        assert client.get(f"/api/partner/outcomes/{rid}", headers=x).status_code == 200
        assert client.patch(f"/api/partner/outcomes/{rid}", json={"hours": 1},
                            headers=x).status_code == 403
        assert client.delete(f"/api/partner/outcomes/{rid}", headers=x).status_code == 403
    # An organisation not linked with X, a need of Y: refused, naming the field.
    bad = client.post("/api/partner/outcomes", headers=x, json={
        "period": f"{TODAY:%Y-%m}", "organisation_id": w["C"], "peers_taking_part": 1})
    assert bad.status_code == 400
    assert "organisation_id" in bad.get_json()["detail"]
    bad = client.post("/api/partner/outcomes", headers=x, json={
        "period": f"{TODAY:%Y-%m}", "opportunity_id": w["Y1"], "peers_taking_part": 1})
    assert bad.status_code == 400
    assert "opportunity_id" in bad.get_json()["detail"]
    page = signed_in(app, "partner-y@cg.example")
    assert page.get(f"/partner/outcomes/{x_own['id']}/edit").status_code == 403
    assert page.post(f"/partner/outcomes/{x_own['id']}/delete").status_code == 403
    assert page.get(f"/partner/outcomes/?opportunity_id={w['X1']}").status_code == 404
    assert page.get("/hotspots/impact.csv").status_code == 403


def test_leads_record_for_their_tree_only(world_app) -> None:
    app, w = world_app
    lead_a, lead_c = signed_in(app, "lead-a@cg.example"), signed_in(app, "lead-c@cg.example")
    assert lead_c.get(f"/hotspots/outcomes/?link_id={w['linkAX']}").status_code == 403
    assert lead_c.post(f"/hotspots/outcomes/?link_id={w['linkAX']}", data={
        "period": f"{TODAY:%Y-%m}", "peers_taking_part": "1"}).status_code == 403
    page = lead_a.get("/hotspots/outcomes/")
    assert "Alpha Peers" in page.text
    assert "Gamma Peers" not in page.text
    made = lead_a.post(f"/hotspots/outcomes/?link_id={w['linkBY']}", data={
        "period": f"{TODAY:%Y-%m}", "peers_taking_part": "2", "hours": "7.5",
        "opportunity_id": str(w["Y1"]), "skills": ["risk-awareness"]})
    assert made.status_code == 302, made.text
    store = get_store(app)
    row = next(r for r in list_outcomes(store, organisation_id=w["B"])
               if r["recorded_by"] == "organisation")
    assert (row["association_id"], row["opportunity_id"], row["hours"]) == (w["Y"], w["Y1"],
                                                                           7.5)
    assert lead_c.get(f"/hotspots/outcomes/{row['id']}/edit").status_code == 403
    assert lead_c.post(f"/hotspots/outcomes/{row['id']}/delete").status_code == 403
    bad = lead_a.post(f"/hotspots/outcomes/{row['id']}/edit", data={
        "period": f"{TODAY:%Y-%m}", "peers_taking_part": "-4", "hours": "x"})
    assert bad.status_code == 400
    assert "peers_taking_part: give a whole number" in bad.text
    assert "hours:" in bad.text
    assert lead_a.post(f"/hotspots/outcomes/{row['id']}/delete").status_code == 302
    admin = signed_in(app, "admin@cg.example")
    assert admin.get(f"/hotspots/outcomes/?link_id={w['linkCY']}").status_code == 200


def test_partner_form_records_and_shows_errors(world_app) -> None:
    app, w = world_app
    client = signed_in(app, "partner-x@cg.example")
    page = client.get(f"/partner/outcomes/?opportunity_id={w['X1']}")
    assert page.status_code == 200
    for label in ("Period", "Peers who took part", "Hours volunteered", "Went on to volunteer",
                  "Became licensed volunteers", "Peers came through", "For"):
        assert f">{label}</label>" in page.text
    bad = client.post(f"/partner/outcomes/?opportunity_id={w['X1']}", data={
        "opportunity_id": str(w["X1"]), "period": "2026-99", "peers_taking_part": "1.5",
        "hours": "-1"})
    assert bad.status_code == 400
    assert 'id="period-error"' in bad.text
    assert 'id="hours-error"' in bad.text
    assert "peers_taking_part: give a whole number from 0 to 1,000" in bad.text
    made = client.post(f"/partner/outcomes/?opportunity_id={w['X1']}", data={
        "opportunity_id": str(w["X1"]), "organisation_id": str(w["B"]),
        "period": f"{TODAY:%Y-%m}", "peers_taking_part": "2", "hours": "3",
        "skills": ["basic-first-aid"]})
    assert made.status_code == 302, made.text
    history = client.get(f"/partner/outcomes/?opportunity_id={w['X1']}").text
    assert "Basic first aid" in history
    assert "the inbox (taking part)" in history


def test_dashboard_impact_respects_the_scope_and_the_csv_matches(world_app) -> None:
    app, w = world_app
    lead_a, admin = signed_in(app, "lead-a@cg.example"), signed_in(app, "admin@cg.example")
    page = lead_a.get("/hotspots?impact_by=month")
    assert page.status_code == 200
    assert 'id="table-impact-by-organisation"' in page.text
    assert "Gamma Peers" not in page.text
    assert "Organisation not known" not in page.text
    assert "=HYPERLINK(&#34;x&#34;), Beta" in page.text or "=HYPERLINK(&quot;x&quot;)" in page.text
    assert admin.get("/hotspots").text.count("Organisation not known") >= 1
    assert lead_a.get("/hotspots?impact_by=week").status_code == 400

    store = get_store(app)
    scope = _scope(store, w["A"])
    impact = impact_for(store, scope, Dashboard(store, scope, radius_km=10, area="GB",
                                                today=TODAY).trees, by="quarter")
    response = lead_a.get("/hotspots/impact.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "hotspots-impact-by-quarter.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Level", "Growth tree", "Organisation", "Period", "Peers who took part",
                       "Hours volunteered", "Went on to volunteer", "Became licensed",
                       "Skills learned"]
    body = rows[1:]
    assert len(body) == len(impact.trees) + len(impact.organisations) + 1
    beta = [r for r in body if r[0] == "Organisation" and "Beta" in r[2]]
    assert beta
    assert all(r[2].startswith("'=HYPERLINK") for r in beta)
    assert not any("Gamma" in cell for r in body for cell in r)
    total = body[-1]
    assert total[:4] == ["Total", "", "", "All periods"]
    assert int(total[4]) == impact.total["peers_taking_part"]
    assert float(total[5]) == impact.total["hours"]
    for r, exp in zip((r for r in body if r[0] == "Organisation"), impact.organisations,
                      strict=True):
        assert (r[3], int(r[4]), float(r[5])) == (exp["period_label"],
                                                  exp["peers_taking_part"], exp["hours"])
        assert r[8] == "; ".join(SKILL_LABELS[s] for s in exp["skills"])
    month_csv = admin.get("/hotspots/impact.csv?impact_by=month").text
    assert "Organisation not known" in month_csv
    assert "Gamma Peers" in month_csv
    assert admin.get("/hotspots/impact.csv?impact_by=year").status_code == 400
    assert app.test_client().get("/hotspots/impact.csv").status_code == 302
