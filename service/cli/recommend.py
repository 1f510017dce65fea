"""``commonground recommend``, ``commonground reach`` and ``commonground links-worth-making``.

Exit status as everywhere: 0 on success, 2 on bad usage (no origin or two, a value out of
range, an unknown postcode, place, meeting or record: the message names it), 1 on failure
(the store cannot be reached).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import Any

import click

from service.usecases import reach as reach_cases
from service.usecases.errors import KNOWN
from service.usecases.errors import describe
from service.usecases.search import parse_search
from service.usecases.search import recommend as recommend_case
from store import StoreUnavailableError

if TYPE_CHECKING:
    from collections.abc import Callable

_FLAGS = {"lat": "--lat", "lon": "--lon", "postcode": "--postcode", "place": "--place",
          "meeting_id": "--meeting", "origin": "--postcode/--place/--lat --lon/--meeting",
          "interests": "--interests", "text": "--text", "radius_km": "--radius-km",
          "limit": "--limit", "per_association": "--per-association",
          "association_id": "--association-id", "organisation_id": "--organisation-id",
          "days": "--days", "times": "--times", "opportunity_id": "--opportunity"}


def _call(fn: Callable[[], Any]) -> Any:
    """Run ``fn``; turn expected failures into click's exits (2 bad usage, 1 failure)."""
    try:
        return fn()
    except StoreUnavailableError as exc:
        raise click.ClickException(str(exc)) from None
    except KNOWN as exc:
        param = describe(exc).param
        raise click.BadParameter(str(exc), param_hint=_FLAGS.get(param or "", param)) from None


def _emit(data: Any, *, as_json: bool, lines: list[str]) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else "\n".join(lines))


def _recommend_lines(body: dict[str, Any]) -> list[str]:
    origin, query = body["origin"], body["query"]
    used = ", ".join(query["interests_used"]) or "anything"
    lines = [f"Within {query['radius_km']:g} km of {origin['label']}, for {used}; best first:"]
    understood = body.get("understood") or []
    if understood:
        lines.insert(0, "Understood: " + "; ".join(
            f"{u['label'].lower()}, from '{u['from']}'" for u in understood))
    if not body["results"] and body.get("associations_near"):
        lines.append(f"  no needs listed near {origin['label']} yet: "
                     f"{body['associations_near']} associations are here; partners list needs "
                     "at /partner/ or with `ingest opportunities`")
    elif not body["results"]:
        lines.append("  nothing open within reach: try a larger --radius-km")
    for n, r in enumerate(body["results"], 1):
        lines.append(f"{n:>3}. {r['title']} - {r['association']} ({r['category']})"
                     f"  score {r['score']:.3f}")
        lines.append("     " + "; ".join(r["reasons"]))
    if body.get("remote"):
        lines.append("Remote or online:")
        lines += [f"  - {r['title']} - {r['association']}  score {r['score']:.3f}"
                  for r in body["remote"]]
    return lines


def register(main: click.Group, context: Any) -> None:
    """Add the matching commands to the ``commonground`` group."""

    @main.command("recommend")
    @click.option("--postcode", help="UK postcode, district (M15) or area (M).")
    @click.option("--place", help="Town or city name.")
    @click.option("--lat", type=float, help="Latitude (with --lon).")
    @click.option("--lon", type=float, help="Longitude (with --lat).")
    @click.option("--meeting", "meeting_id", type=int, help="Meeting id: its place and group.")
    @click.option("--interests", help='Comma-separated interests, e.g. "gardening,music".')
    @click.option("--text", help='Free text, e.g. "outdoors and fixing bikes".')
    @click.option("--radius-km", default=15.0, show_default=True, type=float,
                  help="Search radius in km (0.1 to 100).")
    @click.option("--limit", default=10, show_default=True, type=int, help="Results, 1-50.")
    @click.option("--days", help="Days you are free: sat,sun or weekdays (0 = Sunday).")
    @click.option("--times", help="Times you are free: morning, evening or 18:00-21:00.")
    @click.option("--per-association", default=2, show_default=True, type=int,
                  help="At most this many results per association (1-10).")
    @click.option("--association-id", type=int, help="Only this association's listings.")
    @click.option("--organisation-id", type=int,
                  help="Your peer organisation (a --meeting sets it).")
    @click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
    @click.pass_context
    def recommend(ctx: click.Context, postcode: str | None, place: str | None,
                  lat: float | None, lon: float | None, meeting_id: int | None,
                  interests: str | None, text: str | None, radius_km: float, limit: int,
                  days: str | None, times: str | None, per_association: int,
                  association_id: int | None, organisation_id: int | None,
                  as_json: bool) -> None:
        """Volunteering opportunities near a peer, by interest and distance, with reasons.

        Give exactly one origin: --postcode, --place, --lat with --lon, or --meeting.
        Nothing about the search is logged or kept.
        """
        values = {"lat": lat, "lon": lon, "postcode": postcode, "place": place,
                  "meeting_id": meeting_id, "interests": interests, "text": text,
                  "radius_km": radius_km, "limit": limit, "per_association": per_association,
                  "association_id": association_id, "organisation_id": organisation_id,
                  "days": days, "times": times}
        request = _call(lambda: parse_search(values))
        search_ctx = context.context(ctx)

        def run() -> dict[str, Any]:
            body = recommend_case(search_ctx, request).to_dict(full=False)
            if not body["results"]:  # say whether associations are here, only without needs
                origin = (body["origin"]["lat"], body["origin"]["lon"])
                body["associations_near"] = len(search_ctx.store.spatial.within(
                    "associations", origin, body["query"]["radius_km"])[0])
            return body

        body = _call(run)
        _emit(body, as_json=as_json, lines=_recommend_lines(body))

    @main.command("reach")
    @click.option("--opportunity", "opportunity_id", type=int, help="Opportunity id.")
    @click.option("--association", "association_id", type=int, help="Association id.")
    @click.option("--radius-km", default=15.0, show_default=True, type=float,
                  help="How far a meeting may be, in km (0.1 to 100).")
    @click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
    @click.pass_context
    def reach(ctx: click.Context, opportunity_id: int | None, association_id: int | None,
              radius_km: float, as_json: bool) -> None:
        """The meetings within reach of an opportunity or association, and which it fits."""
        if (opportunity_id is None) == (association_id is None):
            msg = "give exactly one of --opportunity ID or --association ID"
            raise click.UsageError(msg)
        radius = _call(lambda: reach_cases.reach_radius(radius_km))
        reach_ctx = context.context(ctx)
        if opportunity_id is not None:
            body = _call(lambda: reach_cases.reach_of_opportunity(reach_ctx, opportunity_id,
                                                                  radius_km=radius))
            what = f"{body['opportunity']['title']} ({body['opportunity']['association']})"
        else:
            body = _call(lambda: reach_cases.reach_of_association(reach_ctx, association_id,
                                                                  radius_km=radius))
            what = body["association"]["association"]
        lines = [f"{what}: {body['meetings_in_reach']} active meetings within "
                 f"{radius_km:g} km; it fits what {body['meetings_it_fits']} of them already "
                 f"do (interests: {', '.join(body['interests']) or 'none tagged'})"]
        for m in body["meetings"]:
            fits = f"fits: {', '.join(m['fits'])}" if m["fits"] else "no shared interests yet"
            linked = "; already linked" if m["linked"] else ""
            lines.append(f"  {m['distance_km']:6.1f} km  {m['name']} ({m['organisation']})"
                         f"  {fits}{linked}")
        _emit(body, as_json=as_json, lines=lines)

    @main.command("links-worth-making")
    @click.argument("organisation_id", type=int)
    @click.option("--radius-km", default=15.0, show_default=True, type=float,
                  help="How far from the group's meetings, in km (0.1 to 100).")
    @click.option("--limit", default=10, show_default=True, type=int, help="Results, 1-50.")
    @click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
    @click.pass_context
    def links_worth_making_cmd(ctx: click.Context, organisation_id: int, radius_km: float,
                               limit: int, as_json: bool) -> None:
        """Associations near ORGANISATION_ID's meetings with no mutual-interest link yet."""
        radius = _call(lambda: reach_cases.reach_radius(radius_km))
        n = _call(lambda: reach_cases.links_limit(limit))
        links_ctx = context.context(ctx)
        body = _call(lambda: reach_cases.links(links_ctx, organisation_id, radius_km=radius,
                                               limit=n))
        lines = [f"Links worth making for {body['organisation']['name']} "
                 f"(within {radius_km:g} km; {body['already_linked']} links already):"]
        for n, r in enumerate(body["results"], 1):
            lines.append(f"{n:>3}. {r['association']} ({r['category']})  score {r['score']:.3f}")
            lines.append("     " + "; ".join(r["reasons"]))
        _emit(body, as_json=as_json, lines=lines)
