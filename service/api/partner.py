"""Partner JSON API (``/api/partner``): an association manages its needs with a token.

Every call sends ``Authorization: Bearer <token>`` (made by ``commonground create-token`` or
on the partner page ``/partner/token``). The session cookie is never read here, so these
calls need no CSRF token. The token's user must be an active ``association`` user whose
association is not suspended; records of other associations answer 403, unknown ids 404.

``GET /api/partner/opportunities[?status=]``
    ``{"association": {"id", "name", "status"}, "results": [opportunity, ...]}``.
``POST /api/partner/opportunities``
    A JSON object of opportunity fields; 201 with the new opportunity and ``Location``.
``GET /api/partner/opportunities/<id>``
    The opportunity, with ``meetings_within_km`` (active meetings within 5, 10, 25 km).
``PATCH /api/partner/opportunities/<id>``
    The fields to change; 200 with the opportunity.

``GET /api/partner/outcomes[?opportunity_id=]``
    ``{"association": {...}, "results": [outcome, ...]}``: the outcome records about the
    association (its own, the peer organisations', the inbox's), newest period first.
``POST /api/partner/outcomes``
    A record: ``period`` (``YYYY-MM`` or ``YYYY-MM-DD``), ``opportunity_id`` and/or
    ``organisation_id`` (a linked organisation), ``peers_taking_part``, ``hours``,
    ``went_on_to_volunteer``, ``became_licensed``, ``skills`` (slugs of
    :data:`matching.skills.SKILLS`); 201 with it. No field describes a peer.
``GET``/``PATCH``/``DELETE /api/partner/outcomes/<id>``
    One record; change or delete only the association's own entries (403 otherwise).

Opportunity fields: ``title`` (required), ``description``, ``interests`` (taxonomy slugs),
``skills``, ``weekdays`` (0 = Sunday ... 6), ``start_time``/``end_time`` (``"HH:MM"``),
``flexible``, ``commitment``, ``accessibility``, ``capacity``, ``places_taken``, ``status``
(open, paused, filled, closed), ``starts_on``/``ends_on`` (``"YYYY-MM-DD"``), and the place:
``lat`` + ``lon``, or ``postcode`` (geocoded), else the association's own position. Errors
are ``{"error", "detail", "status"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import g
from flask import jsonify
from flask import request
from flask import url_for

from service.context import get_context
from service.context import get_store
from service.usecases import outcomes as outcome_cases
from service.usecases import params
from service.usecases import partner as cases
from service.usecases.errors import BadParameterError
from service.usecases.errors import PayloadTooLargeError
from service.usecases.errors import UnsupportedMediaTypeError
from service.web.auth import bearer_token
from store.outcomes import Recorder

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("api_partner", __name__, url_prefix="/api/partner")
MAX_BODY = 64 * 1024


@bp.before_request
def _token_only() -> None:
    g.api_user, g.association = cases.association_of_token(get_store(), bearer_token())


def _body() -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY:
        msg = f"the body is larger than {MAX_BODY} bytes"
        raise PayloadTooLargeError(msg)
    if not request.is_json:
        msg = "send a JSON object with Content-Type: application/json"
        raise UnsupportedMediaTypeError(msg)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        msg = "the body is not a JSON object"
        raise BadParameterError(msg)
    return data


@bp.get("/opportunities")
def list_mine() -> ResponseReturnValue:
    """The association's opportunities, optionally of one ``status``."""
    status = cases.status_filter(request.args.get("status"))
    rows = cases.list_needs(get_store(), g.association["id"], status)
    a = g.association
    return jsonify({"association": {"id": a["id"], "name": a["name"], "status": a["status"]},
                    "results": [cases.opportunity_json(r) for r in rows]})


@bp.post("/opportunities")
def create() -> ResponseReturnValue:
    """Add an opportunity; 201 with it and its ``Location``."""
    opp = cases.create_need(get_context(), g.association["id"], _body())
    location = url_for("api_partner.read", opportunity_id=opp["id"])
    return jsonify(cases.opportunity_json(opp)), 201, {"Location": location}


@bp.get("/opportunities/<int:opportunity_id>")
def read(opportunity_id: int) -> ResponseReturnValue:
    """One of the association's opportunities, with meetings within reach."""
    store = get_store()
    opp = cases.owned(store, g.association["id"], opportunity_id)
    counts = cases.reach_counts(store, (opp["lat"], opp["lon"]))
    body = cases.opportunity_json(opp)
    body["meetings_within_km"] = (
        None if counts is None else {f"{km:g}": n for km, n in counts.items()})
    return jsonify(body)


@bp.patch("/opportunities/<int:opportunity_id>")
def change(opportunity_id: int) -> ResponseReturnValue:
    """Change the given fields of one of the association's opportunities."""
    ctx = get_context()
    cases.owned(ctx.store, g.association["id"], opportunity_id)
    saved = cases.change_need(ctx, g.association["id"], opportunity_id, _body())
    return jsonify(cases.opportunity_json(saved))


def _recorder() -> Recorder:
    return Recorder("association", association_id=int(g.association["id"]))


@bp.get("/outcomes")
def outcomes() -> ResponseReturnValue:
    """The outcome records about the association, optionally of one need."""
    params.check_known(request.args, ("opportunity_id",))
    need = params.record_id(request.args.get("opportunity_id"), name="opportunity_id")
    if need is not None:
        cases.owned(get_store(), g.association["id"], need)
    rows = outcome_cases.history(get_store(), _recorder(), opportunity_id=need)
    a = g.association
    return jsonify({"association": {"id": a["id"], "name": a["name"], "status": a["status"]},
                    "results": [outcome_cases.outcome_json(r) for r in rows]})


@bp.post("/outcomes")
def add_outcome() -> ResponseReturnValue:
    """Record outcomes; 201 with the record and its ``Location``."""
    values = outcome_cases.parse_outcome(_body())
    row = outcome_cases.record(get_store(), _recorder(), g.association["id"], values,
                               user_id=g.api_user.id)
    location = url_for("api_partner.outcome", outcome_id=row["id"])
    return jsonify(outcome_cases.outcome_json(row)), 201, {"Location": location}


@bp.get("/outcomes/<int:outcome_id>")
def outcome(outcome_id: int) -> ResponseReturnValue:
    """One record about the association."""
    rows = [r for r in outcome_cases.history(get_store(), _recorder()) if r["id"] == outcome_id]
    if not rows:
        outcome_cases.own(get_store(), _recorder(), outcome_id)  # 404 or 403
    return jsonify(outcome_cases.outcome_json(rows[0]))


@bp.patch("/outcomes/<int:outcome_id>")
def change_outcome(outcome_id: int) -> ResponseReturnValue:
    """Change the given fields of one of the association's own records."""
    values = outcome_cases.parse_outcome(_body(), partial=True)
    row = outcome_cases.change(get_store(), _recorder(), outcome_id, values)
    return jsonify(outcome_cases.outcome_json(row))


@bp.delete("/outcomes/<int:outcome_id>")
def delete_outcome(outcome_id: int) -> ResponseReturnValue:
    """Delete one of the association's own records; 204."""
    outcome_cases.remove(get_store(), _recorder(), outcome_id)
    return "", 204


__all__ = ["bp"]
