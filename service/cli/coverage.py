"""``commonground coverage``, ``commonground suggest-sites`` and ``commonground map ...``.

The same use cases as the API and the map pages (:mod:`service.usecases.coverage`,
:mod:`service.usecases.search`): ``--json`` prints exactly what the API answers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

from maps import render_map
from matching.coverage import DEFAULT_RADIUS_KM
from matching.query import MAX_LIMIT
from service.usecases import coverage as cases
from service.usecases.errors import KNOWN
from service.usecases.errors import BadParameterError
from service.usecases.errors import describe
from service.usecases.search import DEFAULT_MAP_LIMIT
from service.usecases.search import parse_search
from service.usecases.search import search_on_map
from store import StoreUnavailableError

if TYPE_CHECKING:
    import pandas as pd

    from matching.coverage import CoverageResult
    from matching.sites import SiteSuggestion

MAP_KINDS = ("coverage", "opportunities", "growth")
NOT_FOUND = 404


def _radius(_ctx: click.Context, param: click.Parameter, value: Any) -> float | None:
    if value is None:
        return None
    try:
        return cases.coverage_radius(value)
    except BadParameterError as exc:
        raise click.BadParameter(str(exc), param=param) from None


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100.0 * value:.1f} %"


def _km(value: float) -> str:
    return "no meeting" if not math.isfinite(value) else f"{value:.1f} km"


def coverage_text(result: CoverageResult, *, gaps: int) -> str:
    """The human summary of ``commonground coverage``."""
    lines = [f"Coverage on {result.on} within {result.radius_km:g} km of the "
             f"{result.meetings:,} meetings that serve people: "
             f"{result.covered_population:,} of {result.population:,} people "
             f"({_share(result.covered_share)})",
             f"People: {result.population_source}", ""]
    if result.by_region:
        lines.append(f"{'region':<30}{'people':>12}{'covered':>12}{'share':>9}{'meetings':>10}")
        lines += [f"{r['name'][:29]:<30}{r['population']:>12,}{r['covered_population']:>12,}"
                  f"{_share(r['covered_share']):>9}{r['meetings']:>10}" for r in result.by_region]
        lines.append("")
    if result.by_hotspot:
        lines.append(f"{'hotspot tree':<40}{'groups':>7}{'people':>12}{'covered':>12}"
                     f"{'share':>9}")
        lines += [f"{r['name'][:39]:<40}{r['organisations']:>7}{r['population']:>12,}"
                  f"{r['covered_population']:>12,}{_share(r['covered_share']):>9}"
                  for r in result.by_hotspot]
        lines.append("")
    table = result.gaps(gaps)
    if len(table):
        lines.append(f"Largest uncovered places (nearest meeting farther than "
                     f"{result.radius_km:g} km):")
        lines += [f"  {r.name[:34]:<35}{r.population:>11,} people   nearest meeting "
                  f"{_km(r.distance_km)}" for r in table.itertuples(index=False)]
    return "\n".join(lines).rstrip()


def sites_text(suggestion: SiteSuggestion) -> str:
    """The human summary of ``commonground suggest-sites``."""
    if suggestion.method == "mclp":
        gap = suggestion.gap or 0.0
        how = (f"optimal (exact MCLP, {suggestion.mclp_seconds or 0:.1f} s; greedy "
               f"{'equal' if gap == 0 else f'{100 * gap:.2f} % short'})")
    else:
        how = f"greedy ({suggestion.note})"
    lines = [f"{len(suggestion.sites)} sites for new groups, each reaching "
             f"{suggestion.radius_km:g} km; chosen {how}:"]
    for i, s in enumerate(suggestion.sites, start=1):
        dev = s.devolve_from
        if dev is None:
            by = "no approved organisation to devolve from"
        elif dev.organisation_id is None:
            by = dev.reasons
        else:
            by = f"devolve from {dev.name} ({dev.reasons})"
        lines.append(f"{i:>3}. {s.name[:30]:<31}+{s.added_population:>10,} people   "
                     f"at {s.at}")
        lines.append(f"       reaches {', '.join(f'{n} {p:,}' for n, p in s.places)}")
        lines.append(f"       {by}")
    lines.append(f"Together they newly cover {suggestion.added_population:,} of the "
                 f"{suggestion.uncovered_population:,} people not yet covered.")
    return "\n".join(lines)


def _read_demand(path: Path | None, area: str) -> pd.DataFrame | None:
    if path is None:
        return None
    try:
        return cases.read_demand(path, area)
    except BadParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--demand") from None


def _latlon(_ctx: click.Context, param: click.Parameter, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lat, lon = (float(v) for v in str(value).split(","))
    except ValueError:
        msg = f"must be LAT,LON in WGS84 degrees, such as 53.48,-2.24, got {value!r}"
        raise click.BadParameter(msg, param=param) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):  # noqa: PLR2004
        msg = f"must be LAT,LON in WGS84 degrees (latitude first), got {value!r}"
        raise click.BadParameter(msg, param=param)
    return lat, lon


def _on(_ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is None:
        return None
    try:
        return cases.on_date(value)
    except BadParameterError as exc:
        raise click.BadParameter(str(exc), param=param) from None


def what_if_text(answer: dict[str, Any]) -> str:
    """The human answer of ``commonground coverage --add LAT,LON``."""
    lines = [f"A new group at {answer['lat']:.5f}, {answer['lon']:.5f} would add "
             f"{answer['added_population']:,} people within {answer['radius_km']:g} km:"]
    lines += [f"  {p['name'][:40]:<41}{p['population']:>11,}" for p in answer["places"]]
    return "\n".join(lines)


def register(main: click.Group, context: Any) -> None:
    """Add the coverage commands to the ``commonground`` group."""
    radius_option = click.option(
        "--radius-km", type=float, default=None, callback=_radius,
        help=f"Reach of a meeting in km (default {DEFAULT_RADIUS_KM:g}).")
    demand_option = click.option(
        "--demand", "demand_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="CSV of demand points (lat/lon or BNG x/y, population, name) for this run "
             "instead of the demand in use (see `ingest demand` to keep finer demand).")
    on_option = click.option(
        "--on", "on", default=None, metavar="YYYY-MM-DD", callback=_on,
        help="Count the meetings that serve people on this date (licences valid then); "
             "default today.")

    def result_for(ctx: click.Context, radius_km: float | None,
                   demand_path: Path | None, on: Any = None) -> CoverageResult:
        settings = context.context(ctx).settings
        store = context.store(ctx)
        area = settings["SERVICE_AREA"]
        try:
            return cases.coverage_result(store, radius_km=radius_km or DEFAULT_RADIUS_KM,
                                         area=area, demand=_read_demand(demand_path, area),
                                         on=on, data_dir=settings["DATA_DIR"])
        except StoreUnavailableError as exc:
            raise click.ClickException(str(exc)) from None
        except KNOWN as exc:
            raise click.UsageError(str(exc)) from None

    @main.command("coverage")
    @radius_option
    @demand_option
    @on_option
    @click.option("--gaps", type=click.IntRange(0, 10_000), default=20, show_default=True,
                  help="How many uncovered places to list.")
    @click.option("--add", "add", callback=_latlon, metavar="LAT,LON",
                  help="What-if: the people a new group here would add, and where they live.")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.pass_context
    def coverage(ctx: click.Context, radius_km: float | None, demand_path: Path | None,
                 on: Any, gaps: int, add: tuple[float, float] | None, as_json: bool) -> None:
        """How many people live within reach of a meeting that serves them, and who does not.

        Overall, per region and per hotspot tree, with the largest uncovered places. Counts
        active in-person or hybrid meetings of approved organisations with a volunteer whose
        licence is valid on --on (default today).
        """
        result = result_for(ctx, radius_km, demand_path, on)
        if add is not None:
            answer = cases.what_if(result, *add)
            click.echo(json.dumps(answer, indent=2) if as_json else what_if_text(answer))
            return
        if as_json:
            click.echo(json.dumps(result.to_dict(gaps=gaps), indent=2))
        else:
            click.echo(coverage_text(result, gaps=gaps))

    @main.command("suggest-sites")
    @radius_option
    @demand_option
    @on_option
    @click.option("--count", type=click.IntRange(1, 50), default=5, show_default=True,
                  help="How many sites.")
    @click.option("--method", type=click.Choice(("auto", "mclp", "greedy")), default="auto",
                  show_default=True,
                  help="auto: exact MCLP when it finishes within 10 s, else greedy.")
    @click.option("--json", "as_json", is_flag=True, help="Print the sites as JSON.")
    @click.pass_context
    def suggest(ctx: click.Context, radius_km: float | None, demand_path: Path | None,
                on: Any, count: int, method: str, as_json: bool) -> None:
        """Where new groups would newly cover the most people, and who is ready to devolve them.

        Each site lists the places it newly reaches; the organisation to devolve it is the
        best ready one within COMMONGROUND_DEVOLVE_MAX_KM (40 km), with its reasons.
        """
        result = result_for(ctx, radius_km, demand_path, on)
        settings = context.context(ctx).settings
        suggestion = cases.site_suggestion(context.store(ctx), result, count=count,
                                           method=method,
                                           devolve_max_km=settings["DEVOLVE_MAX_KM"])
        if as_json:
            click.echo(json.dumps(suggestion.to_dict(), indent=2))
        else:
            click.echo(sites_text(suggestion))

    @main.command("map")
    @click.argument("kind", type=click.Choice(MAP_KINDS))
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                  required=True, help="HTML file to write.")
    @radius_option
    @click.option("--count", type=click.IntRange(0, 50), default=5, show_default=True,
                  help="coverage: suggested sites to draw (0: none).")
    @click.option("--hex", "hex_by", type=click.Choice(("covered_share", "distance_km")),
                  default="covered_share", show_default=True,
                  help="coverage: colour hexagons by covered share or by distance.")
    @click.option("--postcode", help="opportunities: search from this postcode.")
    @click.option("--place", help="opportunities: search from this town.")
    @click.option("--lat", type=float, help="opportunities: search from this latitude...")
    @click.option("--lon", type=float, help="... and longitude.")
    @click.option("--meeting", "meeting_id", type=int, help="opportunities: from a meeting.")
    @click.option("--interests", help="opportunities: comma-separated interests.")
    @click.option("--text", "text_query", help="opportunities: free text.")
    @click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=DEFAULT_MAP_LIMIT,
                  show_default=True,
                  help="opportunities: most results drawn.")
    @click.pass_context
    def map_command(ctx: click.Context, kind: str, output: Path, radius_km: float | None,
                    count: int, hex_by: str, postcode: str | None, place: str | None,
                    lat: float | None, lon: float | None, meeting_id: int | None,
                    interests: str | None, text_query: str | None, limit: int) -> None:
        """Write the coverage, opportunities or growth map to an HTML file."""
        _write_map(ctx, context, kind, output, radius_km=radius_km, count=count,
                   hex_by=hex_by, origin={"postcode": postcode, "place": place, "lat": lat,
                                          "lon": lon, "meeting_id": meeting_id},
                   interests=interests, text_query=text_query, limit=limit)


def _write_map(ctx: click.Context, context: Any, kind: str, output: Path, *,
               radius_km: float | None, count: int, hex_by: str, origin: dict[str, Any],
               interests: str | None, text_query: str | None, limit: int) -> None:
    settings = context.context(ctx).settings
    store = context.store(ctx)
    try:
        if kind == "coverage":
            m = cases.coverage_map(store, radius_km=radius_km or DEFAULT_RADIUS_KM,
                                   area=settings["SERVICE_AREA"], count=count, hex_by=hex_by,
                                   data_dir=settings["DATA_DIR"],
                                   devolve_max_km=settings["DEVOLVE_MAX_KM"])
        elif kind == "growth":
            m = cases.growth_map(store)
        else:
            if all(v is None for v in origin.values()):
                msg = ("map opportunities needs an origin: --postcode, --place, "
                       "--lat and --lon, or --meeting")
                raise click.UsageError(msg)
            request = parse_search({**origin, "interests": interests, "text": text_query,
                                    "radius_km": radius_km, "limit": limit})
            m = search_on_map(context.context(ctx), request).map
    except StoreUnavailableError as exc:
        raise click.ClickException(str(exc)) from None
    except KNOWN as exc:
        if describe(exc).status == NOT_FOUND:
            raise click.ClickException(str(exc)) from None
        raise click.UsageError(str(exc)) from None
    try:
        # Leaflet written into the file: it opens offline and asks no CDN for anything
        output.write_text(render_map(m), encoding="utf-8")
    except OSError as exc:
        msg = f"cannot write {output}: {exc}"
        raise click.ClickException(msg) from None
    click.echo(f"{kind} map written to {output} ({output.stat().st_size:,} bytes)")


__all__ = ["coverage_text", "register", "sites_text", "what_if_text"]
