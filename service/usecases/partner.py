"""Partner needs: an association lists, edits, pauses and closes its opportunities.

Behind the partner portal (``/partner``) and the partner API (``/api/partner``). Every read
and write goes through :mod:`store.partner` with the association's own id, so another
association's record is a :class:`~service.usecases.errors.ForbiddenError` whatever id is
asked for. The field rules are :func:`store.partner.clean_opportunity`'s.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any

from domain.labels import shown
from domain.status import OPPORTUNITY_STATUSES
from geo.geocode import precision_of
from geo.postcode import InvalidPostcodeError
from geo.postcode import parse_postcode
from service.usecases import wiring
from service.usecases.accounts import user_for_token
from service.usecases.errors import BadParameterError
from service.usecases.errors import ForbiddenError
from service.usecases.errors import NotFoundError
from service.usecases.errors import UnauthorizedError
from store import errors as store_errors
from store import partner as store_partner
from store.partner import EDITABLE
from store.partner import OpportunityError

if TYPE_CHECKING:
    from service.usecases.context import Context
    from store import Store

#: Distances (km) at which the portal counts active meetings around a need.
REACH_KM = (5.0, 10.0, 25.0)
LIST_REACH_KM = 10.0


def locate_postcode(ctx: Context, text: str) -> dict[str, Any]:
    """``lat``, ``lon``, ``location_precision`` and the normalised ``postcode`` of ``text``.

    Raises
    ------
    ValueError
        When ``text`` is not a UK postcode or district, or the geocoder cannot place it.
    """
    try:
        postcode = parse_postcode(str(text), allow=("full", "district")).text
    except InvalidPostcodeError:
        msg = (f"Postcode {shown(str(text))} is not a UK postcode. Enter a full postcode such "
               "as M15 4AB, or its first half such as M15.")
        raise ValueError(msg) from None
    found = wiring.geocoder(ctx).geocode(postcode)
    if found is None:
        msg = (f"Postcode {shown(postcode)} could not be placed on the map. Type the latitude "
               "and longitude instead.")
        raise ValueError(msg)
    return {"lat": float(found.latitude), "lon": float(found.longitude),
            "location_precision": precision_of(found), "postcode": postcode}


def reach_counts(store: Store, latlon: tuple[float | None, float | None],
                 radii_km: tuple[float, ...] = REACH_KM) -> dict[float, int] | None:
    """How many active meetings lie within each radius of ``latlon`` (``None`` if unplaced)."""
    lat, lon = latlon
    if lat is None or lon is None:
        return None
    _ids, dist = store.spatial.within("meetings", (lat, lon), max(radii_km),
                                      filters={"active": True})
    return {r: int((dist <= r).sum()) for r in radii_km}


def status_filter(raw: Any) -> str | None:
    """An opportunity status to list, or ``None`` for all."""
    if raw is None or raw == "":
        return None
    if raw not in OPPORTUNITY_STATUSES:
        msg = f"status={raw!r} is not known; choose one of {', '.join(OPPORTUNITY_STATUSES)}"
        raise BadParameterError(msg, param="status", value=raw)
    return str(raw)


def association_of_token(store: Store, token: str | None) -> tuple[Any, dict[str, Any]]:
    """The API user of a bearer token and their association, or the 401/403 to answer."""
    if token is None:
        msg = ("send Authorization: Bearer <token>; create a token with "
               "`commonground create-token --email ...` or on /partner/token")
        raise UnauthorizedError(msg)
    user = user_for_token(store, token)
    if user is None:
        msg = "the token is not valid: it may have been revoked or replaced"
        raise UnauthorizedError(msg)
    if user.role != "association" or user.association_id is None:
        msg = f"this API is for association accounts; the token belongs to a {user.role} account"
        raise ForbiddenError(msg)
    try:
        association = store_partner.association_summary(store, user.association_id)
    except store_errors.NotFoundError:
        msg = "the token's association no longer exists"
        raise ForbiddenError(msg) from None
    if association["status"] == "suspended":
        msg = f"association {association['id']} is suspended"
        raise ForbiddenError(msg)
    return user, association


def owned(store: Store, association_id: int, opportunity_id: int) -> dict[str, Any]:
    """One of the association's opportunities; 403 for another's, 404 for none."""
    try:
        return store_partner.get_opportunity(store, association_id, opportunity_id)
    except store_partner.ForbiddenError:
        msg = f"opportunity {opportunity_id} belongs to another association"
        raise ForbiddenError(msg) from None
    except store_errors.NotFoundError:
        msg = f"opportunity {opportunity_id} does not exist"
        raise NotFoundError(msg, param="opportunity_id", value=opportunity_id) from None


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


def _problems(exc: OpportunityError) -> BadParameterError:
    # every reason names its field by its label (domain.labels): the detail reads on its own
    return BadParameterError(str(exc), param=next(iter(exc.problems), None), people=str(exc))


def _locate(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a postcode turned into a position when no lat/lon is given."""
    values = dict(data)
    if values.get("lat") is None and values.get("lon") is None:
        values.pop("lat", None)
        values.pop("lon", None)
        if values.get("postcode"):
            try:
                values.update(locate_postcode(ctx, str(values["postcode"])))
            except ValueError as exc:
                raise OpportunityError({"postcode": str(exc)}) from None
    elif "location_precision" not in values:
        values["location_precision"] = "exact"
    return values


def create_need(ctx: Context, association_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Add an opportunity from JSON-like ``data``; a 400 naming every problem."""
    try:
        return store_partner.create_opportunity(ctx.store, association_id, _locate(ctx, data))
    except OpportunityError as exc:
        raise _problems(exc) from None


def change_need(ctx: Context, association_id: int, opportunity_id: int,
                data: dict[str, Any]) -> dict[str, Any]:
    """Change the given fields of one of the association's opportunities."""
    owned(ctx.store, association_id, opportunity_id)
    if not data:
        msg = f"nothing to change: send one or more of {', '.join(EDITABLE)}"
        raise BadParameterError(msg)
    try:
        return store_partner.update_opportunity(ctx.store, association_id, opportunity_id,
                                                _locate(ctx, data))
    except OpportunityError as exc:
        raise _problems(exc) from None


def list_needs(store: Store, association_id: int, status: str | None) -> list[dict[str, Any]]:
    """The association's opportunities, optionally of one status."""
    return store_partner.list_opportunities(store, association_id, status=status)


__all__ = [
    "LIST_REACH_KM",
    "REACH_KM",
    "association_of_token",
    "change_need",
    "create_need",
    "list_needs",
    "locate_postcode",
    "opportunity_json",
    "owned",
    "reach_counts",
    "status_filter",
]
