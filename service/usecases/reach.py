"""Reach and links worth making: the reverse questions of the recommendation engine.

Which active meetings a listing or an association reaches (and which of them it fits), and
which nearby associations a peer organisation has no mutual-interest link with yet. Behind
``/api/opportunities/<id>/reach``, ``/api/associations/<id>/reach``,
``/api/organisations/<id>/links-worth-making``, ``commonground reach`` and
``commonground links-worth-making``, and the dashboard's "links worth making" table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from matching.query import MAX_LIMIT
from matching.reverse import association_reach
from matching.reverse import links_worth_making
from matching.reverse import opportunity_reach
from service.usecases import params
from service.usecases.search import recommender

if TYPE_CHECKING:
    from service.usecases.context import Context

DEFAULT_REACH_KM = 15.0
DEFAULT_LINKS = 10


def reach_radius(raw: Any) -> float:
    """How far a meeting may be, parsed (default :data:`DEFAULT_REACH_KM`)."""
    return params.radius(raw, default=DEFAULT_REACH_KM)


def links_limit(raw: Any) -> int:
    """How many links to list, parsed (default :data:`DEFAULT_LINKS`)."""
    return params.limit(raw, default=DEFAULT_LINKS, hi=MAX_LIMIT)


def reach_of_opportunity(ctx: Context, opportunity_id: int, *, radius_km: float
                         ) -> dict[str, Any]:
    """The active meetings within reach of a listing and which of them it fits."""
    return opportunity_reach(recommender(ctx), opportunity_id, radius_km=radius_km)


def reach_of_association(ctx: Context, association_id: int, *, radius_km: float
                         ) -> dict[str, Any]:
    """The active meetings within reach of an association's listings."""
    return association_reach(recommender(ctx), association_id, radius_km=radius_km)


def links(ctx: Context, organisation_id: int, *, radius_km: float, limit: int
          ) -> dict[str, Any]:
    """Associations near an organisation's meetings with no mutual-interest link yet."""
    return links_worth_making(recommender(ctx), organisation_id, radius_km=radius_km,
                              limit=limit)


__all__ = ["links", "links_limit", "reach_of_association", "reach_of_opportunity",
           "reach_radius"]
