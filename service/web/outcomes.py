"""Outcome records in the portals: the partner's and the peer organisation side's.

The partner's pages are under ``/partner/outcomes``, the organisation side's under
``/hotspots/outcomes``. A partner records per need (``?opportunity_id=``) or per link with
one of its linked peer organisations; a hotspot lead records for the links of the
organisations of their growth tree, an admin for every link (``?link_id=``), optionally for
one of the association's needs. Each sees the history of the records about its association
or organisations, and changes or deletes its own entries. Who may do what is
:mod:`service.usecases.outcomes`'s; the values' rules are :mod:`domain.outcomes`'s. Nothing
typed here names or describes a peer: there is no free-text field.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from domain.outcomes import MAX_HOURS
from domain.outcomes import MAX_PEERS
from domain.outcomes import period_text
from matching.skills import skills_for
from service.context import get_store
from service.usecases import outcomes as cases
from service.usecases.errors import BadParameterError
from service.usecases.errors import ForbiddenError
from service.usecases.errors import NotFoundError
from service.web.auth import enforce_role
from service.web.partner import _only_own_association
from store.partner import list_opportunities

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

partner_bp = Blueprint("partner_outcomes", __name__, url_prefix="/partner/outcomes")
partner_bp.before_request(_only_own_association)
hotspot_bp = Blueprint("hotspot_outcomes", __name__, url_prefix="/hotspots/outcomes")
hotspot_bp.before_request(lambda: enforce_role("hotspot_lead", "admin"))
HISTORY_LIMIT = 300
FIELDS = ("organisation_id", "opportunity_id", "period", "peers_taking_part", "hours",
          "went_on_to_volunteer", "became_licensed")


def _recorder() -> Any:
    try:
        return cases.recorder_for(get_store(), current_user)
    except ForbiddenError as exc:
        abort(403, description=str(exc))


def _submitted() -> dict[str, Any]:
    f = request.form
    form: dict[str, Any] = {n: f.get(n, "").strip()[:60] for n in FIELDS if n in f}
    form["skills"] = f.getlist("skills")
    return form


def _form_of(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {"period": f"{dt.date.today():%Y-%m}", "skills": []}
    hours = f"{row['hours']:.2f}".rstrip("0").rstrip(".")
    return {"organisation_id": str(row["organisation_id"] or ""),
            "opportunity_id": str(row["opportunity_id"] or ""),
            "period": period_text(row["period_start"], row["period_unit"]),
            "peers_taking_part": str(row["peers_taking_part"]), "hours": hours,
            "went_on_to_volunteer": str(row["went_on_to_volunteer"]),
            "became_licensed": str(row["became_licensed"]), "skills": row["skills"]}


def _problems(exc: BadParameterError) -> dict[str, str]:
    """Each field's problem (the form marks each field), else the one message."""
    found = getattr(exc, "problems", None)
    return dict(found) if found else {"record": str(exc)}


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) >= 2**31:
        abort(400, description=f"{name}={raw[:40]!r} is not a record number")
    return int(raw)


def _render(status: int = 200, **context: Any) -> ResponseReturnValue:
    interests = context.pop("interests", ())
    return render_template("outcomes/page.html", skills=skills_for(interests),
                           max_peers=MAX_PEERS, max_hours=MAX_HOURS,
                           **context), status


# -- the partner ----------------------------------------------------------------------------


def _partner_page(recorder: Any, *, form: dict[str, Any], problems: dict[str, str],
                  editing: dict[str, Any] | None = None, status: int = 200
                  ) -> ResponseReturnValue:
    store = get_store()
    need_id = _int_arg("opportunity_id") if editing is None else None
    needs = list_opportunities(store, g.association["id"])
    need = next((n for n in needs if n["id"] == need_id), None)
    if need_id is not None and need is None:
        abort(404, description=f"There is no need number {need_id} of yours.")
    if need is not None and not form.get("opportunity_id"):
        form = {**form, "opportunity_id": str(need["id"])}
    links = cases.links_for(store, recorder)
    rows = cases.history(store, recorder, opportunity_id=need_id)
    action = (url_for("partner_outcomes.edit", outcome_id=editing["id"]) if editing
              else url_for("partner_outcomes.index", opportunity_id=need_id)
              if need_id else url_for("partner_outcomes.index"))
    return _render(
        status, side="association", heading=(f"Outcomes of “{need['title']}”" if need else
                                             f"Outcomes · {g.association['name']}"),
        back_url=url_for("partner.index"), back_label="Your needs", need=need,
        needs=needs, organisations=[(k["organisation_id"], k["organisation"]) for k in links],
        link=None, links=None, form=form, problems=problems, editing=editing,
        form_action=action, history=rows[:HISTORY_LIMIT], has_demo=g.association["is_demo"],
        delete_endpoint="partner_outcomes.delete", edit_endpoint="partner_outcomes.edit",
        interests=need["interests"] if need else ())


@partner_bp.route("/", methods=["GET", "POST"], endpoint="index")
def partner_index() -> ResponseReturnValue:
    """The association's outcome records, and the form to add one (per need or link)."""
    recorder = _recorder()
    if request.method == "GET":
        return _partner_page(recorder, form=_form_of(None), problems={})
    form = _submitted()
    need_id = _int_arg("opportunity_id")
    if need_id is not None and "opportunity_id" not in form:
        form["opportunity_id"] = str(need_id)  # the need whose page this is
    try:
        values = cases.parse_outcome(form)
        cases.record(get_store(), recorder, g.association["id"], values,
                     user_id=current_user.id)
    except BadParameterError as exc:
        return _partner_page(recorder, form=form, problems=_problems(exc), status=400)
    flash("Recorded. Thank you: these figures count on the hotspot dashboard.", "info")
    return redirect(request.full_path.rstrip("?") if request.args else
                    url_for("partner_outcomes.index"))


@partner_bp.route("/<int:outcome_id>/edit", methods=["GET", "POST"], endpoint="edit")
def partner_edit(outcome_id: int) -> ResponseReturnValue:
    """Change one of the association's own records."""
    recorder = _recorder()
    row = _own_or_abort(recorder, outcome_id)
    if request.method == "GET":
        return _partner_page(recorder, form=_form_of(row), problems={}, editing=row)
    form = _submitted()
    try:
        cases.change(get_store(), recorder, outcome_id,
                     cases.parse_outcome(form, partial=False))
    except BadParameterError as exc:
        return _partner_page(recorder, form=form, problems=_problems(exc), editing=row,
                             status=400)
    flash("Saved.", "info")
    return redirect(url_for("partner_outcomes.index"))


@partner_bp.post("/<int:outcome_id>/delete", endpoint="delete")
def partner_delete(outcome_id: int) -> ResponseReturnValue:
    """Delete one of the association's own records."""
    _remove(_recorder(), outcome_id)
    return redirect(url_for("partner_outcomes.index"))


def _own_or_abort(recorder: Any, outcome_id: int) -> dict[str, Any]:
    try:
        return cases.own(get_store(), recorder, outcome_id)
    except ForbiddenError as exc:
        abort(403, description=str(exc))
    except NotFoundError as exc:
        abort(404, description=str(exc))


def _remove(recorder: Any, outcome_id: int) -> None:
    try:
        cases.remove(get_store(), recorder, outcome_id)
    except ForbiddenError as exc:
        abort(403, description=str(exc))
    except NotFoundError as exc:
        abort(404, description=str(exc))
    flash("Deleted.", "info")


# -- the peer organisation side -------------------------------------------------------------


def _hotspot_page(recorder: Any, *, form: dict[str, Any], problems: dict[str, str],
                  editing: dict[str, Any] | None = None, status: int = 200
                  ) -> ResponseReturnValue:
    store = get_store()
    link_id = _int_arg("link_id") if editing is None else None
    link = None
    if editing is not None:
        link = {"organisation_id": editing["organisation_id"],
                "organisation": editing["organisation"],
                "association_id": editing["association_id"],
                "association": editing["association"]}
    elif link_id is not None:
        try:
            found = cases.link_in_scope(store, recorder, link_id)
        except ForbiddenError as exc:
            abort(403, description=str(exc))
        except NotFoundError as exc:
            abort(404, description=str(exc))
        link = next(x for x in cases.links_for(store, recorder) if x["id"] == found["id"])
    needs = list_opportunities(store, link["association_id"]) if link else None
    rows = cases.history(store, recorder,
                         association_id=link["association_id"] if link else None,
                         organisation_id=link["organisation_id"] if link else None)
    action = (url_for("hotspot_outcomes.edit", outcome_id=editing["id"]) if editing
              else url_for("hotspot_outcomes.index", link_id=link_id) if link else None)
    return _render(
        status, side="organisation",
        heading=(f"Outcomes · {link['organisation']} with {link['association']}" if link
                 else "Outcomes of your links"),
        back_url=url_for("hotspots.dashboard") + "#impact", back_label="Hotspot dashboard",
        need=None, needs=needs, organisations=None, link=link,
        links=None if link else cases.links_for(store, recorder), form=form,
        problems=problems, editing=editing, form_action=action,
        history=rows[:HISTORY_LIMIT], has_demo=any(r["is_demo"] for r in rows),
        delete_endpoint="hotspot_outcomes.delete", edit_endpoint="hotspot_outcomes.edit")


@hotspot_bp.route("/", methods=["GET", "POST"], endpoint="index")
def hotspot_index() -> ResponseReturnValue:
    """The links of the user's organisations; with ``link_id``, that link's records and form."""
    recorder = _recorder()
    if request.method == "GET":
        return _hotspot_page(recorder, form=_form_of(None), problems={})
    link_id = _int_arg("link_id")
    if link_id is None:
        abort(400, description="Choose a link to record outcomes for.")
    form = _submitted()
    store = get_store()
    try:
        link = cases.link_in_scope(store, recorder, link_id)
        values = cases.parse_outcome({**form, "organisation_id": link["organisation_id"]})
        cases.record(store, recorder, link["association_id"], values, user_id=current_user.id)
    except ForbiddenError as exc:
        abort(403, description=str(exc))
    except NotFoundError as exc:
        abort(404, description=str(exc))
    except BadParameterError as exc:
        return _hotspot_page(recorder, form=form, problems=_problems(exc), status=400)
    flash("Recorded: the figures count on the dashboard.", "info")
    return redirect(url_for("hotspot_outcomes.index", link_id=link_id))


@hotspot_bp.route("/<int:outcome_id>/edit", methods=["GET", "POST"], endpoint="edit")
def hotspot_edit(outcome_id: int) -> ResponseReturnValue:
    """Change one of the organisation side's own records."""
    recorder = _recorder()
    row = _own_or_abort(recorder, outcome_id)
    if request.method == "GET":
        return _hotspot_page(recorder, form=_form_of(row), problems={}, editing=row)
    form = _submitted()
    try:
        values = cases.parse_outcome({**form, "organisation_id": row["organisation_id"]})
        cases.change(get_store(), recorder, outcome_id, values)
    except BadParameterError as exc:
        return _hotspot_page(recorder, form=form, problems=_problems(exc), editing=row,
                             status=400)
    flash("Saved.", "info")
    return redirect(url_for("hotspot_outcomes.index"))


@hotspot_bp.post("/<int:outcome_id>/delete", endpoint="delete")
def hotspot_delete(outcome_id: int) -> ResponseReturnValue:
    """Delete one of the organisation side's own records."""
    _remove(_recorder(), outcome_id)
    return redirect(url_for("hotspot_outcomes.index"))


bp = partner_bp
"""Registered by the app factory, with :data:`hotspot_bp`."""

__all__ = ["bp", "hotspot_bp", "partner_bp"]
