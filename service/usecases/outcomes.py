"""Outcome records: who may record them, parsing, and writing through :mod:`store.outcomes`.

Who records (the roles of :mod:`service.usecases.accounts`):

* a **partner** (role ``association``) for its own association: per need, or per link with
  one of the peer organisations its association is linked to;
* the **peer organisation side**: a **hotspot lead** for the organisations of their growth
  tree (their own organisation and every one devolved from it, the scope of the hotspot
  dashboard, :func:`service.usecases.dashboard.scope_for`), and an **admin** for every
  organisation. They record per link (an organisation of theirs and an association it is
  linked with), optionally for one of the association's needs.

Each side sees the records about its associations or organisations, and changes or deletes
only the entries its side made; the inbox's counters are nobody's to edit. The values are
checked by :func:`domain.outcomes.clean_outcome` (the same words on pages and in the API).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any

from domain.errors import RecordError
from domain.outcomes import clean_outcome
from domain.outcomes import period_text
from matching.skills import SKILL_LABELS
from service.usecases.dashboard import scope_for
from service.usecases.errors import BadParameterError
from service.usecases.errors import ForbiddenError
from service.usecases.errors import NotFoundError
from store import errors as store_errors
from store import outcomes as store_outcomes
from store import partner as store_partner
from store.outcomes import Recorder

if TYPE_CHECKING:
    from collections.abc import Mapping

    from store import Store

SIDE_LABELS = {"association": "the association", "organisation": "the peer organisation",
               "inbox": "the inbox (taking part)"}


def recorder_for(store: Store, user: Any) -> Recorder:
    """The side a signed-in user (or API token's user) records for.

    Raises
    ------
    ForbiddenError
        For an account linked to nothing it could record for.
    """
    role = getattr(user, "role", None)
    if role == "association" and getattr(user, "association_id", None) is not None:
        return Recorder("association", association_id=int(user.association_id))
    if role == "admin":
        return Recorder("organisation", organisation_ids=None)
    if role == "hotspot_lead" and getattr(user, "organisation_id", None) is not None:
        return Recorder("organisation", organisation_ids=frozenset(scope_for(store, user).ids))
    msg = "your account is not linked to an association or a peer organisation; ask an admin"
    raise ForbiddenError(msg)


def parse_outcome(values: Mapping[str, Any], *, today: dt.date | None = None,
                  partial: bool = False) -> dict[str, Any]:
    """Check a form's or a JSON body's values; a 400 naming every field at fault."""
    try:
        return clean_outcome(values, skills=SKILL_LABELS.keys(), today=today or dt.date.today(),
                             partial=partial)
    except RecordError as exc:
        raise _bad(exc) from None


def _bad(exc: RecordError) -> BadParameterError:
    """One 400 naming every field; ``problems`` keeps them field by field for the forms."""
    detail = "; ".join(exc.problems.values())
    error = BadParameterError(detail, param=next(iter(exc.problems), None))
    error.problems = dict(exc.problems)  # type: ignore[attr-defined]
    return error


def _translate(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a store call, turning its errors into the service's."""
    try:
        return call(*args, **kwargs)
    except store_outcomes.OutcomeError as exc:
        raise _bad(exc) from None
    except store_partner.ForbiddenError as exc:
        raise ForbiddenError(str(exc)) from None
    except store_errors.NotFoundError as exc:
        raise NotFoundError(str(exc)) from None


def record(store: Store, recorder: Recorder, association_id: int, values: Mapping[str, Any],
           *, user_id: int | None = None) -> dict[str, Any]:
    """Add a record for ``association_id`` (values from :func:`parse_outcome`)."""
    return _translate(store_outcomes.create_outcome, store, recorder, association_id, values,  # type: ignore[no-any-return]
                      created_by=user_id)


def change(store: Store, recorder: Recorder, outcome_id: int,
           values: Mapping[str, Any]) -> dict[str, Any]:
    """Change one of the recorder's own records."""
    if not values:
        msg = "nothing to change: send one or more fields of the record"
        raise BadParameterError(msg)
    return _translate(store_outcomes.update_outcome, store, recorder, outcome_id, values)  # type: ignore[no-any-return]


def remove(store: Store, recorder: Recorder, outcome_id: int) -> None:
    """Delete one of the recorder's own records."""
    _translate(store_outcomes.delete_outcome, store, recorder, outcome_id)


def own(store: Store, recorder: Recorder, outcome_id: int) -> dict[str, Any]:
    """One of the recorder's own records (to fill the edit form); 403/404 otherwise."""
    found = _translate(store_outcomes.get_outcome, store, outcome_id)
    if not recorder.may_change(found["recorded_by"], found["association_id"],
                               found["organisation_id"]):
        msg = f"outcome record {outcome_id} is not one of your entries"
        raise ForbiddenError(msg)
    return found  # type: ignore[no-any-return]


def history(store: Store, recorder: Recorder, *, association_id: int | None = None,
            opportunity_id: int | None = None,
            organisation_id: int | None = None) -> list[dict[str, Any]]:
    """Records the recorder may see, newest first, each with ``mine`` (theirs to change)."""
    if recorder.side == "association":
        rows = store_outcomes.list_outcomes(store, association_id=recorder.association_id,
                                            opportunity_id=opportunity_id,
                                            organisation_id=organisation_id)
    else:
        rows = store_outcomes.list_outcomes(
            store, association_id=association_id, opportunity_id=opportunity_id,
            organisation_id=organisation_id, organisation_ids=recorder.organisation_ids,
            include_unknown=False)
    for r in rows:
        r["mine"] = r["recorded_by"] == recorder.side
        r["period"] = period_text(r["period_start"], r["period_unit"])
        r["skill_labels"] = [SKILL_LABELS.get(s, s) for s in r["skills"]]
        r["side"] = SIDE_LABELS[r["recorded_by"]]
    return rows


def links_for(store: Store, recorder: Recorder) -> list[dict[str, Any]]:
    """The links the recorder may record on."""
    if recorder.side == "association":
        return store_outcomes.links_of(store, association_id=recorder.association_id)
    return store_outcomes.links_of(store, organisation_ids=recorder.organisation_ids)


def link_in_scope(store: Store, recorder: Recorder, link_id: int) -> dict[str, Any]:
    """One link the recorder may record on; 404 for none, 403 for another's."""
    link = _translate(store_outcomes.get_link, store, link_id)
    if not recorder.sees(link["association_id"], link["organisation_id"]):
        msg = f"link {link_id} is not one of yours"
        raise ForbiddenError(msg)
    return link  # type: ignore[no-any-return]


def outcome_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record as the API answers it (ISO dates, ``period`` as the forms type it)."""
    return {
        "id": row["id"], "association_id": row["association_id"],
        "organisation_id": row["organisation_id"], "opportunity_id": row["opportunity_id"],
        "recorded_by": row["recorded_by"],
        "period": period_text(row["period_start"], row["period_unit"]),
        "period_unit": row["period_unit"], "peers_taking_part": row["peers_taking_part"],
        "hours": row["hours"], "went_on_to_volunteer": row["went_on_to_volunteer"],
        "became_licensed": row["became_licensed"], "skills": list(row["skills"]),
    }


__all__ = [
    "SIDE_LABELS",
    "change",
    "history",
    "link_in_scope",
    "links_for",
    "outcome_json",
    "own",
    "parse_outcome",
    "record",
    "recorder_for",
    "remove",
]
