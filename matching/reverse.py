"""The reverse questions, for associations and hotspot leads.

* :func:`opportunity_reach` / :func:`association_reach`: which active meetings are within
  reach of a listing (or of an association), and for how many of them it fits what the group
  already does.
* :func:`links_worth_making`: associations near an organisation's meetings that have no
  mutual-interest link with it yet, best first, with reasons.

Peers have no accounts and nothing they search for is kept, so "what a group is into" is read
from what it already does: the interest tags of the listings of the associations it has an
active win/win link with (:func:`group_interests`). A listing *fits* a meeting when it shares
at least one of those tags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd

from matching.errors import UnknownRecordError
from matching.query import DEFAULT_LIMIT
from matching.query import DEFAULT_RADIUS_KM
from matching.query import check_limit
from matching.query import check_radius
from matching.taxonomy import term

if TYPE_CHECKING:
    from matching.catalogue import Catalogue
    from matching.recommend import Recommender

_FULL_NEEDS = 3  # open needs at which an association counts as fully "in need"


def _labels(slugs: Any) -> list[str]:
    return [term(s).label.lower() for s in slugs]


def group_interests(
    catalogue: Catalogue, links: pd.DataFrame
) -> dict[int, tuple[str, ...]]:
    """Per organisation, the interest tags of its actively linked associations' listings.

    Parameters
    ----------
    catalogue
        The opportunities.
    links
        Frame with ``organisation_id``, ``association_id``, ``active``.

    Returns
    -------
    dict
        Organisation id -> tags, most frequent first (ties in vocabulary order).
    """
    out: dict[int, tuple[str, ...]] = {}
    if links.empty:
        return out
    active = links[links["active"].astype(bool)]
    for org, group in active.groupby("organisation_id", sort=True):
        rows = np.flatnonzero(np.isin(catalogue.association_id,
                                      group["association_id"].to_numpy(np.int64)))
        counts: dict[str, int] = {}
        for p in rows:
            for slug in catalogue.interests[p]:
                counts[slug] = counts.get(slug, 0) + 1
        out[int(org)] = tuple(sorted(counts, key=lambda s: -counts[s]))  # stable on ties
    return out


def _reach(
    recommender: Recommender, latlon: tuple[float, float], tags: tuple[str, ...],
    association_id: int, radius_km: float,
) -> dict[str, Any]:
    source = recommender.source
    catalogue = recommender.catalogue()
    meetings = source.meetings_within(latlon, radius_km)
    org_ids = sorted({int(o) for o in meetings["organisation_id"].dropna()})
    links = source.links(organisation_ids=org_ids) if org_ids else pd.DataFrame(
        columns=["organisation_id", "association_id", "active"])
    interests = group_interests(catalogue, links)
    linked_orgs = {int(o) for o, a, act in links[["organisation_id", "association_id",
                                                  "active"]].itertuples(index=False)
                   if int(a) == association_id and bool(act)}
    rows = []
    for m in meetings.itertuples(index=False):
        org = None if pd.isna(m.organisation_id) else int(m.organisation_id)
        shared = [s for s in tags if s in interests.get(org, ())] if org is not None else []
        rows.append({
            "meeting_id": int(m.id), "name": str(m.name), "organisation_id": org,
            "organisation": None if org is None else str(m.organisation),
            "distance_km": round(float(m.distance_km), 3), "linked": org in linked_orgs,
            "fits": _labels(shared),
        })
    return {
        "radius_km": radius_km, "interests": list(tags),
        "meetings_in_reach": len(rows),
        "organisations_in_reach": len({r["organisation_id"] for r in rows
                                       if r["organisation_id"] is not None}),
        "meetings_it_fits": sum(1 for r in rows if r["fits"]),
        "meetings_already_linked": sum(1 for r in rows if r["linked"]),
        "meetings": rows,
    }


def opportunity_reach(
    recommender: Recommender, opportunity_id: int, *, radius_km: float = DEFAULT_RADIUS_KM
) -> dict[str, Any]:
    """The active meetings within ``radius_km`` of a listing and which of them it fits.

    Raises
    ------
    UnknownRecordError
        When there is no such opportunity.
    """
    radius_km = check_radius(radius_km)
    catalogue = recommender.catalogue()
    rows, known = catalogue.positions(np.asarray([opportunity_id], dtype=np.int64))
    if not known[0]:
        msg = f"opportunity_id={opportunity_id!r} is not a known opportunity"
        raise UnknownRecordError(msg, param="opportunity_id")
    p = int(rows[0])
    info = catalogue.row(p) | {"status": str(catalogue.status[p])}
    tags = tuple(catalogue.interests[p])
    return {"opportunity": info, **_reach(recommender, (info["lat"], info["lon"]), tags,
                                          info["association_id"], radius_km)}


def association_reach(
    recommender: Recommender, association_id: int, *, radius_km: float = DEFAULT_RADIUS_KM
) -> dict[str, Any]:
    """The active meetings within ``radius_km`` of an association, and which its listings fit.

    Raises
    ------
    UnknownRecordError
        When the association has no listings (or does not exist).
    """
    radius_km = check_radius(radius_km)
    catalogue = recommender.catalogue()
    rows = np.flatnonzero(catalogue.association_id == int(association_id))
    if not rows.size:
        msg = (f"association_id={association_id!r} is not an association with listed "
               "opportunities")
        raise UnknownRecordError(msg, param="association_id")
    open_rows = rows[catalogue.open[rows]]
    tags: list[str] = []
    for p in open_rows if open_rows.size else rows:
        tags += [s for s in catalogue.interests[p] if s not in tags]
    first = int(rows[0])
    latlon = (float(catalogue.lat[first]), float(catalogue.lon[first]))
    info = {"association_id": int(association_id), "association": str(catalogue.association[first]),
            "category": str(catalogue.category[first]),
            "open_opportunities": int(open_rows.size),
            "lat": latlon[0], "lon": latlon[1]}
    # Listings may be away from the base (a towpath, a reserve): measure from the first one,
    # which for most associations is the base itself.
    return {"association": info, **_reach(recommender, latlon,
                                          tuple(tags), int(association_id), radius_km)}


def links_worth_making(
    recommender: Recommender, organisation_id: int, *, radius_km: float = DEFAULT_RADIUS_KM,
    limit: int = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Approved associations near an organisation's meetings without a link to it yet.

    Score: ``decay(d) x (0.5 + 0.5 x min(1, open needs / 3)) x (1 + 0.5 x fit)`` where ``d``
    is the distance to the nearest of the group's active meetings (its base when it has
    none), ``open needs`` counts open listings with places, and ``fit`` is the share of the
    association's tags that the group already does.

    Raises
    ------
    UnknownRecordError
        When there is no such organisation.
    """
    radius_km = check_radius(radius_km)
    limit = check_limit(limit)
    source = recommender.source
    org = source.organisation(int(organisation_id))
    if org is None:
        msg = f"organisation_id={organisation_id!r} is not a known organisation"
        raise UnknownRecordError(msg, param="organisation_id")
    catalogue = recommender.catalogue()
    meetings = source.meetings_of(int(organisation_id))
    sites = [(str(m.name), (float(m.lat), float(m.lon))) for m in meetings.itertuples()]
    if not sites and org.get("lat") is not None and org.get("lon") is not None:
        sites = [(f"{org['name']} (base)", (float(org["lat"]), float(org["lon"])))]  # type: ignore[arg-type]
    links = source.links(organisation_ids=[int(organisation_id)])
    existing = {int(a) for a in links["association_id"]}
    mine = group_interests(catalogue, links).get(int(organisation_id), ())
    nearest: dict[int, tuple[float, str, dict[str, Any]]] = {}
    for name, latlon in sites:
        found = source.associations_within(latlon, radius_km)
        for a in found.itertuples(index=False):
            aid = int(a.id)
            if aid in existing or a.status != "approved":
                continue
            d = float(a.distance_km)
            if aid not in nearest or (d, name) < nearest[aid][:2]:
                nearest[aid] = (d, name, {"name": str(a.name), "category": str(a.category),
                                          "lat": float(a.lat), "lon": float(a.lon)})
    results = []
    params = recommender.params
    for aid, (d, site, info) in nearest.items():
        rows = np.flatnonzero(catalogue.association_id == aid)
        open_rows = rows[catalogue.open[rows] & catalogue.has_places[rows]]
        tags: list[str] = []
        for p in open_rows:
            tags += [s for s in catalogue.interests[p] if s not in tags]
        shared = [s for s in tags if s in mine]
        fit = len(shared) / len(tags) if tags else 0.0
        need = 0.5 + 0.5 * min(1.0, open_rows.size / _FULL_NEEDS)
        score = float(params.decay(d)) * need * (1.0 + 0.5 * fit)
        reasons = [f"{d:.1f} km from {site}"]
        n = int(open_rows.size)
        reasons.append(f"{n} open need{'s' if n != 1 else ''} with places" if n
                       else "no open needs listed yet")
        if shared:
            reasons.append("fits what your group already does: " + ", ".join(_labels(shared)))
        elif tags:
            reasons.append("something new for your group: " + ", ".join(_labels(tags[:3])))
        results.append({
            "association_id": aid, "association": info["name"], "category": info["category"],
            "distance_km": round(d, 3), "nearest_meeting": site, "open_opportunities": n,
            "interests": tags, "score": score, "reasons": reasons,
            "lat": info["lat"], "lon": info["lon"],
        })
    results.sort(key=lambda r: (-r["score"], r["distance_km"], r["association_id"]))
    return {
        "organisation": {"id": int(org["id"]), "name": org["name"], "status": org["status"]},  # type: ignore[call-overload]
        "radius_km": radius_km, "group_interests": list(mine),
        "already_linked": len(existing), "results": results[:limit],
    }


__all__ = ["association_reach", "group_interests", "links_worth_making", "opportunity_reach"]
