"""Peer pages: search (no account, nothing stored), an opportunity, the meeting finder.

Thin: parse the request, call a use case (:mod:`service.usecases.search`,
:mod:`service.usecases.listings`), render. A peer's search lives only in the request that
carries it; answers are ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode

from flask import Blueprint
from flask import make_response
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.datastructures import MultiDict

from domain.schedule import DAY_NAMES
from domain.schedule import PARTS_OF_DAY
from maps.meetings import build_meetings_map
from maps.place import build_place_map
from matching.query import COMMITMENTS
from matching.taxonomy import TERMS
from service.context import get_context
from service.context import get_store
from service.usecases import listings
from service.usecases.errors import KNOWN
from service.usecases.errors import describe
from service.usecases.search import parse_search
from service.usecases.search import search_on_map
from service.web.assets import map_document

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("peer", __name__)

WEEKDAYS = DAY_NAMES
RADII = (5, 10, 15, 25, 50)
ORIGIN_FIELDS = ("meeting_id", "postcode", "place", "lat", "lon")


#: What a search is made of: the only parameters "Back to your results" carries.
SEARCH_KEYS = ("meeting_id", "postcode", "place", "lat", "lon", "text", "radius_km",
               "interests", "ignore", "accessibility", "days", "times", "fits_week",
               "commitment", "groups", "remote", "page")


def _map_html(m: Any) -> str:
    """A folium map as a complete HTML document, for an ``<iframe srcdoc>`` (escaped there)."""
    return map_document(m)


def search_query(args: Any) -> str:
    """The search part of a query string (known keys only, non-empty), to carry in links."""
    pairs = [(k, v) for k in SEARCH_KEYS for v in args.getlist(k) if v and len(v) < 200]  # noqa: PLR2004
    return urlencode(pairs)


def back_to_results(value: str | None) -> str | None:
    """The link back to a search, rebuilt from a carried query (never from the Referer)."""
    if not value:
        return None
    carried = MultiDict(parse_qsl(value[:2000], keep_blank_values=False))
    query = search_query(carried)
    return f"{url_for('peer.search')}?{query}" if query else None


def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response


FILTER_FIELDS = ("days", "times", "fits_week", "commitment", "groups", "remote")
ERROR_FIELDS = ("meeting_id", "postcode", "place", "text")
"""Fields whose errors the page shows at the field (others above the results)."""
ACCESS_CHOICES = (("wheelchair", "Wheelchair access"), ("step_free", "Step-free"),
                  ("accessible_toilet", "Accessible toilet"), ("hearing_loop", "Hearing loop"),
                  ("seated_tasks", "Seated tasks"), ("quiet_space", "Quiet space"),
                  ("near_public_transport", "Near public transport"), ("parking", "Parking"))
"""Accessibility filters offered on the page (the API takes any feature)."""


def _search_url(form: dict[str, Any], **changes: Any) -> str:
    """The search page's URL for ``form`` with some values changed (``None`` drops one)."""
    values = {**form, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        empty = value is None or (isinstance(value, (str, list)) and not value)
        if empty or (key == "page" and value == 1):
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return url_for("peer.search") + ("?" + urlencode(pairs) if pairs else "")


@bp.get("/")
def search() -> ResponseReturnValue:
    """The peer search: origin + interests -> ranked list with reasons and a map.

    After a search the results come first and the form folds to one line; an error sits at
    its field; results come in pages ("show more"), with filters.
    """
    args = request.args
    ctx = get_context()
    chosen = [s for s in args.getlist("interests") if s]
    form: dict[str, Any] = {
        "meeting_id": args.get("meeting_id", ""), "postcode": args.get("postcode", ""),
        "place": args.get("place", ""), "lat": args.get("lat", ""), "lon": args.get("lon", ""),
        "text": args.get("text", ""), "radius_km": args.get("radius_km", "15"),
        "interests": chosen, "ignore": [s for s in args.getlist("ignore") if s],
        "accessibility": [a for a in args.getlist("accessibility") if a],
        "page": args.get("page", "1"),
        **{k: args.get(k, "") for k in FILTER_FIELDS},
    }
    meetings = listings.active_meetings(ctx.store)
    context: dict[str, Any] = {
        "form": form, "terms": TERMS, "radii": RADII, "meetings": meetings,
        "has_demo": any(m["is_demo"] for m in meetings), "results": None, "error": None,
        "error_param": None, "access_choices": ACCESS_CHOICES, "commitments": COMMITMENTS,
        "searched": False,
    }
    status = 200
    wants = chosen or form["text"] or any(form[k] for k in FILTER_FIELDS)
    if any(form[k] for k in ORIGIN_FIELDS):
        context["searched"] = True
        try:
            found = search_on_map(ctx, parse_search({
                **form, "interests": ",".join(chosen), "ignore": ",".join(form["ignore"]),
                "accessibility": ",".join(form["accessibility"])}))
        except KNOWN as exc:
            info = describe(exc)
            context["error"], status = info.detail, info.status
            # The message sits at its field when the page has one; else above the results.
            context["error_param"] = info.param if info.param in ERROR_FIELDS else None
        else:
            answer = found.found.answer
            labels = {t.slug: t.label for t in TERMS}
            context.update(
                results=found.results, origin=found.found.origin,
                radius_km=found.found.query.radius_km, map_html=_map_html(found.map),
                interests_used=answer.interests_used, total=answer.total,
                first=answer.first, more=answer.more, remote=answer.remote,
                summary=", ".join(labels[s] for s in answer.interests_used),
                understood=[{**u.to_dict(), "label": labels[u.slug],
                             "remove": _search_url(form, ignore=[*form["ignore"], u.slug],
                                                   page=None)}
                            for u in answer.understood],
                more_url=_search_url(form, page=found.found.query.page + 1),
                search_query=search_query(request.args))
            context["has_demo"] = context["has_demo"] or any(r["is_demo"] for r in found.results)
    elif wants:
        context["searched"] = True
        context["error"], status = ("Say where from: choose your meeting, or type a postcode "
                                    "or a town."), 400
        context["error_param"] = "meeting_id"
    return _no_store(make_response(render_template("peer/search.html", **context), status))


@bp.get("/opportunities/<int:opportunity_id>")
def opportunity(opportunity_id: int) -> ResponseReturnValue:
    """One opportunity: what, where, when, skills to learn, how to get in touch."""
    opp, assoc = listings.public_opportunity(get_store(), opportunity_id)
    m = build_place_map((opp["lat"], opp["lon"]), label=opp["title"],
                        approximate=opp["location_precision"] != "exact",
                        ) if opp["lat"] is not None else None
    return render_template(
        "peer/opportunity.html", opp=opp, assoc=assoc, labels=listings.interest_labels(),
        map_html=_map_html(m) if m is not None else None, has_demo=opp["is_demo"],
        back=back_to_results(request.args.get("search")),
    )


@bp.get("/meetings")
def meetings() -> ResponseReturnValue:
    """The meeting finder: a list and a map, filtered by day, time of day and attendance."""
    args = request.args
    shown, total = listings.find_meetings(get_store(), day=args.get("day", ""),
                                          part=args.get("time", ""),
                                          attendance=args.get("attendance", ""))
    return render_template(
        "peer/meetings.html", meetings=shown, total=total, weekdays=WEEKDAYS,
        parts=PARTS_OF_DAY, args=args, map_html=_map_html(build_meetings_map(shown)),
        has_demo=any(m["is_demo"] for m in shown),
    )


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int) -> ResponseReturnValue:
    """One meeting: when, where, how to attend, and a search for opportunities near it."""
    m = listings.meeting(get_store(), meeting_id)
    map_html = _map_html(build_meetings_map([m])) if m["lat"] is not None else None
    return render_template("peer/meeting.html", m=m, map_html=map_html, has_demo=m["is_demo"])


@bp.get("/organisations")
def organisations() -> ResponseReturnValue:
    """The peer organisations as a growth tree, with their meetings."""
    return render_template("index.html", **listings.overview(get_store()))


__all__ = ["bp"]
