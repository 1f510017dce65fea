"""What the hotspot dashboard reads: the organisations a lead is responsible for, and volunteers.

A hotspot lead is linked to one peer organisation (``User.organisation_id``) and is
responsible for it and for every organisation devolved from it, generation after generation
(its subtree of the growth tree). An admin is responsible for all of them. These reads answer
"which organisations" and "which licensed volunteers"; coverage, growth and links are computed
in :mod:`matching` from the frames of :mod:`store.coverage`.

Both backends answer alike: plain selects, and the tree walk is done here in Python over the
``(id, parent_id)`` pairs, so a cycle in bad data cannot loop and no recursive SQL is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import select

from store.models import PeerOrganisation
from store.models import Region
from store.models import Volunteer
from store.replicas import replica_read

if TYPE_CHECKING:
    from collections.abc import Iterable

    from store import Store

ORGANISATION_KEYS = ("id", "name", "status", "is_hotspot", "parent_id", "region_id", "region",
                     "town", "founded_on", "is_demo")
VOLUNTEER_KEYS = ("id", "organisation_id", "organisation", "display_name", "licence_number",
                  "licence_valid_until", "is_demo")


@replica_read
def _organisations(store: Store) -> list[dict[str, Any]]:
    o = PeerOrganisation
    stmt = (select(o.id, o.name, o.status, o.is_hotspot, o.parent_id, o.region_id, Region.name,
                   o.town, o.founded_on, o.is_demo)
            .outerjoin(Region, o.region_id == Region.id).order_by(o.id))
    with store.router.connect() as conn:
        return [dict(zip(ORGANISATION_KEYS, row, strict=True)) for row in conn.execute(stmt)]


def _tree_order(orgs: list[dict[str, Any]], roots: list[int]) -> list[dict[str, Any]]:
    """``orgs`` reachable from ``roots``, each after its parent, with ``depth`` from its root."""
    by_id = {o["id"]: o for o in orgs}
    children: dict[int, list[int]] = {}
    for o in orgs:
        if o["parent_id"] in by_id and o["parent_id"] != o["id"]:
            children.setdefault(o["parent_id"], []).append(o["id"])
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    stack = [(r, 0) for r in reversed(roots)]
    while stack:
        oid, depth = stack.pop()
        if oid in seen:  # a cycle in the parent links: each organisation is listed once
            continue
        seen.add(oid)
        out.append({**by_id[oid], "depth": depth})
        kids = sorted(children.get(oid, []), key=lambda c: (str(by_id[c]["name"]), c))
        stack.extend((c, depth + 1) for c in reversed(kids))
    return out


@replica_read
def organisation_scope(store: Store, organisation_id: int | None) -> list[dict[str, Any]]:
    """The organisations a user is responsible for, in tree order.

    Parameters
    ----------
    store
        The store (either backend).
    organisation_id
        The user's organisation: it and its whole devolution subtree are returned.
        ``None`` (an admin) returns every organisation, tree by tree.

    Returns
    -------
    list of dict
        Keys :data:`ORGANISATION_KEYS` and ``depth`` (0 for ``organisation_id``, or for each
        root when all are returned). Empty when ``organisation_id`` is not an organisation.
    """
    orgs = _organisations(store)
    ids = {o["id"] for o in orgs}
    if organisation_id is None:
        roots = [o["id"] for o in orgs if o["parent_id"] not in ids or o["parent_id"] == o["id"]]
        ordered = _tree_order(orgs, roots)
        # Organisations caught in a parent cycle have no root: list them too, once.
        listed = {o["id"] for o in ordered}
        rest = [o["id"] for o in orgs if o["id"] not in listed]
        return ordered + _tree_order(orgs, rest) if rest else ordered
    if int(organisation_id) not in ids:
        return []
    return _tree_order(orgs, [int(organisation_id)])


@replica_read
def volunteers_of(store: Store, organisation_ids: Iterable[int] | None) -> list[dict[str, Any]]:
    """The licensed volunteers of some organisations (``None``: of all), by organisation.

    Parameters
    ----------
    store
        The store.
    organisation_ids
        Organisation ids; ``None`` for every organisation.

    Returns
    -------
    list of dict
        Keys :data:`VOLUNTEER_KEYS` (``organisation`` is its name, ``licence_valid_until``
        a :class:`datetime.date` or ``None``), ordered by organisation name, display name
        and id.
    """
    v = Volunteer
    stmt = (select(v.id, v.organisation_id, PeerOrganisation.name, v.display_name,
                   v.licence_number, v.licence_valid_until, v.is_demo)
            .join(PeerOrganisation, v.organisation_id == PeerOrganisation.id)
            .order_by(PeerOrganisation.name, v.display_name, v.id))
    if organisation_ids is not None:
        wanted = sorted({int(i) for i in organisation_ids})
        if not wanted:
            return []
        stmt = stmt.where(v.organisation_id.in_(wanted))
    with store.router.connect() as conn:
        return [dict(zip(VOLUNTEER_KEYS, row, strict=True)) for row in conn.execute(stmt)]


__all__ = ["ORGANISATION_KEYS", "VOLUNTEER_KEYS", "organisation_scope", "volunteers_of"]
