"""Read models for the pages: plain dicts from the store, shaped for templates and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from store.reads import list_meetings
from store.reads import list_organisations

if TYPE_CHECKING:
    from store import Store

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def _tree_order(orgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Organisations in growth-tree order (each after its parent), with ``depth``."""
    children: dict[int | None, list[dict[str, Any]]] = {}
    ids = {o["id"] for o in orgs}
    for org in orgs:
        parent = org["parent_id"] if org["parent_id"] in ids else None
        children.setdefault(parent, []).append(org)
    ordered: list[dict[str, Any]] = []
    stack = [(o, 0) for o in reversed(children.get(None, []))]
    while stack:
        org, depth = stack.pop()
        ordered.append({**org, "depth": depth})
        stack.extend((c, depth + 1) for c in reversed(children.get(org["id"], [])))
    return ordered


def overview(store: Store) -> dict[str, Any]:
    """Organisations (tree order), meetings per organisation, counts, and the demo flag."""
    orgs = _tree_order(list_organisations(store))
    meetings = list_meetings(store)
    by_org: dict[int | None, list[dict[str, Any]]] = {}
    for m in meetings:
        m["days"] = ", ".join(WEEKDAYS[d] for d in m["weekdays"] if 0 <= d < len(WEEKDAYS))
        by_org.setdefault(m["organisation_id"], []).append(m)
    return {
        "organisations": orgs,
        "meetings_by_org": by_org,
        "counts": store.counts(),
        "has_demo": any(o["is_demo"] for o in orgs) or any(m["is_demo"] for m in meetings),
    }
