"""The hotspot dashboard's figures (``/hotspots``): a lead's or an admin's territory.

A hotspot lead sees the organisations they are responsible for: their own organisation and
every organisation devolved from it (:func:`store.hotspots.organisation_scope`); an admin
sees all. The page shows, for the ``radius_km`` a meeting reaches (default 10 km):

* coverage per region and per hotspot tree (:func:`matching.coverage.compute_coverage` over
  the demand in use, counting the meetings that serve people today, wired as
  :mod:`service.usecases.coverage` wires it) and the coverage map;
* the largest uncovered places of their territory and sites for new groups, each with the
  places it reaches and the ready organisation of theirs to devolve it, with its reasons
  (:func:`matching.sites.suggest_sites`, :mod:`matching.devolution`);
* the growth map and a growth table (per generation and per year);
* "links worth making" for each of their organisations (:mod:`matching.reverse`);
* their licensed volunteers, licences that run out within 60 days flagged, lapsed licences
  shown as not able to deliver meetings;
* impact: the outcome records per growth tree and per organisation, by quarter or month
  (``impact_by``), with totals (:mod:`service.usecases.impact`), and their CSV for people
  at ``/hotspots/impact.csv``.

Each table downloads as CSV from ``/hotspots/<table>.csv`` with the same rows; text cells
that a spreadsheet would run as a formula are prefixed with a quote.

A lead's organisation is made the root of its own tree before coverage is computed (its
``parent_id`` is dropped from the frame), so that "per hotspot" figures are those of the
lead's subtree even when the lead's organisation was itself devolved from another one.
Territories are unchanged by that: a town belongs to the tree of its nearest organisation.

Coverage, sites, the trees, links and the rendered maps are computed once per data change,
scope and radius (:mod:`service.usecases.coverage_cache`): a later visit only checks the
store's change counters. The page itself must answer at once even on a cold cache
(``wait=False``): the exact site solver and "links worth making" then run in the background,
the page shows greedy's sites and says what is still being worked out (:attr:`computing`),
and the maps are separate frames (:meth:`Dashboard.map_document`). Downloads wait
(``wait=True``, the default).
"""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING
from typing import Any

import pandas as pd

from domain.dates import long_date
from maps import build_coverage_map
from maps import build_growth_map
from matching.coverage import CoverageResult
from matching.coverage import hexagons
from matching.coverage import serving_meetings
from matching.devolution import DEFAULT_MAX_KM
from matching.growth import growth_trees
from matching.reverse import links_worth_making
from matching.sites import SiteSuggestion
from service.usecases import params
from service.usecases.context import Context
from service.usecases.coverage import coverage_result
from service.usecases.coverage import site_suggestion
from service.usecases.coverage import sites_for_map
from service.usecases.coverage_cache import cache_for
from service.usecases.search import recommender
from service.usecases.tables import TABLES
from service.usecases.tables import Table
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import volunteers_frame
from store.hotspots import organisation_scope
from store.hotspots import volunteers_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Hashable
    from collections.abc import Mapping

    from store import Store

DEFAULT_RADIUS_KM = 10.0
MIN_RADIUS_KM, MAX_RADIUS_KM = 1.0, 100.0
GAPS = 25
"""Uncovered towns listed (the map draws up to :data:`MAP_GAPS`)."""
MAP_GAPS = 300
SITES = 5
LINKS_PER_ORGANISATION = 3
MAP_KINDS = ("coverage", "growth")
EXPIRY_WARNING_DAYS = 60
"""Licences that run out within this many days are flagged."""


def licence_status(valid_until: dt.date | None, today: dt.date) -> dict[str, Any]:
    """Whether a volunteer may deliver meetings on ``today``, and what to flag.

    A licence is valid up to and including its ``valid_until`` day. Returns ``status``
    (``valid``, ``expiring`` within :data:`EXPIRY_WARNING_DAYS` days, ``lapsed``, or
    ``unknown`` without a date), ``days_left``, ``able_to_deliver_meetings`` (``yes``/``no``:
    only a licence in force counts) and the page's labels and row flag.
    """
    if valid_until is None:
        return {"status": "unknown", "days_left": None, "able_to_deliver_meetings": "no",
                "status_label": "No expiry date on record",
                "able_label": "No: check the licence first", "flag": "flag-lapsed"}
    days = (valid_until - today).days
    if days < 0:
        return {"status": "lapsed", "days_left": days, "able_to_deliver_meetings": "no",
                "status_label": f"Lapsed: ran out after {long_date(valid_until)}",
                "able_label": "No: licence lapsed, not able to deliver meetings",
                "flag": "flag-lapsed"}
    if days <= EXPIRY_WARNING_DAYS:
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        return {"status": "expiring", "days_left": days, "able_to_deliver_meetings": "yes",
                "status_label": f"Expires {when}: renew now",
                "able_label": f"Yes, until {long_date(valid_until)}",
                "flag": "flag-expiring"}
    return {"status": "valid", "days_left": days, "able_to_deliver_meetings": "yes",
            "status_label": "Valid", "able_label": "Yes", "flag": ""}


# -- what a user is responsible for ---------------------------------------------------------


@dataclass
class Scope:
    """The organisations a user sees: ``root_id`` and its subtree, or all (``root_id=None``)."""

    organisations: list[dict[str, Any]]
    root_id: int | None

    @cached_property
    def ids(self) -> set[int]:
        """Ids of the organisations in scope."""
        return {int(o["id"]) for o in self.organisations}

    @property
    def everything(self) -> bool:
        """Whether this is an admin's view of every organisation."""
        return self.root_id is None


def scope_for(store: Store, user: Any) -> Scope:
    """The scope of a signed-in user: an admin sees all, a hotspot lead their subtree."""
    if getattr(user, "role", None) == "admin":
        return Scope(organisation_scope(store, None), None)
    org_id = getattr(user, "organisation_id", None)
    if org_id is None:
        return Scope([], -1)
    return Scope(organisation_scope(store, int(org_id)), int(org_id))


class Dashboard:
    """The dashboard's figures for one request; each piece is computed once, when asked for.

    Parameters
    ----------
    store
        The store.
    scope
        What the user is responsible for.
    radius_km
        Reach of a meeting.
    area
        The service area (``COMMONGROUND_SERVICE_AREA``) whose towns are the demand.
    today
        The day licences are judged on (and coverage counted for).
    context
        The app's use-case context, whose recommender the links table shares (default: a
        context of ``store`` alone).
    """

    def __init__(self, store: Store, scope: Scope, *, radius_km: float, area: str,
                 today: dt.date, context: Context | None = None, wait: bool = True) -> None:
        self.store, self.scope, self.radius_km = store, scope, radius_km
        self.area, self.today, self.wait = area, today, wait
        self.computing: set[str] = set()
        """Tables shown as "still being worked out" (only with ``wait=False``)."""
        # The app's context shares its recommender; a bare store gets its own.
        self.context = context if context is not None else Context(store, {})

    @cached_property
    def organisations(self) -> pd.DataFrame:
        """The organisations frame, with the lead's organisation made a root."""
        with self.store.router.primary_reads():  # what is cached under the primary's key
            orgs = organisations_frame(self.store)
        if not self.scope.everything:
            orgs.loc[orgs["id"] == self.scope.root_id, "parent_id"] = pd.NA
        return orgs

    @cached_property
    def coverage(self) -> CoverageResult:
        """Coverage of the service area's people, per region and per tree (cached)."""
        return coverage_result(self.store, radius_km=self.radius_km, area=self.area,
                               on=self.today, data_dir=self.context.settings.get("DATA_DIR"),
                               reroot=None if self.scope.everything else self.scope.root_id,
                               fingerprint=self.fingerprint)

    @cached_property
    def fingerprint(self) -> Any:
        """The store's coverage fingerprint, read once for this request."""
        return cache_for(self.store).fingerprint(self.store)

    @cached_property
    def territory(self) -> CoverageResult:
        """The coverage result cut to the towns of the user's tree (admin: all towns).

        Kept with the coverage it is cut from (its gaps are sorted once).
        """
        coverage = self.coverage

        def cut() -> CoverageResult:
            demand = coverage.demand
            if not self.scope.everything:
                demand = demand.loc[
                    demand["hotspot_id"].isin([self.scope.root_id]).to_numpy(bool)]
            return CoverageResult(radius_km=self.radius_km,
                                  demand=demand.reset_index(drop=True),
                                  population_source=coverage.population_source, on=self.today)

        base = getattr(coverage, "cache_key", None)
        if base is None:
            return cut()
        key = ("territory", base, self.scope.everything, self.scope.root_id)
        return cache_for(self.store).get_or_compute(key, cut)  # type: ignore[no-any-return]

    @cached_property
    def suggestion(self) -> SiteSuggestion:
        """Sites in the territory, each devolved by the best ready organisation in scope."""
        demand = self.territory.demand
        if demand.empty or not (~demand["covered"]).any():
            return SiteSuggestion(radius_km=self.radius_km)
        return site_suggestion(
            self.store, self.coverage, count=SITES, demand=demand,
            organisation_ids=self.scope.ids,
            devolve_max_km=float(self.context.settings.get("DEVOLVE_MAX_KM", DEFAULT_MAX_KM)),
            territory=("tree", None if self.scope.everything else self.scope.root_id),
            wait=self.wait)

    @cached_property
    def trees(self) -> list[Any]:
        """Growth trees in scope (the lead's subtree, or all); once per data change."""
        def build() -> list[Any]:
            with self.store.router.primary_reads():
                meetings = meetings_frame(self.store, attendance=None)
            trees = growth_trees(self.organisations, meetings)
            return [t for t in trees
                    if self.scope.everything or t.root_id == self.scope.root_id]

        cache = cache_for(self.store)
        return cache.get_or_compute(("trees", *self._key()), build)  # type: ignore[no-any-return]

    def _key(self) -> tuple[Any, ...]:
        """What the dashboard's figures depend on: data, scope, radius and day."""
        return (self.store.url, self.fingerprint, self.scope.everything,
                self.scope.root_id, self.radius_km, self.today)

    def headline(self) -> dict[str, Any]:
        """People in the territory, those within reach, and the share."""
        t = self.territory
        return {"population": t.population, "covered_population": t.covered_population,
                "covered_share": t.covered_share, "towns": len(t.demand)}

    # -- the tables ---------------------------------------------------------------------------

    def table(self, name: str) -> Table:
        """The table called ``name`` (a key of :data:`TABLES`)."""
        title, columns = TABLES[name]
        rows = getattr(self, "_" + name.replace("-", "_"))()
        return Table(name, title, columns, rows)

    def _coverage_by_region(self) -> list[dict[str, Any]]:
        rows = self.coverage.by_region
        if self.scope.everything:
            return rows
        mine = {o["region_id"] for o in self.scope.organisations if o["region_id"] is not None}
        return [r for r in rows if r["id"] in mine]

    def _coverage_by_hotspot(self) -> list[dict[str, Any]]:
        rows = self.coverage.by_hotspot
        if self.scope.everything:
            return rows
        return [r for r in rows if r["organisation_id"] == self.scope.root_id]

    def _gaps(self) -> list[dict[str, Any]]:
        return self.territory.gaps(GAPS).to_dict("records")

    def _sites(self) -> list[dict[str, Any]]:
        rows = []
        if self.suggestion.computing:
            self.computing.add("sites")
        for rank, s in enumerate(self.suggestion.sites, start=1):
            dev = s.devolve_from
            found = dev is not None and dev.organisation_id is not None
            rows.append({
                "rank": rank, "name": s.name, "at": s.at,
                "added_population": s.added_population,
                "places": "; ".join(f"{n} {p:,}" for n, p in s.places),
                "devolve_from_id": dev.organisation_id if dev else None,
                "devolve_from": dev.name if found else None,
                "devolve_from_label": (dev.name if found else
                                       "none of yours ready within reach"),
                "devolve_reasons": (dev.reasons if dev else
                                    "no approved organisation of yours"),
                "devolve_distance_km": dev.distance_km if dev else None,
                "lat": s.lat, "lon": s.lon,
            })
        return rows

    def _growth(self) -> list[dict[str, Any]]:
        rows = []
        for t in self.trees:
            base = {"hotspot_id": t.root_id, "hotspot": t.name, "depth": t.depth}
            rows += [{**base, "generation": g.generation, "organisations": g.organisations,
                      "meetings": g.meetings} for g in t.generations]
            before = (0, 0)
            for y in t.timeline:
                rows.append({**base, "year": y.year, "organisations": y.organisations,
                             "meetings": y.meetings,
                             "new_organisations": y.organisations - before[0],
                             "new_meetings": y.meetings - before[1]})
                before = (y.organisations, y.meetings)
        return rows

    def _links(self) -> list[dict[str, Any]]:
        versions = tuple(self.store.data_version(t) for t in (
            "associations", "opportunities", "mutual_interest_links"))
        key = ("links", *self._key(), versions)
        cache = cache_for(self.store)
        if self.wait:
            return cache.get_or_compute(key, self._links_now)  # type: ignore[no-any-return]
        rows, ready = cache.get_or_start(key, self._links_now)
        if ready:
            return rows  # type: ignore[no-any-return]
        self.computing.add("links")
        return []

    def _links_now(self) -> list[dict[str, Any]]:
        with self.store.router.primary_reads():
            return self._links_read()

    def _links_read(self) -> list[dict[str, Any]]:
        engine = recommender(self.context)
        rows = []
        for org in self.scope.organisations:
            if org["status"] == "suspended":  # a suspended group is not making new links
                continue
            found = links_worth_making(engine, int(org["id"]), radius_km=self.radius_km,
                                       limit=LINKS_PER_ORGANISATION)
            rows += [{"organisation_id": org["id"], "organisation": org["name"],
                      **{k: r[k] for k in ("association_id", "association", "category",
                                           "distance_km", "nearest_meeting",
                                           "open_opportunities", "score")},
                      "reasons": "; ".join(r["reasons"])} for r in found["results"]]
        return rows

    def _volunteers(self) -> list[dict[str, Any]]:
        ids = None if self.scope.everything else self.scope.ids
        rows = [{**v, **licence_status(v["licence_valid_until"], self.today)}
                for v in volunteers_of(self.store, ids)]
        order = {"lapsed": 0, "unknown": 1, "expiring": 2, "valid": 3}
        rows.sort(key=lambda r: (order[r["status"]], r["licence_valid_until"] or dt.date.min,
                                 str(r["organisation"]), str(r["display_name"]), r["id"]))
        return rows

    # -- the maps -----------------------------------------------------------------------------

    def coverage_map(self) -> Any:
        """The coverage map of the territory (the web face renders it into a frame).

        The meetings drawn are those coverage counts on ``today``, worked out once per data
        change (:mod:`service.usecases.coverage_cache`). The map itself is built per request:
        each response draws it with its own CSP nonce.
        """
        base = getattr(self.coverage, "cache_key", None)
        if base is None:
            meetings = self._serving_meetings()
        else:
            meetings = cache_for(self.store).get_or_compute(("hotspots-map", base),
                                                           self._serving_meetings)
        names = self.organisations.set_index("id")["name"]
        owned = meetings["organisation_id"]
        if not self.scope.everything:
            meetings = meetings.loc[owned.isin(sorted(self.scope.ids)).to_numpy(bool)]
        meetings = meetings.assign(organisation=[
            None if pd.isna(o) else names.get(int(o)) for o in meetings["organisation_id"]])
        demand = self.territory.demand
        m = build_coverage_map(
            meetings, radius_km=self.radius_km,
            hexagons=hexagons(demand) if len(demand) else None,
            gaps=self.territory.gaps(MAP_GAPS), sites=sites_for_map(self.suggestion))
        return m

    def growth_map(self) -> Any:
        """The growth map of the trees in scope (the trees are cached per data change)."""
        return build_growth_map([t.to_dict() for t in self.trees])

    def map_document(self, kind: str, render: Callable[[Any], str], *,
                     variant: Hashable = None) -> str:
        """The ``coverage`` or ``growth`` map rendered by ``render``, once per data change.

        ``render`` must make a document that does not depend on the request (the web face
        renders with a nonce slot and fills in each response's nonce); ``variant`` is what
        else it depends on (the tile setting). A coverage map drawn while the exact sites are
        still being computed is kept apart from the final one.
        """
        if kind not in MAP_KINDS:
            msg = f"kind must be one of {', '.join(map(repr, MAP_KINDS))}, got {kind!r}"
            raise ValueError(msg)
        build = self.coverage_map if kind == "coverage" else self.growth_map
        pending = kind == "coverage" and self.suggestion.computing
        key = ("hotspots-map-document", kind, *self._key(), pending, variant)
        return cache_for(self.store).get_or_compute(  # type: ignore[no-any-return]
            key, lambda: render(build()))

    def _serving_meetings(self) -> pd.DataFrame:
        with self.store.router.primary_reads():
            return serving_meetings(meetings_frame(self.store), organisations_frame(self.store),
                                    volunteers_frame(self.store), on=self.today)


def parse_dashboard(args: Mapping[str, Any]) -> float:
    """The dashboard's ``radius_km`` (default :data:`DEFAULT_RADIUS_KM`).

    ``impact_by`` is the impact section's (:func:`service.usecases.impact.parse_impact_by`).
    """
    params.check_known(args, ("radius_km", "impact_by"))
    return params.radius(args.get("radius_km"), default=DEFAULT_RADIUS_KM)


__all__ = [
    "DEFAULT_RADIUS_KM",
    "EXPIRY_WARNING_DAYS",
    "MAP_KINDS",
    "Dashboard",
    "Scope",
    "licence_status",
    "parse_dashboard",
    "scope_for",
]
