"""Partner portal (``/partner``): an association lists, edits, pauses and closes its needs.

Every route needs a signed-in ``association`` user (checked once for the whole blueprint).
An account whose email is not yet confirmed sees only its status page (``/partner/status``,
with a button to send a new link); once confirmed, a pending association can complete its
profile (``/partner/profile``) and prepare needs, which peers see only after an admin
approves it. A suspended (or rejected) association sees its status page and the reason,
and cannot change anything. Every read and write goes through
:mod:`store.partner` with the user's own association id, so another association's record
answers 403 whatever id is typed into the address bar.

The location of a need is its association's address, a postcode (geocoded with the app's
geocoder) or a point. The point is typed as latitude/longitude; where the browser can reach
the map tiles, "Pick on a map" loads a small Leaflet map that fills those two boxes. Nothing
is loaded from the network until that button is pressed, so the form works offline.
"""

from __future__ import annotations

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

from domain.categories import CATEGORY_LABELS
from domain.schedule import DAY_NAMES as WEEKDAYS
from domain.status import OPPORTUNITY_STATUSES
from geo.postcode import InvalidPostcodeError
from geo.postcode import parse_postcode
from matching.taxonomy import TERMS
from service.context import get_context
from service.context import get_store
from service.usecases import interest as interest_cases
from service.usecases import onboarding
from service.usecases.accounts import new_api_token
from service.usecases.partner import LIST_REACH_KM
from service.usecases.partner import locate_postcode
from service.usecases.partner import reach_counts
from service.usecases.partner import status_filter
from service.web.assets import partner_map_assets
from service.web.auth import enforce_role
from service.web.onboarding import external_url
from store.errors import NotFoundError
from store.partner import ForbiddenError
from store.partner import OpportunityError
from store.partner import association_summary
from store.partner import clean_opportunity
from store.partner import create_opportunity
from store.partner import get_opportunity
from store.partner import list_opportunities
from store.partner import set_opportunity_status
from store.partner import update_opportunity
from store.users import get_user
from store.users import set_api_token_hash

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask.typing import ResponseReturnValue


bp = Blueprint("partner", __name__, url_prefix="/partner")

LOCATION_CHOICES = ("keep", "association", "postcode", "point")
#: Each problem's input on the form, in the form's order (the first one with a problem
#: takes focus; each input is described by its problems' messages).
PROBLEM_INPUTS = {
    "title": "title", "description": "description", "interests": "interests",
    "skills": "skills", "weekdays": "weekdays", "start_time": "start_time",
    "end_time": "end_time", "flexible": "flexible", "starts_on": "starts_on",
    "ends_on": "ends_on", "commitment": "commitment", "accessibility": "accessibility",
    "capacity": "capacity", "places_taken": "places_taken", "status": "status-field",
    "location": "lat", "lat,lon": "lat", "lat": "lat", "lon": "lon", "postcode": "postcode",
    "location_precision": "lat", "address": "address",
}


# ------------------------------------------------------------------------------ guard


#: What an account can open before its association is approved: its status page, always;
#: its profile and needs once its email is verified (peers see the needs after approval).
STATUS_ENDPOINTS = frozenset({"partner.status", "partner.resend_verification"})


@bp.before_request
def _only_own_association() -> ResponseReturnValue | None:
    refused = enforce_role("association")
    if refused is not None:
        return refused
    if current_user.association_id is None:
        abort(403, description="Your account is not linked to an association; ask an admin.")
    try:
        association = association_summary(get_store(), current_user.association_id)
    except NotFoundError:
        abort(403, description="Your association no longer exists; ask an admin.")
    g.association = association
    if request.endpoint in STATUS_ENDPOINTS:
        return None
    if not current_user.user.email_verified:
        if request.method == "GET":
            return redirect(url_for("partner.status"))
        abort(403, description="Confirm your email first: follow the link we sent you.")
    if association["status"] == "suspended":
        abort(403, description=f"{association['name']} is suspended, so its needs cannot be "
                               "changed. Ask an admin; the page /partner/status says why.")
    return None


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(template, association=g.association,
                           has_demo=g.association["is_demo"], weekdays=WEEKDAYS,
                           **context), status


def _owned_or_abort(opportunity_id: int) -> dict[str, Any]:
    try:
        return get_opportunity(get_store(), g.association["id"], opportunity_id)
    except ForbiddenError:
        abort(403, description="That need belongs to another association.")
    except NotFoundError:
        abort(404, description=f"There is no need number {opportunity_id}.")


# ----------------------------------------------------------------------------- forms


def _form_from(opp: Mapping[str, Any] | None) -> dict[str, Any]:
    """The form's fields as text, from a stored opportunity (or empty for a new one)."""
    if opp is None:
        return {"status": "open", "interests": [], "weekdays": [], "location_from": "association"}

    def hhmm(t: Any) -> str:
        return t.strftime("%H:%M") if t else ""

    return {
        "title": opp["title"], "description": opp["description"] or "",
        "interests": opp["interests"], "skills": ", ".join(opp["skills"]),
        "weekdays": [str(d) for d in opp["weekdays"]], "start_time": hhmm(opp["start_time"]),
        "end_time": hhmm(opp["end_time"]), "flexible": opp["flexible"],
        "commitment": opp["commitment"] or "", "accessibility": ", ".join(opp["accessibility"]),
        "capacity": "" if opp["capacity"] is None else str(opp["capacity"]),
        "places_taken": str(opp["places_taken"]), "status": opp["status"],
        "starts_on": opp["starts_on"].isoformat() if opp["starts_on"] else "",
        "ends_on": opp["ends_on"].isoformat() if opp["ends_on"] else "",
        "postcode": opp["postcode"] or "", "address": opp["address"] or "",
        "lat": "" if opp["lat"] is None else f"{opp['lat']:.6f}",
        "lon": "" if opp["lon"] is None else f"{opp['lon']:.6f}",
        "location_from": "keep",
    }


def _submitted() -> dict[str, Any]:
    """The posted form, as text (kept to fill the form again when something is wrong)."""
    f = request.form
    names = ("title", "description", "skills", "start_time", "end_time", "commitment",
             "accessibility", "capacity", "places_taken", "status", "starts_on", "ends_on",
             "postcode", "address", "lat", "lon", "location_from")
    form: dict[str, Any] = {n: f.get(n, "").strip() for n in names}
    form["interests"] = f.getlist("interests")
    form["weekdays"] = f.getlist("weekdays")
    form["flexible"] = f.get("flexible") in {"on", "1", "true", "yes"}
    return form


def _values_from(form: Mapping[str, Any], *, editing: bool) -> tuple[dict[str, Any],
                                                                     dict[str, str]]:
    """Store values and location problems from the submitted form."""
    values: dict[str, Any] = {
        name: form[name] or None
        for name in ("title", "description", "commitment", "address", "start_time",
                     "end_time", "starts_on", "ends_on")
    }
    values.update(interests=list(form["interests"]), skills=form["skills"],
                  accessibility=form["accessibility"], weekdays=list(form["weekdays"]),
                  flexible=bool(form["flexible"]), capacity=form["capacity"] or None,
                  status=form["status"] or "open")
    if editing and form["places_taken"]:
        values["places_taken"] = form["places_taken"]
    problems: dict[str, str] = {}
    choice = form["location_from"] or ("keep" if editing else "association")
    if choice not in LOCATION_CHOICES or (choice == "keep" and not editing):
        problems["location"] = ("Where: the choice is not one we offer. Choose where the "
                                "need takes place from the list.")
    elif choice == "postcode":
        try:
            values.update(locate_postcode(get_context(), form["postcode"]))
        except ValueError as exc:
            problems["postcode"] = str(exc)
    elif choice == "point":
        values.update(lat=form["lat"] or None, lon=form["lon"] or None,
                      location_precision="exact", postcode=_postcode_or_none(form["postcode"]))
        if values["lat"] is None or values["lon"] is None:
            problems["location"] = ("Latitude and longitude: give both, or pick a point on "
                                    "the map.")
    elif choice == "association" and editing:
        a = g.association
        values.update(lat=a["lat"], lon=a["lon"], postcode=a["postcode"],
                      location_precision=a["location_precision"] or "exact")
        values["address"] = values["address"] or a["address"]
    return values, problems


def _postcode_or_none(text: str) -> str | None:
    if not text:
        return None
    try:
        return parse_postcode(text, allow=("full", "district")).text
    except InvalidPostcodeError:
        return text


def _save(opportunity_id: int | None) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Validate and write the posted form; the saved need, or the problems to show."""
    form = _submitted()
    values, problems = _values_from(form, editing=opportunity_id is not None)
    store = get_store()
    try:
        if problems:  # collect the other fields' problems too, then report them all once
            clean_opportunity(values, interests=set(store.interest_slugs()),
                              partial=opportunity_id is not None)
            return None, problems
        if opportunity_id is None:
            return create_opportunity(store, g.association["id"], values), {}
        return update_opportunity(store, g.association["id"], opportunity_id, values), {}
    except OpportunityError as exc:
        return None, {**exc.problems, **problems}


def _form_page(opp: Mapping[str, Any] | None, form: Mapping[str, Any],
               problems: Mapping[str, str], status: int = 200) -> ResponseReturnValue:
    latlon = (opp["lat"], opp["lon"]) if opp else (g.association["lat"], g.association["lon"])
    described: dict[str, list[str]] = {}
    for name in problems:
        if name in PROBLEM_INPUTS:
            described.setdefault(PROBLEM_INPUTS[name], []).append(
                f"{name.replace(',', '-')}-error")
    first = next((i for n, i in PROBLEM_INPUTS.items() if n in problems), None)
    return _page("partner/form.html", status, opportunity=opp, form=form, problems=problems,
                 inputs={n: i for n, i in PROBLEM_INPUTS.items() if n in problems},
                 described=described, first_input=first,
                 terms=TERMS, statuses=OPPORTUNITY_STATUSES, leaflet=partner_map_assets(),
                 reach=reach_counts(get_store(), latlon) if opp else None,
                 map_center=latlon if latlon[0] is not None else (54.0, -2.5))


# ----------------------------------------------------------------------------- views


@bp.get("/")
def index() -> ResponseReturnValue:
    """The association's needs, with how many meetings are within reach of each."""
    status = status_filter(request.args.get("status"))
    store = get_store()
    rows = list_opportunities(store, g.association["id"], status=status)
    seen: dict[tuple[Any, Any], int | None] = {}
    for row in rows:
        key = (row["lat"], row["lon"])
        if key not in seen:
            counts = reach_counts(store, key, (LIST_REACH_KM,))
            seen[key] = None if counts is None else counts[LIST_REACH_KM]
        row["meetings_in_reach"] = seen[key]
    return _page("partner/index.html", opportunities=rows, status=status,
                 statuses=OPPORTUNITY_STATUSES, reach_km=LIST_REACH_KM,
                 new_interests=sum(r["status"] == "new"
                                   for r in interest_cases.inbox(get_context(),
                                                                 g.association["id"])))


@bp.get("/interests")
def interests() -> ResponseReturnValue:
    """The inbox: peers who said they are interested, new first; contacts purged when due."""
    ctx = get_context()
    return _page("partner/interests.html", interests=interest_cases.inbox(ctx, g.association["id"]),
                 days=interest_cases.retention_days(ctx),
                 methods=interest_cases.METHOD_LABELS)


@bp.post("/interests/<int:interest_id>/status")
def interest_status(interest_id: int) -> ResponseReturnValue:
    """Mark an interest contacted, taking part or not a fit (its contact is then deleted)."""
    status = request.form.get("status", "")
    try:
        done = interest_cases.mark(get_context(), g.association["id"], interest_id, status)
    except ForbiddenError:
        abort(403, description="That interest is about another association's need.")
    except NotFoundError:
        abort(404, description=f"There is no interest {interest_id}.")
    label = status.replace("_", " ")
    places = (f" {max(done['capacity'] - done['places_taken'], 0)} of {done['capacity']} "
              "places left." if done["capacity"] is not None else "")
    flash(f"Marked {label}; the contact details are deleted.{places}", "info")
    return redirect(url_for("partner.interests"))


@bp.route("/opportunities/new", methods=["GET", "POST"])
def new_opportunity() -> ResponseReturnValue:
    """Create a need."""
    if request.method == "GET":
        return _form_page(None, _form_from(None), {})
    saved, problems = _save(None)
    if saved is None:
        return _form_page(None, _submitted(), problems, 400)
    flash(f"Added “{saved['title']}”.", "info")
    return redirect(url_for("partner.edit_opportunity", opportunity_id=saved["id"]))


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
def edit_opportunity(opportunity_id: int) -> ResponseReturnValue:
    """Edit one of the association's needs; 403 for another association's."""
    opp = _owned_or_abort(opportunity_id)
    if request.method == "GET":
        return _form_page(opp, _form_from(opp), {})
    saved, problems = _save(opportunity_id)
    if saved is None:
        return _form_page(opp, _submitted(), problems, 400)
    flash(f"Saved “{saved['title']}”.", "info")
    return redirect(url_for("partner.edit_opportunity", opportunity_id=opportunity_id))


@bp.post("/opportunities/<int:opportunity_id>/status")
def change_status(opportunity_id: int) -> ResponseReturnValue:
    """Open, pause, mark filled or close a need."""
    opp = _owned_or_abort(opportunity_id)
    status = request.form.get("status", "")
    if status not in OPPORTUNITY_STATUSES:
        abort(400, description=f"status={status!r} is not known; choose one of "
                               f"{', '.join(OPPORTUNITY_STATUSES)}")
    set_opportunity_status(get_store(), g.association["id"], opp["id"], status)
    flash(f"“{opp['title']}” is now {status}.", "info")
    return redirect(url_for("partner.index"))


@bp.get("/status")
def status() -> ResponseReturnValue:
    """Where the registration stands: email confirmed, waiting, approved or not (why)."""
    detail = onboarding.association_profile(get_context(), g.association["id"])
    return _page("partner/status.html", detail=detail,
                 verified=current_user.user.email_verified,
                 decision=detail["reviews"][0] if detail["reviews"] else None)


@bp.post("/status/resend")
def resend_verification() -> ResponseReturnValue:
    """Send a new verification link to the signed-in account (a few an hour at most)."""
    if current_user.user.email_verified:
        flash("Your email is confirmed already.", "info")
    else:
        onboarding.send_verification(
            get_context(), current_user.id,
            link=lambda token: external_url("onboarding.verify_email", token=token))
        flash(f"We sent a new link to {current_user.email}. It can take a few minutes.",
              "info")
    return redirect(url_for("partner.status"))


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> ResponseReturnValue:
    """The association's public profile: name, description, category, place, contact."""
    ctx = get_context()
    current = onboarding.association_profile(ctx, g.association["id"])
    if request.method == "GET":
        return _page("partner/profile.html", form=onboarding.profile_form(current),
                     problems={}, current=current, categories=CATEGORY_LABELS)
    form = {k: request.form.get(k, "").strip()[:5000] for k in onboarding.PROFILE_FORM}
    try:
        _saved, changed = onboarding.update_profile(ctx, g.association["id"], form)
    except onboarding.FormError as exc:
        return _page("partner/profile.html", 400, form=form, problems=exc.problems,
                     current=current, categories=CATEGORY_LABELS)
    flash(f"Saved: {', '.join(c.replace('_', ' ') for c in changed)}." if changed
          else "Nothing changed.", "info")
    return redirect(url_for("partner.profile"))


@bp.route("/token", methods=["GET", "POST"])
def token() -> ResponseReturnValue:
    """Create (shown once) or revoke the API token of the signed-in partner."""
    store = get_store()
    new_token = None
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "create":
            new_token, digest = new_api_token(current_user.id)
            set_api_token_hash(store, current_user.id, digest)
        elif action == "revoke":
            set_api_token_hash(store, current_user.id, None)
            flash("The API token is revoked.", "info")
            return redirect(url_for("partner.token"))
        else:
            abort(400, description=f"action={action!r} is not known; choose create or revoke")
    user = get_user(store, current_user.id)
    return _page("partner/token.html", new_token=new_token,
                 has_token=bool(user and user.has_token),
                 api_url=request.host_url + "api/partner/opportunities")


__all__ = ["bp"]
