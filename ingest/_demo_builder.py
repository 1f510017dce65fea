"""The builder behind :func:`ingest.demo.build_demo`: towns, the growth tree and every row.

Pure and deterministic (its own ``random.Random(seed)``, no clock); the words it draws from
are in :mod:`ingest._demo_vocab`, the loading into a store in :mod:`ingest.demo`.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from domain.schedule import DAY_NAMES
from domain.schedule import format_days
from domain.schedule import part_of_day_times
from geo.distance import haversine_km
from ingest import _demo_vocab as vocab

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

    from geo.gazetteer import Gazetteer
    from geo.gazetteer import Place

DEMO_SOURCE = "demo"
DEMO_TODAY = dt.date(2026, 1, 1)
"""The fixed "today" of the demo data; nothing in it depends on the real date."""
REF_KEYS = frozenset(
    {"region_name", "parent_source_id", "organisation_source_id", "association_source_id",
     "opportunity_source_id"}
)
"""Row keys that name another demo row; :func:`load_demo` turns them into ids."""

N_ASSOCIATIONS = 360
CHILDREN_PER_REGION = (5, 6)
MAX_GENERATION = 3  # hotspot = 0, so at most four generations
CHILD_MAX_KM = 40.0
LINK_MAX_KM = 15.0
ASSOC_NEAR_KM, ASSOC_FAR_KM = 15.0, 30.0
MEETING_NEAR_KM = 12.0
N_PENDING = 3  # the newest leaves of the tree, still waiting for approval
NOON, EVENING = part_of_day_times("afternoon")[0], part_of_day_times("evening")[0]
"""Where a meeting's name says Morning, Afternoon or Evening: the parts of domain.schedule."""
EXPIRY_WARNING_DAYS = 60
ROW = dict[str, Any]
OUTCOME_MONTHS = 12
"""The demo's outcome records cover the twelve months up to :data:`DEMO_TODAY`'s."""
OUTCOME_SKILLS = (
    "cooperative-work", "basic-equipment-use", "safe-manual-handling", "risk-awareness",
    "public-engagement", "basic-first-aid", "reliability-and-trustworthiness",
    "clear-spoken-communication", "basic-record-keeping", "leading-small-groups",
    "active-listening", "water-safety-awareness",
)
"""Skill slugs of :data:`matching.skills.SKILLS` the demo's records draw from (a test checks
that each is on the list: ingest may not import matching)."""


def months_before(month: dt.date, back: int) -> dt.date:
    """The first day of the month ``back`` months before ``month``'s."""
    index = month.year * 12 + month.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class DemoData:
    """The demo rows of each table: plain dicts keyed by column name (plus :data:`REF_KEYS`)."""

    regions: list[ROW] = field(default_factory=list)
    organisations: list[ROW] = field(default_factory=list)
    meetings: list[ROW] = field(default_factory=list)
    volunteers: list[ROW] = field(default_factory=list)
    associations: list[ROW] = field(default_factory=list)
    opportunities: list[ROW] = field(default_factory=list)
    mutual_interest_links: list[ROW] = field(default_factory=list)
    outcome_records: list[ROW] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per table, named as in :meth:`store.Store.counts`."""
        return {f.name: len(getattr(self, f.name)) for f in fields(self)}


@dataclass
class _Org:
    sid: str
    region: vocab.RegionSpec
    place: Place
    lat: float
    lon: float
    founded: dt.date
    generation: int
    parent: _Org | None = None
    status: str = "approved"
    children: int = 0

    @property
    def hotspot(self) -> bool:
        return self.parent is None


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text.replace("'", "")).strip("-")


def _jitter(
    rng: random.Random, lat: float, lon: float, max_m: float, min_m: float = 0.0
) -> tuple[float, float]:
    """A point uniformly in the ring ``min_m..max_m`` metres around ``(lat, lon)``, 6 dp."""
    r = math.sqrt(rng.uniform(min_m**2, max_m**2))
    theta = rng.uniform(0.0, 2.0 * math.pi)
    dlat = r * math.cos(theta) / 111_320.0
    dlon = r * math.sin(theta) / (111_320.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


class _Towns:
    """Gazetteer places usable as towns, with vectorised "what is near here"."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.places = [p for p in gazetteer.places if p.nation and p.name not in vocab.NOT_TOWNS]
        self.lat = np.array([p.lat for p in self.places])
        self.lon = np.array([p.lon for p in self.places])
        self.pop = np.array([p.population for p in self.places])
        self.nation = np.array([p.nation for p in self.places])

    def named(self, name: str, nation: str, near: tuple[float, float] | None = None) -> Place:
        """The place called ``name`` in ``nation`` (the nearest to ``near`` if several)."""
        found = [p for p in self.places if p.name == name and p.nation == nation]
        if not found:
            msg = f"demo town {name!r} ({nation}) is not in the gazetteer"
            raise ValueError(msg)
        if near is not None:
            found.sort(key=lambda p: float(haversine_km(near[0], near[1], p.lat, p.lon)))
        return found[0]

    def around(
        self, lat: float, lon: float, max_km: float, *, nation: str, min_pop: int,
        min_km: float = 0.0,
    ) -> list[tuple[Place, float]]:
        """Places of ``nation`` with ``min_pop``+ people between ``min_km`` and ``max_km``."""
        d = haversine_km(lat, lon, self.lat, self.lon)
        ok = (d <= max_km) & (d >= min_km) & (self.pop >= min_pop) & (self.nation == nation)
        return [(self.places[i], float(d[i])) for i in np.flatnonzero(ok)]


class _Builder:
    """Draws the whole data set from one seeded generator, table by table."""

    def __init__(self, gazetteer: Gazetteer, interests: Sequence[str], seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.towns = _Towns(gazetteer)
        self.interests = list(dict.fromkeys(interests))
        self.data = DemoData()
        self.orgs: list[_Org] = []

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Sequence[Any], weight: Callable[[Any], float]) -> Any:
        return self.rng.choices(items, weights=[weight(x) for x in items], k=1)[0]

    def days_after(self, start: dt.date, lo: int, hi: int) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(lo, hi))

    def build(self) -> DemoData:
        for spec in vocab.REGIONS:
            self.data.regions.append({"name": spec.name, "is_demo": True})
            self.grow_region(spec)
        self.set_statuses()
        for org in self.orgs:
            self.data.organisations.append(self.org_row(org))
        for org in self.orgs:
            self.add_meetings(org)
            self.add_volunteers(org)
        self.ensure_licence_spread()
        for n in range(1, N_ASSOCIATIONS + 1):
            self.add_association(n)
        for row in self.data.associations:
            self.add_opportunities(row)
        self.add_links()
        self.add_outcomes()
        return self.data

    # -- organisations ----------------------------------------------------------------------

    def new_org(self, spec: vocab.RegionSpec, place: Place, founded: dt.date, parent: _Org | None
                ) -> _Org:
        lat, lon = _jitter(self.rng, place.lat, place.lon, 400.0)
        org = _Org(f"org-{len(self.orgs) + 1}", spec, place, lat, lon, founded,
                   0 if parent is None else parent.generation + 1, parent)
        if parent is not None:
            parent.children += 1
        self.orgs.append(org)
        return org

    def grow_region(self, spec: vocab.RegionSpec) -> None:
        """The hotspot, then children devolved from it and from each other."""
        hub = self.towns.named(spec.hotspot, spec.nation)
        founded = self.days_after(dt.date(2018, 1, 1), 0, 729)
        members = [self.new_org(spec, hub, founded, None)]
        free = [self.towns.named(t, spec.nation, (hub.lat, hub.lon)) for t in spec.towns]
        latest = DEMO_TODAY - dt.timedelta(days=400)
        for _ in range(self.rng.randint(*CHILDREN_PER_REGION)):
            options = []
            for parent in members:
                if parent.generation >= MAX_GENERATION or parent.founded > latest:
                    continue
                near = [(t, float(haversine_km(parent.place.lat, parent.place.lon, t.lat, t.lon)))
                        for t in free]
                near = [(t, d) for t, d in near if d <= CHILD_MAX_KM]
                if near:
                    options.append((parent, near))
            if not options:
                break
            parent, near = self.pick(options, lambda o: 3.0 if o[0].hotspot else 2.0)
            town, _ = self.pick(near, lambda td: 1.0 / (td[1] + 5.0))
            free.remove(town)
            founded = min(self.days_after(parent.founded, 270, 900),
                          DEMO_TODAY - dt.timedelta(days=30))
            members.append(self.new_org(spec, town, founded, parent))

    def set_statuses(self) -> None:
        """The three newest leaves are pending; one older leaf is suspended."""
        leaves = sorted((o for o in self.orgs if not o.hotspot and o.children == 0),
                        key=lambda o: (o.founded, o.sid), reverse=True)
        for org in leaves[:N_PENDING]:
            org.status = "pending"
        if len(leaves) > N_PENDING:
            self.rng.choice(leaves[N_PENDING:]).status = "suspended"

    def org_row(self, org: _Org) -> ROW:
        town = org.place.name
        if org.parent is None:
            name = vocab.HOTSPOT_NAME.format(town=town)
            text = vocab.HOTSPOT_TEXT.format(region=org.region.name, town=town)
        else:
            name = self.rng.choice(vocab.ORG_NAMES).format(town=town)
            parent = self.data.organisations[self.orgs.index(org.parent)]["name"]
            text = self.rng.choice(vocab.ORG_TEXTS)
            text = text.format(town=town, parent=parent, year=org.founded.year)
        return {
            "source": DEMO_SOURCE, "source_id": org.sid, "is_demo": True, "name": name,
            "status": org.status, "is_hotspot": org.parent is None, "founded_on": org.founded,
            "town": town, "postcode": None, "address": None, "website": None,
            "description": text, "lat": org.lat, "lon": org.lon, "location_precision": "town",
            "region_name": org.region.name,
            "parent_source_id": None if org.parent is None else org.parent.sid,
        }

    # -- meetings and volunteers ------------------------------------------------------------

    def meeting_town(self, org: _Org, first: bool) -> Place:
        if first or self.chance(0.5):
            return org.place
        near = [p for p, _ in self.towns.around(org.place.lat, org.place.lon, MEETING_NEAR_KM,
                                                nation=org.place.nation, min_pop=3000)
                if p != org.place]
        return self.pick(near, lambda p: math.sqrt(p.population)) if near else org.place

    def add_meetings(self, org: _Org) -> None:
        if org.hotspot:
            n = self.rng.randint(3, 4)
        elif org.status == "approved":
            n = self.rng.choice((1, 2, 2, 3, 3, 4))
        else:
            n = 1
        for i in range(n):
            self.data.meetings.append(self.meeting_row(org, i == 0))

    def meeting_when(self, where: str) -> tuple[list[int], dt.time, dt.time, str]:
        """Weekday(s), times and a name not yet used by another meeting."""
        taken = {m["name"] for m in self.data.meetings}
        for _ in range(20):
            days = sorted(self.rng.sample(range(7), 2 if self.chance(0.15) else 1))
            start, end = self.rng.choice(vocab.MEETING_SLOTS)
            part = ("Morning" if start < NOON else "Afternoon" if start < EVENING
                    else "Evening")
            label = format_days(days, sep=" & ")
            name = f"{label} {part} ACT Peer Recovery — {where}"
            if name not in taken:
                break
        return days, start, end, name

    def meeting_row(self, org: _Org, first: bool) -> ROW:
        rng = self.rng
        sid = f"meeting-{len(self.data.meetings) + 1}"
        attendance = self.pick(("in_person", "hybrid", "online"),
                               {"in_person": 80, "hybrid": 12, "online": 8}.get)
        town = org.place if attendance == "online" else self.meeting_town(org, first)
        where = f"Online ({town.name})" if attendance == "online" else town.name
        days, start, end, name = self.meeting_when(where)
        row: ROW = {
            "source": DEMO_SOURCE, "source_id": sid, "is_demo": True,
            "organisation_source_id": org.sid, "name": name, "weekdays": days,
            "start_time": start, "end_time": end, "attendance": attendance, "postcode": None,
            "conference_url": None, "conference_phone": None,
            "active": org.status != "suspended" and self.chance(0.94),
            "notes": rng.choice(vocab.MEETING_NOTES) if self.chance(0.5) else None,
        }
        if attendance != "in_person":
            # A provider meeting finders recognise (TSML UI drops unknown hosts), and a dial-in
            # number from Ofcom's range kept for drama (0161 496 0000-0999): never a real line.
            n = int(sid[8:])
            row["conference_url"] = (f"https://meet.jit.si/CommonGroundDemo-{_slug(town.name)}"
                                     f"-{n}")
            row["conference_phone"] = f"+44 161 496 0{n % 1000:03d}"
        if attendance == "online":
            row |= {"venue": None, "address": None, "accessibility": [], "lat": org.lat,
                    "lon": org.lon, "location_precision": "town"}
            return row
        lat, lon = _jitter(rng, town.lat, town.lon, 600.0, 100.0)
        access = set(rng.sample(vocab.MEETING_ACCESS, rng.randint(0, 3)))
        row |= {"venue": rng.choice(vocab.VENUES).format(town=town.name),
                "address": f"{rng.choice(vocab.STREETS)}, {town.name}",
                "accessibility": [a for a in vocab.MEETING_ACCESS if a in access],
                "lat": lat, "lon": lon, "location_precision": "exact"}
        return row

    def add_volunteers(self, org: _Org) -> None:
        if org.hotspot:
            n = self.rng.randint(4, 6)
        elif org.status == "approved":
            n = self.rng.randint(2, 5)
        else:
            n = 2
        for _ in range(n):
            serial = len(self.data.volunteers) + 1
            earliest = (org.founded + dt.timedelta(days=365) - DEMO_TODAY).days
            until = self.days_after(DEMO_TODAY, max(-150, earliest), 730)
            issued = max(until.year - 2, org.founded.year)
            name = f"{self.rng.choice(vocab.FIRST_NAMES)} {self.rng.choice(vocab.INITIALS)}."
            self.data.volunteers.append({
                "organisation_source_id": org.sid, "display_name": name,
                "licence_number": f"ACT-{issued}-{serial:05d}", "licence_valid_until": until,
                "is_demo": True,
            })

    def ensure_licence_spread(self) -> None:
        """At least one lapsed licence and one that runs out within 60 days of DEMO_TODAY."""
        rows = self.data.volunteers
        days = [(r["licence_valid_until"] - DEMO_TODAY).days for r in rows]
        if rows and not any(d < 0 for d in days):
            rows[0]["licence_valid_until"] = DEMO_TODAY - dt.timedelta(days=45)
        if len(rows) > 1 and not any(0 <= d <= EXPIRY_WARNING_DAYS for d in days):
            rows[1]["licence_valid_until"] = DEMO_TODAY + dt.timedelta(days=30)

    # -- associations and opportunities -----------------------------------------------------

    def add_association(self, n: int) -> None:
        rng = self.rng
        org = self.pick(self.orgs, lambda o: 2.0 if o.hotspot else 1.0)
        far = self.chance(0.15)
        near = self.towns.around(org.place.lat, org.place.lon,
                                 ASSOC_FAR_KM if far else ASSOC_NEAR_KM,
                                 min_km=ASSOC_NEAR_KM if far else 0.0,
                                 nation=org.place.nation, min_pop=800)
        town = self.pick(near, lambda pd: math.sqrt(pd[0].population))[0] if near else org.place
        taken = {r["name"] for r in self.data.associations}
        slugs = list(vocab.CATEGORIES)
        for _ in range(20):
            category = self.pick(slugs, lambda c: vocab.CATEGORIES[c].weight)
            name = rng.choice(vocab.CATEGORIES[category].names).format(town=town.name)
            if name not in taken:
                break
        else:
            name = f"{name} ({n})"
        cat = vocab.CATEGORIES[category]
        radius = min(2500.0, 300.0 + 4.0 * math.sqrt(town.population))
        lat, lon = _jitter(rng, town.lat, town.lon, radius)
        slug = _slug(name)
        charity = None
        if self.chance(cat.charity):
            charity = (f"SC09{rng.randint(0, 9999):04d}" if town.nation == "Scotland"
                       else str(rng.randint(1_300_000, 1_399_999)))
        approved = not self.chance(0.04)
        self.data.associations.append({
            "source": DEMO_SOURCE, "source_id": f"assoc-{n}", "is_demo": True, "name": name,
            "category": category, "description": rng.choice(cat.blurbs).format(town=town.name),
            "website": f"https://{slug}.example.org", "contact_email": f"hello@{slug}.example.org",
            "contact_phone": f"01632 960{rng.randint(0, 999):03d}" if self.chance(0.5) else None,
            "charity_number": charity, "status": "approved" if approved else "pending",
            "lat": lat, "lon": lon, "location_precision": "exact", "postcode": None,
            "address": f"{rng.choice(vocab.STREETS)}, {town.name}",
        })

    def choose_interests(self, need: vocab.Need, cat: vocab.Category) -> list[str]:
        """1-3 of the given slugs that fit the need, best fit first."""
        given = set(self.interests)
        core = [s for s in dict.fromkeys(cat.interests[:1] + need.interests[:1]) if s in given]
        rest = [s for s in dict.fromkeys(need.interests + cat.interests)
                if s in given and s not in core]
        if not core + rest:
            return [self.rng.choice(self.interests)] if self.interests else []
        k = max(self.rng.choice((1, 2, 2, 3)), len(core))
        return core + self.rng.sample(rest, min(k - len(core), len(rest)))

    def schedule(self, kind: str) -> ROW:
        times, commitments = vocab.SCHEDULES[kind]
        if kind == "flexible":
            return {"weekdays": [], "start_time": None, "end_time": None, "flexible": True,
                    "commitment": self.rng.choice(commitments)}
        day = self.rng.choice((0, 6)) if kind == "weekend" else self.rng.randint(1, 5)
        start, end = self.rng.choice(times)
        commitment = self.rng.choice(commitments).format(day=DAY_NAMES[day])
        return {"weekdays": [day], "start_time": start, "end_time": end, "flexible": False,
                "commitment": commitment}

    def add_opportunities(self, assoc: ROW) -> None:
        rng = self.rng
        cat = vocab.CATEGORIES[assoc["category"]]
        k = rng.choices((1, 2, 3, 4), weights=(30, 40, 20, 10), k=1)[0]
        for need in rng.sample(cat.needs, min(k, len(cat.needs))):
            capacity = rng.choice((1, 2, 2, 3, 4, 4, 5, 6, 6, 8, 10, 12))
            status = self.pick(("open", "paused", "filled", "closed"),
                               {"open": 76, "paused": 8, "filled": 8, "closed": 8}.get)
            taken = capacity if status == "filled" else rng.randint(0, capacity - 1)
            ends = None
            if status == "closed":
                starts = DEMO_TODAY - dt.timedelta(days=rng.randint(250, 800))
                ends = self.days_after(starts, 60, 200)
            else:
                starts = (self.days_after(DEMO_TODAY, 7, 75) if self.chance(0.1)
                          else DEMO_TODAY - dt.timedelta(days=rng.randint(0, 540)))
                if self.chance(0.1):
                    ends = self.days_after(DEMO_TODAY, 90, 300)
            lat, lon, address = assoc["lat"], assoc["lon"], None
            if cat.sites and self.chance(0.2):
                lat, lon = _jitter(rng, lat, lon, 5000.0, 1000.0)
                address = f"Meet at {rng.choice(cat.sites)}"
            pool = vocab.OUTDOOR_ACCESS if cat.outdoor else vocab.INDOOR_ACCESS
            access = set(rng.sample(pool, rng.randint(0, 3)))
            self.data.opportunities.append({
                "source": DEMO_SOURCE, "source_id": f"opp-{len(self.data.opportunities) + 1}",
                "is_demo": True, "association_source_id": assoc["source_id"],
                "title": need.title, "description": f"{need.text} {rng.choice(vocab.OUTROS)}",
                "interests": self.choose_interests(need, cat), "skills": list(need.skills),
                **self.schedule(need.schedule),
                "accessibility": [a for a in pool if a in access], "capacity": capacity,
                "places_taken": taken, "status": status, "starts_on": starts, "ends_on": ends,
                "lat": lat, "lon": lon, "location_precision": "exact", "postcode": None,
                "address": address,
            })

    # -- outcome records ---------------------------------------------------------------------

    def add_outcomes(self) -> None:
        """Anonymous counts for the active links of approved organisations, month by month.

        Three in ten link-months have a record, from the association (often for one of its
        needs) or from the peer organisation; now and then a record is for one day.
        """
        rng = self.rng
        needs_of: dict[str, list[str]] = {}
        for o in self.data.opportunities:
            needs_of.setdefault(o["association_source_id"], []).append(o["source_id"])
        approved = {org.sid for org in self.orgs if org.status == "approved"}
        for link in self.data.mutual_interest_links:
            if not link["active"] or link["organisation_source_id"] not in approved:
                continue
            for back in range(OUTCOME_MONTHS - 1, -1, -1):
                month = months_before(DEMO_TODAY, back)
                if month < link["started_on"].replace(day=1) or not self.chance(0.3):
                    continue
                side = "association" if self.chance(0.6) else "organisation"
                needs = needs_of.get(link["association_source_id"], [])
                need = (rng.choice(needs) if needs and side == "association"
                        and self.chance(0.7) else None)
                one_day = back > 0 and self.chance(0.15)
                peers = rng.randint(1, 3 if one_day else 6)
                self.data.outcome_records.append({
                    "source": DEMO_SOURCE,
                    "source_id": f"outcome-{len(self.data.outcome_records) + 1}",
                    "is_demo": True, "organisation_source_id": link["organisation_source_id"],
                    "association_source_id": link["association_source_id"],
                    "opportunity_source_id": need, "recorded_by": side,
                    "period_start": month + dt.timedelta(days=rng.randint(0, 27) if one_day
                                                          else 0),
                    "period_unit": "day" if one_day else "month", "peers_taking_part": peers,
                    "hours": float(peers * rng.choice((2.0, 2.5, 3.0, 4.0))
                                   * (1 if one_day else rng.randint(1, 4))),
                    "went_on_to_volunteer": rng.randint(1, 2) if self.chance(0.2) else 0,
                    "became_licensed": 1 if self.chance(0.05) else 0,
                    "skills": sorted(rng.sample(OUTCOME_SKILLS, rng.randint(0, 3))),
                })

    # -- mutual-interest links --------------------------------------------------------------

    def add_links(self) -> None:
        assocs = self.data.associations
        lat, lon = np.array([a["lat"] for a in assocs]), np.array([a["lon"] for a in assocs])
        for org in self.orgs:
            d = haversine_km(org.lat, org.lon, lat, lon)
            near = [int(i) for i in np.argsort(d, kind="stable")
                    if d[i] <= LINK_MAX_KM and assocs[i]["status"] == "approved"][:12]
            hi = {"approved": 5, "pending": 2, "suspended": 1}[org.status]
            for i in self.rng.sample(near, min(self.rng.randint(1, hi), len(near))):
                cat = vocab.CATEGORIES[assocs[i]["category"]]
                age = (DEMO_TODAY - org.founded).days
                started = self.days_after(org.founded, min(60, age - 1), age - 1)
                note = (f"Peers help with {self.rng.choice(cat.helps)}; "
                        f"the {cat.noun} offers {self.rng.choice(cat.offers)}.")
                self.data.mutual_interest_links.append({
                    "organisation_source_id": org.sid,
                    "association_source_id": assocs[i]["source_id"], "started_on": started,
                    "note": note, "is_demo": True,
                    "active": org.status != "suspended" and self.chance(0.92),
                })
