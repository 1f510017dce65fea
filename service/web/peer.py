"""Peer pages: search (no account, nothing stored), an opportunity, the meeting finder.

Thin: parse the request, call a use case (:mod:`service.usecases.search`,
:mod:`service.usecases.listings`), render. A peer's search lives only in the request that
carries it; answers are ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import make_response
from flask import redirect
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
from service.usecases import finder
from service.usecases import interest as interest_cases
from service.usecases import listings
from service.usecases import params
from service.usecases.calendar import need_event
from service.usecases.calendar import to_ics
from service.usecases.errors import KNOWN
from service.usecases.errors import BadParameterError
from service.usecases.errors import describe
from service.usecases.meeting_page import directions
from service.usecases.meeting_page import meeting_event
from service.usecases.search import parse_search
from service.usecases.search import search_on_map
from service.web.assets import map_document

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from service.usecases.calendar import Event

bp = Blueprint("peer", __name__)

WEEKDAYS = DAY_NAMES
RADII = (5, 10, 15, 25, 50)
ORIGIN_FIELDS = ("meeting_id", "postcode", "place", "lat", "lon")
OSM_TILES = ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
             "&copy; OpenStreetMap contributors")


def clock() -> dt.datetime:
    """Now, in London (the finder's "upcoming" and "in progress" start from it)."""
    return dt.datetime.now(finder.LONDON)


def map_assets() -> dict[str, str]:
    """What an in-page map loads: Leaflet from this site, and the tiles setting.

    Leaflet comes from the ``vendor.vendor`` route (the installed ``xstatic-leaflet``); an
    app without that route gets no map (the list still works). ``MAP_TILES``:
    ``openstreetmap`` (default), ``none`` (no tiles), or an ``https://`` URL template with
    ``{z}``, ``{x}``, ``{y}``, optionally followed by ``|attribution``.
    """
    setting = str(current_app.config.get("MAP_TILES") or "openstreetmap").strip()
    tiles, attribution = OSM_TILES
    if setting.lower() == "none":
        tiles, attribution = "", ""
    elif setting.startswith("https://"):
        tiles, _, attribution = setting.partition("|")
    served = "vendor.vendor" in current_app.view_functions
    return {"css": url_for("vendor.vendor", path="leaflet/leaflet.css") if served else "",
            "js": url_for("vendor.vendor", path="leaflet/leaflet.js") if served else "",
            "tiles": tiles, "attribution": attribution or "Map tiles"}


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
SEARCH_LABELS = {"meeting": "My meeting", "meeting_id": "My meeting", "postcode": "Postcode",
                 "place": "Town", "text": "In your own words", "radius_km": "How far",
                 "days": "Days", "times": "Time of day", "commitment": "Commitment",
                 "remote": "Remote or online", "fits_week": "Only ones that fit",
                 "groups": "Suitable for a group", "lat": "Your location",
                 "lon": "Your location", "page": "Page"}
"""The search form's labels: its errors name the field as the form does."""
ERROR_FIELDS = ("meeting", "postcode", "place", "text", "radius_km", "days", "times",
                "commitment", "remote")
"""Fields whose errors the page shows at the field (others above the results)."""
FINDER_LABELS = {"q": "Search meetings", "near": "Near a postcode or town",
                 "postcode": "Near a postcode or town", "place": "Near a postcode or town",
                 "view": "Show", "day": "Day", "time": "Time", "attendance": "How",
                 "type": "Access", "region": "Region", "radius_km": "Distance",
                 "lat": "Your location", "lon": "Your location", "page": "Page"}
"""The meeting finder's labels (``near`` is one box for a postcode or a town)."""
FINDER_FIELDS = {"q": "q", "near": "near", "postcode": "near", "place": "near",
                 "view": "view", "day": "day", "time": "time", "attendance": "attendance",
                 "type": "type", "region": "region"}
"""Parameter -> the finder's field whose error sits beside it."""
INTEREST_LABELS = {"method": "How should they reach you?", "email": "Your email",
                   "phone": "Your phone number", "meeting_id": "Your meeting"}
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
        "meeting_id": args.get("meeting_id", ""), "meeting": args.get("meeting", "")[:200],
        "postcode": args.get("postcode", ""),
        "place": args.get("place", ""), "lat": args.get("lat", ""), "lon": args.get("lon", ""),
        "text": args.get("text", ""), "radius_km": args.get("radius_km", "15"),
        "interests": chosen, "ignore": [s for s in args.getlist("ignore") if s],
        "accessibility": [a for a in args.getlist("accessibility") if a],
        "page": args.get("page", "1"),
        **{k: args.get(k, "") for k in FILTER_FIELDS},
    }
    context: dict[str, Any] = {
        "form": form, "terms": TERMS, "radii": RADII, "choices": None, "chosen": None,
        "has_demo": finder.has_demo(ctx), "results": None, "error": None,
        "error_param": None, "access_choices": ACCESS_CHOICES, "commitments": COMMITMENTS,
        "searched": False,
    }
    status = 200
    wants = chosen or form["text"] or any(form[k] for k in FILTER_FIELDS)
    if form["meeting"].strip():
        try:
            picked, context["choices"] = finder.choose_meeting(ctx, form["meeting"])
        except KNOWN as exc:
            info = describe(exc, labels=SEARCH_LABELS)
            context["error"], context["error_param"], status = info.detail, "meeting", info.status
        else:
            form["meeting_id"] = str(picked) if picked is not None else ""
    try:  # the chosen meeting's name goes back in the field (a bad id: the search says so)
        chosen_id = params.record_id(form["meeting_id"], name="meeting_id")
        context["chosen"] = listings.meeting(ctx.store, chosen_id) if chosen_id else None
    except KNOWN:
        context["chosen"] = None
    if context["choices"] or context["error"]:
        context["searched"] = bool(context["error"])
    elif any(form[k] for k in ORIGIN_FIELDS):
        context["searched"] = True
        try:
            found = search_on_map(ctx, parse_search({
                **form, "interests": ",".join(chosen), "ignore": ",".join(form["ignore"]),
                "accessibility": ",".join(form["accessibility"])}))
        except KNOWN as exc:
            info = describe(exc, labels=SEARCH_LABELS)
            context["error"], status = info.detail, info.status
            # The message sits at its field when the page has one; else above the results.
            param = "meeting" if info.param == "meeting_id" else info.param
            context["error_param"] = param if param in ERROR_FIELDS else None
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
        context["error"], status = ("My meeting, Postcode or Town: say where from. Choose "
                                    "your meeting, or type a postcode or a town."), 400
        context["error_param"] = "meeting"
    return _no_store(make_response(render_template("peer/search.html", **context), status))


def _opportunity_page(opportunity_id: int, *, status: int = 200, **extra: Any
                      ) -> ResponseReturnValue:
    opp, assoc = listings.public_opportunity(get_store(), opportunity_id)
    m = build_place_map((opp["lat"], opp["lon"]), label=opp["title"],
                        approximate=opp["location_precision"] != "exact",
                        ) if opp["lat"] is not None else None
    page = render_template(
        "peer/opportunity.html", opp=opp, assoc=assoc, labels=listings.interest_labels(),
        map_html=_map_html(m) if m is not None else None, has_demo=opp["is_demo"],
        back=back_to_results(request.args.get("search")),
        meetings=listings.active_meetings(get_store()),
        days=interest_cases.retention_days(get_context()),
        share_url=url_for("peer.opportunity", opportunity_id=opportunity_id, _external=True),
        has_calendar=need_event(opp, today=clock().date(), url="-", host="-") is not None,
        form=extra.pop("form", {}), **extra)
    return _no_store(make_response(page, status))


@bp.get("/opportunities/<int:opportunity_id>")
def opportunity(opportunity_id: int) -> ResponseReturnValue:
    """One need: what, where, when, skills to learn, "I'm interested", how to get there."""
    return _opportunity_page(opportunity_id)


@bp.post("/opportunities/<int:opportunity_id>/interest")
def express_interest(opportunity_id: int) -> ResponseReturnValue:
    """A peer says they are interested (no account; rate-limited per address; CSRF)."""
    ctx = get_context()
    try:
        parsed = interest_cases.parse_interest(request.form)
    except KNOWN as exc:
        info = describe(exc, labels=INTEREST_LABELS)
        return _opportunity_page(opportunity_id, status=info.status, error=info.detail,
                                 error_param=info.param, form=request.form)
    sent = interest_cases.express_interest(
        ctx, opportunity_id, parsed, inbox_url=url_for("partner.interests", _external=True))
    page = render_template("peer/interest_sent.html", sent=sent,
                           opportunity_id=opportunity_id)
    return _no_store(make_response(page, 200))


def _ics(event: Event | None, name: str, *, nothing: str) -> ResponseReturnValue:
    if event is None:
        abort(404, description=nothing)
    response = make_response(to_ics([event], stamp=clock()))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


@bp.get("/opportunities/<int:opportunity_id>/calendar.ics")
def opportunity_ics(opportunity_id: int) -> ResponseReturnValue:
    """The need's days as an iCalendar file (RFC 5545)."""
    opp, _assoc = listings.public_opportunity(get_store(), opportunity_id)
    url = url_for("peer.opportunity", opportunity_id=opportunity_id, _external=True)
    event = need_event(opp, today=clock().date(), url=url, host=request.host)
    return _ics(event, f"need-{opportunity_id}",
                nothing="There is nothing to put in a calendar: no days or dates.")


@bp.get("/meetings/<int:meeting_id>/calendar.ics")
def meeting_calendar(meeting_id: int) -> ResponseReturnValue:
    """The meeting's calendar file lives at ``/meetings/<id>.ics``; this older address redirects."""
    return redirect(url_for("peer.meeting_ics", meeting_id=meeting_id), code=308)


@bp.get("/meetings")
def meetings() -> ResponseReturnValue:
    """The meeting finder (:mod:`service.usecases.finder`): search, filters, upcoming, map."""
    ctx = get_context()
    args = request.args
    context: dict[str, Any] = {"args": args, "weekdays": WEEKDAYS, "parts": PARTS_OF_DAY,
                               "views": finder.VIEWS, "feature_label": finder.feature_label,
                               "error": None, "error_field": None, "found": None,
                               "assets": map_assets(), "has_demo": False}
    status = 200
    try:
        query = finder.parse_finder(args)
        context["found"] = found = finder.find(ctx, query, now=clock())
    except KNOWN as exc:
        info = describe(exc, labels=FINDER_LABELS)
        context["error"], status = info.detail, info.status
        context["error_field"] = FINDER_FIELDS.get(info.param or "")
        context["regions"] = sorted({m["region"] for m in finder.meetings_of(ctx)
                                     if m.get("region")})
    else:
        context["has_demo"] = any(m["is_demo"] for m in found.meetings)
        context["regions"] = found.regions
        context["page_url"] = lambda page: url_for(
            "peer.meetings", **{**args.to_dict(), "page": page})
    return _no_store(make_response(render_template("peer/meetings.html", **context), status))


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int) -> ResponseReturnValue:
    """One meeting: when, where, how to join, directions, calendar file, share link."""
    m = listings.meeting(get_store(), meeting_id)
    pinned = finder.is_pinned(m)
    map_html = _map_html(build_meetings_map([m])) if pinned else None
    wait, in_progress = finder.next_start(m, clock())
    return render_template(
        "peer/meeting.html", m=m, map_html=map_html, has_demo=m["is_demo"],
        directions=directions(m) if pinned else None, in_progress=in_progress,
        next_at=finder.starts_at(clock(), wait) if wait is not None else None,
        share_url=url_for("peer.meeting", meeting_id=meeting_id, _external=True),
        ics_url=url_for("peer.meeting_ics", meeting_id=meeting_id))


@bp.get("/meetings/<int:meeting_id>.ics")
def meeting_ics(meeting_id: int) -> ResponseReturnValue:
    """The meeting as an iCalendar file (RFC 5545), weekly on its days."""
    m = listings.meeting(get_store(), meeting_id)
    event = meeting_event(m, now=clock(), host=request.host,
                          url=url_for("peer.meeting", meeting_id=meeting_id, _external=True))
    if event is None:
        msg = f"meeting {meeting_id} has no day or start time yet, so it cannot go in a calendar"
        raise BadParameterError(msg, param="meeting_id", value=meeting_id)
    return _ics(event, f"meeting-{meeting_id}", nothing="")


@bp.get("/organisations")
def organisations() -> ResponseReturnValue:
    """The peer organisations as a growth tree, with their meetings."""
    return render_template("index.html", **listings.overview(get_store()))


__all__ = ["bp"]
