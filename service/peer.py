"""Peer pages: search (no account, nothing stored), an opportunity, the meeting finder.

Thin: parse the request, call ``matching`` and ``maps``, render. A peer's search lives only in
the request that carries it; answers are ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import make_response
from flask import render_template
from flask import request

from domain.schedule import PARTS_OF_DAY
from domain.schedule import in_part_of_day
from geo.errors import GeoError
from maps.meetings import build_meetings_map
from maps.opportunities import build_opportunities_map
from maps.place import build_place_map
from matching.errors import MatchingError
from matching.taxonomy import TERMS
from service import queries
from service.api_recommend import get_recommender
from service.origin import origin_dict
from service.origin import peer_query
from service.origin import resolve_origin
from store.reads import export_records
from store.reads import export_records_by_ids

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("peer", __name__)

WEEKDAYS = queries.WEEKDAYS
RADII = (5, 10, 15, 25, 50)


def _store():  # type: ignore[no-untyped-def]
    from service import get_store  # noqa: PLC0415

    return get_store(current_app)


def _map_html(m: Any) -> str:
    """A folium map as a complete HTML document, for an ``<iframe srcdoc>`` (escaped there)."""
    return str(m.get_root().render())


def _when(record: dict[str, Any]) -> str:
    days = ", ".join(WEEKDAYS[d] for d in record.get("weekdays") or [] if 0 <= d < len(WEEKDAYS))
    start, end = record.get("start_time"), record.get("end_time")
    times = ""
    if start:
        times = start.strftime("%H:%M") + (f"-{end.strftime('%H:%M')}" if end else "")
    if record.get("flexible"):
        return "flexible" + (f" ({days})" if days else "")
    return " ".join(p for p in (days, times) if p)


def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response


def _active_meetings(store: Any) -> list[dict[str, Any]]:
    meetings = [m for m in export_records(store, "meetings") if m["active"]]
    for m in meetings:
        m["when"] = _when(m)
    return meetings


@bp.get("/")
def search() -> ResponseReturnValue:
    """The peer search: origin + interests -> ranked list with reasons and a map."""
    args = request.args
    store = _store()
    chosen = [s for s in args.getlist("interests") if s]
    form = {
        "meeting_id": args.get("meeting_id", ""), "postcode": args.get("postcode", ""),
        "place": args.get("place", ""), "lat": args.get("lat", ""), "lon": args.get("lon", ""),
        "text": args.get("text", ""), "radius_km": args.get("radius_km", "15"),
        "interests": chosen,
    }
    meetings = _active_meetings(store)
    context: dict[str, Any] = {
        "form": form, "terms": TERMS, "radii": RADII, "meetings": meetings,
        "has_demo": any(m["is_demo"] for m in meetings), "results": None, "error": None,
    }
    status = 200
    if any(form[k] for k in ("meeting_id", "postcode", "place", "lat", "lon")):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            origin = resolve_origin(app, store, lat=form["lat"] or None,
                                    lon=form["lon"] or None, postcode=form["postcode"] or None,
                                    place=form["place"] or None,
                                    meeting_id=form["meeting_id"] or None)
            query = peer_query(origin, interests=",".join(chosen), text=form["text"],
                               radius_km=form["radius_km"] or None)
            answer = get_recommender(app).recommend(query)
        except (MatchingError, GeoError) as exc:
            context["error"] = str(exc)
            status = int(getattr(exc, "status", 400))
        else:
            results = [r.to_dict() for r in answer.results]
            details = {d["id"]: d for d in export_records_by_ids(
                store, "opportunities", [r["opportunity_id"] for r in results])}
            for r in results:
                d = details.get(r["opportunity_id"], {})
                r["schedule"] = _when(d)
                r["commitment"] = d.get("commitment")
                r["location_precision"] = d.get("location_precision")
                r["is_demo"] = d.get("is_demo", False)
            origin_info = origin_dict(query.origin)
            # Only the meetings inside the search circle go on the map, not the nation's.
            ids, _ = store.spatial.within("meetings", query.origin.latlon, query.radius_km,
                                          filters={"active": True})
            by_id = {m["id"]: m for m in meetings}
            near = [by_id[i] for i in ids.tolist() if i in by_id]
            m = build_opportunities_map(origin_info, results, near, radius_km=query.radius_km)
            context.update(results=results, origin=origin_info, radius_km=query.radius_km,
                           map_html=_map_html(m), interests_used=answer.interests_used)
            context["has_demo"] = context["has_demo"] or any(r["is_demo"] for r in results)
    return _no_store(make_response(render_template("peer/search.html", **context), status))


@bp.get("/opportunities/<int:opportunity_id>")
def opportunity(opportunity_id: int) -> ResponseReturnValue:
    """One opportunity: what, where, when, skills to learn, how to get in touch."""
    store = _store()
    found = export_records_by_ids(store, "opportunities", [opportunity_id])
    if not found:
        abort(404, description=f"There is no opportunity {opportunity_id}.")
    opp = found[0]
    (assoc,) = export_records_by_ids(store, "associations", [opp["association_id"]])
    if assoc["status"] != "approved":  # a pending or suspended partner's need is not public
        abort(404, description=f"There is no opportunity {opportunity_id}.")
    opp["when"] = _when(opp)
    labels = {t.slug: t.label for t in TERMS}
    m = build_place_map((opp["lat"], opp["lon"]), label=opp["title"],
                        approximate=opp["location_precision"] != "exact",
                        ) if opp["lat"] is not None else None
    return render_template(
        "peer/opportunity.html", opp=opp, assoc=assoc, labels=labels,
        map_html=_map_html(m) if m is not None else None, has_demo=opp["is_demo"],
        back=request.referrer if request.referrer and "/?" in request.referrer else None,
    )


def _filter_meetings(meetings: list[dict[str, Any]], args: Any) -> list[dict[str, Any]]:
    day = args.get("day", "")
    part = args.get("time", "")
    attendance = args.get("attendance", "")
    out = []
    for m in meetings:
        if day.isdigit() and int(day) not in (m["weekdays"] or []):
            continue
        if part in PARTS_OF_DAY and not in_part_of_day(part, m["start_time"], m.get("end_time")):
            continue
        if attendance and m["attendance"] != attendance:
            continue
        out.append(m)
    return out


@bp.get("/meetings")
def meetings() -> ResponseReturnValue:
    """The meeting finder: a list and a map, filtered by day, time of day and attendance."""
    store = _store()
    everything = _active_meetings(store)
    shown = _filter_meetings(everything, request.args)
    shown.sort(key=lambda m: (min(m["weekdays"] or [7]), m["start_time"] or dt.time(23, 59)))
    return render_template(
        "peer/meetings.html", meetings=shown, total=len(everything), weekdays=WEEKDAYS,
        parts=PARTS_OF_DAY, args=request.args, map_html=_map_html(build_meetings_map(shown)),
        has_demo=any(m["is_demo"] for m in shown),
    )


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int) -> ResponseReturnValue:
    """One meeting: when, where, how to attend, and a search for opportunities near it."""
    found = export_records_by_ids(_store(), "meetings", [meeting_id])
    if not found:
        abort(404, description=f"There is no meeting {meeting_id}.")
    m = found[0]
    m["when"] = _when(m)
    map_html = _map_html(build_meetings_map([m])) if m["lat"] is not None else None
    return render_template("peer/meeting.html", m=m, map_html=map_html, has_demo=m["is_demo"])


@bp.get("/organisations")
def organisations() -> ResponseReturnValue:
    """The peer organisations as a growth tree, with their meetings."""
    return render_template("index.html", **queries.overview(_store()))
