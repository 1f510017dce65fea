"""The hotspot dashboard (``/hotspots``) for hotspot leads and admins, and its CSV downloads.

A hotspot lead sees the organisations they are responsible for: their own organisation and
every organisation devolved from it (:func:`store.hotspots.organisation_scope`); an admin
sees all. The page shows, for the ``radius_km`` a meeting reaches (default 10 km):

* coverage per region and per hotspot tree (:func:`matching.coverage.compute_coverage` over
  the GeoNames towns, wired as :mod:`service.usecases.coverage` wires it) and the coverage map;
* the largest uncovered towns of their territory and sites for new groups, each with the
  approved organisation of theirs to devolve it (:func:`matching.sites.suggest_sites`,
  greedy, so that the page stays quick);
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

The page answers from cached or cheap parts (:mod:`service.usecases.dashboard`, ``wait=False``):
the two maps are sandboxed frames of their own (``/hotspots/maps/coverage`` and
``/hotspots/maps/growth``, rendered once per data change, scope and radius, served with each
response's nonce), and on a cold cache the exact site solver and "links worth making" run in
the background while the page shows greedy's sites and says what is still being worked out.
The CSV downloads wait for the final answers.
"""


from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import render_template
from flask import request
from flask_login import current_user

from service.context import get_context
from service.usecases.dashboard import EXPIRY_WARNING_DAYS
from service.usecases.dashboard import MAP_KINDS
from service.usecases.dashboard import Dashboard
from service.usecases.dashboard import parse_dashboard
from service.usecases.dashboard import scope_for
from service.usecases.errors import BadParameterError
from service.usecases.errors import describe
from service.usecases.impact import IMPACT_BY
from service.usecases.impact import impact_for
from service.usecases.impact import parse_impact_args
from service.usecases.impact import parse_impact_by
from service.usecases.params import MAX_RADIUS_KM
from service.usecases.params import MIN_RADIUS_KM
from service.usecases.tables import TABLES
from service.usecases.tables import Table
from service.web.assets import NONCE_SLOT
from service.web.assets import map_document
from service.web.assets import with_nonce
from service.web.auth import enforce_role
from service.web.errors import render_error

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("hotspots", __name__)
bp.before_request(lambda: enforce_role("hotspot_lead", "admin"))


def _dashboard(*, wait: bool = True) -> Dashboard:
    radius = parse_dashboard(request.args)
    ctx = get_context()
    return Dashboard(ctx.store, scope_for(ctx.store, current_user), radius_km=radius,
                     area=ctx.service_area, today=dt.date.today(), context=ctx, wait=wait)


@bp.after_request
def _no_store(response: Response) -> Response:
    # Volunteers' names and licences: never kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


FORM_LABELS = {"radius_km": "Reach of a meeting (km)", "impact_by": "Show impact by"}
"""The dashboard form's labels, which its errors name."""


@bp.get("/hotspots")
def dashboard() -> ResponseReturnValue:
    """Coverage, gaps and sites, growth, links worth making and volunteers, for one user."""
    try:
        board = _dashboard(wait=False)
        by = parse_impact_by(request.args.get("impact_by"))
    except BadParameterError as exc:  # the page's form words it by the field's label
        return render_error(describe(exc, labels=FORM_LABELS))
    scope = board.scope
    context: dict[str, Any] = {
        "impact_by": by, "impact_choices": IMPACT_BY,
        "scope": scope, "radius_km": board.radius_km, "min_radius": MIN_RADIUS_KM,
        "max_radius": MAX_RADIUS_KM, "warning_days": EXPIRY_WARNING_DAYS,
        "has_demo": any(o["is_demo"] for o in scope.organisations),
        "root": scope.organisations[0] if scope.organisations and not scope.everything
        else None,
    }
    if scope.organisations:
        tables = {name: board.table(name) for name in TABLES}
        volunteers = tables["volunteers"].rows
        context.update(
            tables=tables, headline=board.headline(), suggestion=board.suggestion,
            computing=board.computing,
            counts={s: sum(1 for v in volunteers if v["status"] == s)
                    for s in ("valid", "expiring", "lapsed", "unknown")},
            impact=impact_for(ctx_store(), scope, board.trees, by=by),
        )
    return render_template("hotspots/dashboard.html", **context)


@bp.get("/hotspots/maps/<any(" + ", ".join(f'"{k}"' for k in MAP_KINDS) + "):kind>")
def map_frame(kind: str) -> ResponseReturnValue:
    """The dashboard's coverage or growth map, the document of a sandboxed frame."""
    board = _dashboard(wait=False)
    if not board.scope.organisations:
        return Response("", mimetype="text/html")
    document = board.map_document(kind, functools.partial(map_document, nonce=NONCE_SLOT),
                                  variant=current_app.config.get("MAP_TILES"))
    return Response(with_nonce(document), mimetype="text/html")


@bp.get("/hotspots/impact.csv")
def impact_csv() -> ResponseReturnValue:
    """The impact figures (per tree and per organisation, over time) as a CSV for people."""
    by = parse_impact_args(request.args)
    store = ctx_store()
    scope = scope_for(store, current_user)
    board = Dashboard(store, scope, radius_km=10.0, area=get_context().service_area,
                      today=dt.date.today(), context=get_context())
    impact = impact_for(store, scope, board.trees if scope.organisations else [], by=by)
    response = Response(impact.to_csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="hotspots-impact-by-{by}.csv"')
    return response


def ctx_store() -> Any:
    """The app's store."""
    return get_context().store


@bp.get("/hotspots/<any(" + ", ".join(f'"{n}"' for n in TABLES) + "):table>.csv")
def table_csv(table: str) -> ResponseReturnValue:
    """One table of the dashboard as CSV (the same rows as the page)."""
    board = _dashboard()
    body = board.table(table).to_csv() if board.scope.organisations else \
        Table(table, *TABLES[table]).to_csv()
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="hotspots-{table}-{board.radius_km:g}km.csv"')
    return response


__all__ = ["bp", "dashboard", "impact_csv", "map_frame", "table_csv"]
