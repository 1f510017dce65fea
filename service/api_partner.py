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

Opportunity fields: ``title`` (required), ``description``, ``interests`` (taxonomy slugs),
``skills``, ``weekdays`` (0 = Sunday ... 6), ``start_time``/``end_time`` (``"HH:MM"``),
``flexible``, ``commitment``, ``accessibility``, ``capacity``, ``places_taken``, ``status``
(open, paused, filled, closed), ``starts_on``/``ends_on`` (``"YYYY-MM-DD"``), and the place:
``lat`` + ``lon``, or ``postcode`` (geocoded), else the association's own position. Errors
are ``{"error", "detail", "status"}``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from flask import url_for

from service.auth import bearer_token
from service.auth import user_for_token
from service.partner import locate_postcode
from service.partner import reach_counts
from store.errors import NotFoundError
from store.models import OPPORTUNITY_STATUSES
from store.partner import EDITABLE
from store.partner import ForbiddenError
from store.partner import OpportunityError
from store.partner import association_summary
from store.partner import create_opportunity
from store.partner import get_opportunity
from store.partner import list_opportunities
from store.partner import update_opportunity

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from store import Store

bp = Blueprint("api_partner", __name__, url_prefix="/api/partner")
MAX_BODY = 64 * 1024


def _store() -> Store:
    from service import get_store  # noqa: PLC0415 - avoids an import cycle with create_app

    return get_store(current_app)


def _fail(status: int, detail: str) -> ResponseReturnValue:
    from service.views import error_body  # noqa: PLC0415

    names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
             413: "Payload Too Large", 415: "Unsupported Media Type"}
    headers = {"WWW-Authenticate": 'Bearer realm="commonground"'} if status == 401 else {}  # noqa: PLR2004
    return jsonify(error_body(status, names.get(status, "Error"), detail)), status, headers


@bp.before_request
def _token_only() -> ResponseReturnValue | None:
    token = bearer_token()
    if token is None:
        return _fail(401, "send Authorization: Bearer <token>; create a token with "
                          "`commonground create-token --email ...` or on /partner/token")
    user = user_for_token(_store(), token)
    if user is None:
        return _fail(401, "the token is not valid: it may have been revoked or replaced")
    if user.role != "association" or user.association_id is None:
        return _fail(403, f"this API is for association accounts; the token belongs to a "
                          f"{user.role} account")
    try:
        association = association_summary(_store(), user.association_id)
    except NotFoundError:
        return _fail(403, "the token's association no longer exists")
    if association["status"] == "suspended":
        return _fail(403, f"association {association['id']} is suspended")
    g.api_user = user
    g.association = association
    return None


def opportunity_json(opp: dict[str, Any]) -> dict[str, Any]:
    """An opportunity with JSON-ready values: times ``HH:MM``, dates and datetimes ISO 8601."""
    out: dict[str, Any] = {}
    for key, value in opp.items():
        if isinstance(value, dt.time):
            out[key] = value.strftime("%H:%M")
        elif isinstance(value, (dt.date, dt.datetime)):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _body() -> dict[str, Any] | ResponseReturnValue:
    if (request.content_length or 0) > MAX_BODY:
        return _fail(413, f"the body is larger than {MAX_BODY} bytes")
    if not request.is_json:
        return _fail(415, "send a JSON object with Content-Type: application/json")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _fail(400, "the body is not a JSON object")
    return data


def _locate(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a postcode turned into a position when no lat/lon is given."""
    values = dict(data)
    if values.get("lat") is None and values.get("lon") is None:
        values.pop("lat", None)
        values.pop("lon", None)
        if values.get("postcode"):
            try:
                values.update(locate_postcode(str(values["postcode"])))
            except ValueError as exc:
                raise OpportunityError({"postcode": str(exc)}) from None
    elif "location_precision" not in values:
        values["location_precision"] = "exact"
    return values


def _problems(exc: OpportunityError) -> ResponseReturnValue:
    return _fail(400, "; ".join(f"{k}: {v}" for k, v in exc.problems.items()))


def _owned(opportunity_id: int) -> dict[str, Any] | ResponseReturnValue:
    try:
        return get_opportunity(_store(), g.association["id"], opportunity_id)
    except ForbiddenError:
        return _fail(403, f"opportunity {opportunity_id} belongs to another association")
    except NotFoundError:
        return _fail(404, f"opportunity {opportunity_id} does not exist")


@bp.get("/opportunities")
def list_mine() -> ResponseReturnValue:
    """The association's opportunities, optionally of one ``status``."""
    status = request.args.get("status") or None
    if status is not None and status not in OPPORTUNITY_STATUSES:
        return _fail(400, f"status={status!r} is not known; choose one of "
                          f"{', '.join(OPPORTUNITY_STATUSES)}")
    rows = list_opportunities(_store(), g.association["id"], status=status)
    a = g.association
    return jsonify({"association": {"id": a["id"], "name": a["name"], "status": a["status"]},
                    "results": [opportunity_json(r) for r in rows]})


@bp.post("/opportunities")
def create() -> ResponseReturnValue:
    """Add an opportunity; 201 with it and its ``Location``."""
    data = _body()
    if not isinstance(data, dict):
        return data
    try:
        opp = create_opportunity(_store(), g.association["id"], _locate(data))
    except OpportunityError as exc:
        return _problems(exc)
    location = url_for("api_partner.read", opportunity_id=opp["id"])
    return jsonify(opportunity_json(opp)), 201, {"Location": location}


@bp.get("/opportunities/<int:opportunity_id>")
def read(opportunity_id: int) -> ResponseReturnValue:
    """One of the association's opportunities, with meetings within reach."""
    opp = _owned(opportunity_id)
    if not isinstance(opp, dict):
        return opp
    counts = reach_counts(_store(), (opp["lat"], opp["lon"]))
    body = opportunity_json(opp)
    body["meetings_within_km"] = (
        None if counts is None else {f"{km:g}": n for km, n in counts.items()})
    return jsonify(body)


@bp.patch("/opportunities/<int:opportunity_id>")
def change(opportunity_id: int) -> ResponseReturnValue:
    """Change the given fields of one of the association's opportunities."""
    opp = _owned(opportunity_id)
    if not isinstance(opp, dict):
        return opp
    data = _body()
    if not isinstance(data, dict):
        return data
    if not data:
        return _fail(400, f"nothing to change: send one or more of {', '.join(EDITABLE)}")
    try:
        saved = update_opportunity(_store(), g.association["id"], opportunity_id, _locate(data))
    except OpportunityError as exc:
        return _problems(exc)
    return jsonify(opportunity_json(saved))


__all__ = ["bp", "opportunity_json"]
