"""Admin (``/admin``): review and approve partners, create staff users, read ingest runs.

An association's page (``/admin/associations/<id>``) shows its details, a small map, the
associations with a similar name nearby (possible duplicates) and the format check of its
charity number; an admin approves or rejects it with a reason, which is emailed to it.

Every route needs a signed-in ``admin`` user (checked once for the whole blueprint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from domain.categories import CATEGORY_LABELS
from domain.status import ORG_STATUSES
from domain.status import ROLES
from maps.place import build_place_map
from service.context import get_context
from service.context import get_store
from service.usecases import onboarding
from service.usecases import params
from service.usecases.accounts import ROLE_LABELS
from service.usecases.accounts import hash_password
from service.web.assets import map_document
from service.web.auth import enforce_role
from service.web.auth import safe_next
from service.web.onboarding import external_url
from store.errors import NotFoundError
from store.partner import StatusError
from store.partner import association_choices
from store.partner import get_ingest_run
from store.partner import list_associations
from store.partner import list_ingest_runs
from store.partner import set_association_status
from store.partner import set_organisation_status
from store.reads import list_organisations
from store.users import UserError
from store.users import UserExistsError
from store.users import create_user
from store.users import list_users
from store.users import set_user_active

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue


bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 100
REJECTED_PAGE_SIZE = 200


@bp.before_request
def _only_admins() -> ResponseReturnValue | None:
    return enforce_role("admin")


def _status_arg() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in ORG_STATUSES:
        abort(400, description=f"status={status!r} is not known; choose one of "
                               f"{', '.join(ORG_STATUSES)}")
    return status


def _page_arg(name: str = "page") -> int:
    return params.page(request.args.get(name), name=name)


def _back(default: str) -> ResponseReturnValue:
    return redirect(safe_next(request.form.get("next")) or default)


@bp.get("/")
def index() -> ResponseReturnValue:
    """What needs an admin: partners waiting for approval, users, the latest ingest runs."""
    store = get_store()
    orgs = list_organisations(store)
    _rows, pending_assocs = list_associations(store, status="pending", limit=1)
    return render_template(
        "admin/index.html",
        pending_orgs=sum(o["status"] == "pending" for o in orgs),
        pending_assocs=pending_assocs, users=len(list_users(store)),
        runs=list_ingest_runs(store, limit=5), has_demo=any(o["is_demo"] for o in orgs),
    )


@bp.get("/organisations")
def organisations() -> ResponseReturnValue:
    """Peer organisations, optionally of one status, with approve/suspend buttons."""
    status = _status_arg()
    rows = [o for o in list_organisations(get_store()) if status is None or o["status"] == status]
    return render_template("admin/organisations.html", organisations=rows, status=status,
                           statuses=ORG_STATUSES, has_demo=any(o["is_demo"] for o in rows))


@bp.get("/associations")
def associations() -> ResponseReturnValue:
    """Associations by name, filtered by status and a name search, a page at a time."""
    status = _status_arg()
    query = request.args.get("q", "")[:200]
    page = _page_arg()
    rows, total = list_associations(get_store(), status=status, name_contains=query or None,
                                    limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("admin/associations.html", associations=rows, total=total,
                           status=status, statuses=ORG_STATUSES, q=query, page=page,
                           pages=pages, has_demo=any(a["is_demo"] for a in rows))


_STATUS_SETTERS = {"organisations": set_organisation_status,
                   "associations": set_association_status}


@bp.post("/<any(organisations, associations):kind>/<int:record_id>/status")
def record_status(kind: str, record_id: int) -> ResponseReturnValue:
    """Set a peer organisation's or an association's status (approved, suspended, pending)."""
    try:
        done = _STATUS_SETTERS[kind](get_store(), record_id, request.form.get("status", ""))
    except StatusError as exc:
        abort(400, description=str(exc))
    except NotFoundError as exc:
        abort(404, description=str(exc))
    flash(f"{done['name']} is now {done['status']} (was {done['was']}).", "info")
    return _back(url_for(f"admin.{kind}"))


def _detail_page(association_id: int, *, problems: dict[str, str] | None = None,
                 reason: str = "", status: int = 200) -> ResponseReturnValue:
    try:
        detail = onboarding.admin_detail(get_context(), association_id)
    except NotFoundError as exc:
        abort(404, description=str(exc))
    assoc = detail["association"]
    map_html = None
    if assoc["lat"] is not None and assoc["lon"] is not None:
        m = None
        for dup in detail["duplicates"]:
            if dup.get("lat") is not None and dup.get("lon") is not None:
                m = build_place_map((dup["lat"], dup["lon"]),
                                    label=f"Possible duplicate: {dup['name']}", m=m, zoom=12)
        m = build_place_map((assoc["lat"], assoc["lon"]), label=assoc["name"], m=m,
                            approximate=assoc["location_precision"] != "exact", zoom=12)
        map_html = map_document(m)
    return render_template("admin/association.html", **detail, map_html=map_html,
                           problems=problems or {}, reason=reason,
                           has_demo=assoc["is_demo"]), status


@bp.get("/associations/<int:association_id>")
def association(association_id: int) -> ResponseReturnValue:
    """One association before deciding: details, map, possible duplicates, charity number."""
    return _detail_page(association_id)


@bp.post("/associations/<int:association_id>/decision")
def association_decision(association_id: int) -> ResponseReturnValue:
    """Approve or reject an association; the decision and reason are emailed to it."""
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "").strip()[:5000]
    try:
        done = onboarding.decide(get_context(), association_id, decision, reason=reason,
                                 admin_id=current_user.id,
                                 portal_url=external_url("partner.status"))
    except onboarding.FormError as exc:
        return _detail_page(association_id, problems=exc.problems, reason=reason, status=400)
    except NotFoundError as exc:
        abort(404, description=str(exc))
    told = "and emailed" if done["told"] else "but no email could be sent"
    flash(f"{done['name']} is {done['decision']} ({told}).", "info")
    return redirect(url_for("admin.association", association_id=association_id))


@bp.route("/associations/new", methods=["GET", "POST"])
def new_association() -> ResponseReturnValue:
    """Add an association by hand (approved at once, or pending)."""
    if request.method == "GET":
        return render_template("admin/association_form.html", form={"status": "approved"},
                               problems={}, categories=CATEGORY_LABELS)
    form = {k: request.form.get(k, "").strip()[:5000]
            for k in (*onboarding.PROFILE_FORM, "status")}
    try:
        made = onboarding.add_association(get_context(), form)
    except onboarding.FormError as exc:
        return render_template("admin/association_form.html", form=form,
                               problems=exc.problems, categories=CATEGORY_LABELS), 400
    flash(f"Added {made['name']} ({made['status']}).", "info")
    return redirect(url_for("admin.association", association_id=made["id"]))


@bp.get("/users")
def users() -> ResponseReturnValue:
    """Every staff user, with a suspend/reactivate button."""
    return render_template("admin/users.html", users=list_users(get_store()),
                           role_labels=ROLE_LABELS)


def _user_form(form: dict[str, str], problem: str | None = None,
               status: int = 200) -> ResponseReturnValue:
    store = get_store()
    orgs = sorted(((o["id"], o["name"]) for o in list_organisations(store)),
                  key=lambda o: o[1].lower())
    return render_template("admin/user_form.html", form=form, problem=problem, roles=ROLES,
                           role_labels=ROLE_LABELS, organisations=orgs,
                           associations=association_choices(store)), status


def _optional_id(text: str, name: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        msg = f"{name}={text!r} is not an id: pick one from the list"
        raise UserError(msg)
    return int(text)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> ResponseReturnValue:
    """Create a staff user: email, password, role and what the role is linked to."""
    if request.method == "GET":
        return _user_form({"role": "association"})
    form = {k: request.form.get(k, "").strip()
            for k in ("email", "role", "organisation_id", "association_id")}
    password = request.form.get("password", "")
    role = form["role"]
    try:
        if password != request.form.get("password_again", ""):
            msg = "the two passwords differ: type the same password twice"
            raise UserError(msg)
        password_hash = hash_password(password, user_inputs=(form["email"],))
        organisation_id = _optional_id(form["organisation_id"], "organisation_id")
        association_id = _optional_id(form["association_id"], "association_id")
        # Only the link that the role uses is kept; the other select may hold a leftover.
        user = create_user(
            get_store(), email=form["email"], password_hash=password_hash, role=role,
            organisation_id=organisation_id if role == "hotspot_lead" else None,
            association_id=association_id if role == "association" else None)
    except (UserError, UserExistsError, ValueError) as exc:
        return _user_form(form, str(exc), 400)
    flash(f"Created {ROLE_LABELS.get(user.role, user.role)} account {user.email}.", "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int) -> ResponseReturnValue:
    """Suspend (``active=0``) or reactivate (``active=1``) a staff user."""
    value = request.form.get("active", "")
    if value not in {"0", "1"}:
        abort(400, description=f"active={value!r} is not known; use 1 (reactivate) or "
                               "0 (suspend)")
    if user_id == current_user.id and value == "0":
        abort(400, description="You cannot suspend your own account.")
    try:
        user = set_user_active(get_store(), user_id, active=value == "1")
    except NotFoundError as exc:
        abort(404, description=str(exc))
    flash(f"{user.email} is {'active' if user.active else 'suspended'}.", "info")
    return redirect(url_for("admin.users"))


@bp.get("/ingest")
def ingest_runs() -> ResponseReturnValue:
    """The latest ingest runs, newest first."""
    return render_template("admin/ingest_runs.html", runs=list_ingest_runs(get_store()))


@bp.get("/ingest/<int:run_id>")
def ingest_run(run_id: int) -> ResponseReturnValue:
    """One ingest run and its rejected rows with reasons, a page at a time."""
    try:
        run = get_ingest_run(get_store(), run_id)
    except NotFoundError as exc:
        abort(404, description=str(exc))
    page = _page_arg()
    rejected: list[dict[str, Any]] = list(run.get("rejected") or [])
    pages = max(1, -(-len(rejected) // REJECTED_PAGE_SIZE))
    start = (page - 1) * REJECTED_PAGE_SIZE
    return render_template("admin/ingest_run.html", run=run,
                           rejected=rejected[start:start + REJECTED_PAGE_SIZE],
                           n_rejected=len(rejected), page=page, pages=pages)


__all__ = ["bp"]
