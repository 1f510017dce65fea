"""Joining and getting back in: registration, email verification, password reset.

* ``/partner/register`` (``/signup``, ``/register``, ``/join`` and ``/partner/signup`` lead
  there): an association registers itself and its account; it waits as pending.
* ``/verify-email?token=``: the link of the verification email. Opening it shows a button;
  pressing it (a POST) spends the single-use token, so mail scanners that open links do not.
* ``/forgot-password`` and ``/reset-password?token=``: a single-use reset link by email
  (1 hour by default, ``COMMONGROUND_PASSWORD_RESET_TTL``); a new password ends every
  session of the account.

Every POST carries the CSRF token and is rate-limited per client address
(``COMMONGROUND_ACCOUNT_RATE_LIMIT``, :mod:`service.web.security`). Thin: parse, call
:mod:`service.usecases.onboarding`, render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import logout_user

from domain.categories import CATEGORY_LABELS
from service.context import get_context
from service.usecases import onboarding as cases
from service.usecases.accounts import MIN_PASSWORD_LENGTH

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("onboarding", __name__)

REGISTER_FIELDS = ("name", "category", "location", "lat", "lon", "contact_email",
                   "contact_phone", "charity_number", "website", "description", "email")


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email: ``COMMONGROUND_PUBLIC_URL`` when set, else this host."""
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    headers = {}
    if "token" in context:
        # The single-use token is in this page's address (the emailed link): no Referer at
        # all from here, not even to this site (request logs never hold query strings).
        headers["Referrer-Policy"] = "no-referrer"
    return (render_template(template, min_password=MIN_PASSWORD_LENGTH, **context), status,
            headers)


# ------------------------------------------------------------------------------ register


@bp.get("/signup")
@bp.get("/register")
@bp.get("/join")
@bp.get("/partner/signup")
def register_elsewhere() -> ResponseReturnValue:
    """The addresses people guess lead to the registration page."""
    return redirect(url_for("onboarding.register"), 301)


def _register_form(form: dict[str, str], problems: dict[str, str],
                   status: int = 200) -> ResponseReturnValue:
    return _page("onboarding/register.html", status, form=form, problems=problems,
                 categories=CATEGORY_LABELS)


@bp.route("/partner/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Register an association: its details, place, public contact and an account."""
    if request.method == "GET":
        return _register_form({"category": ""}, {})
    form = {k: request.form.get(k, "").strip()[:5000] for k in REGISTER_FIELDS}
    try:
        done = cases.register(
            get_context(), request.form,
            link=lambda token: external_url("onboarding.verify_email", token=token),
            sign_in_url=external_url("auth.login"),
            reset_url=external_url("onboarding.forgot_password"))
    except cases.FormError as exc:
        return _register_form(form, exc.problems, 400)
    return _page("onboarding/check_email.html", email=done["email"], hours=done["hours"],
                 purpose="verify")


@bp.route("/verify-email", methods=["GET", "POST"])
def verify_email() -> ResponseReturnValue:
    """Confirm an account's email with the link's token (the button POSTs it)."""
    token = request.values.get("token", "")[:300]
    ctx = get_context()
    if request.method == "GET":
        problem = cases.token_problem(ctx, token, "verify_email")
        return _page("onboarding/verify.html", 400 if problem else 200, token=token,
                     problem=problem)
    try:
        done = cases.verify(ctx, token)
    except cases.FormError as exc:
        g.token_failed = True
        return _page("onboarding/verify.html", 400, token="", problem=exc.problems["token"])
    return _page("onboarding/verified.html", email=done["email"],
                 association=done["association"])


# ------------------------------------------------------------------------ password reset


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    """Ask for a reset link; the answer is the same whether the address has an account."""
    if request.method == "GET":
        return _page("onboarding/forgot.html", email=request.args.get("email", "")[:254])
    email = request.form.get("email", "").strip()[:254]
    cases.request_reset(get_context(), email,
                        link=lambda token: external_url("onboarding.reset_password",
                                                        token=token))
    return _page("onboarding/check_email.html", email=email,
                 hours=cases.duration_text(cases.reset_ttl(get_context())),
                 purpose="reset")


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password() -> ResponseReturnValue:
    """Choose a new password with the link's token; every session of the account ends."""
    token = request.values.get("token", "")[:300]
    ctx = get_context()
    if request.method == "GET":
        problem = cases.token_problem(ctx, token, "reset_password")
        return _page("onboarding/reset.html", 400 if problem else 200, token=token,
                     problem=problem, problems={})
    try:
        cases.reset(ctx, token, request.form.get("password", ""),
                    request.form.get("password_again", ""))
    except cases.FormError as exc:
        if "token" in exc.problems:
            g.token_failed = True
            return _page("onboarding/reset.html", 400, token="",
                         problem=exc.problems["token"], problems={})
        return _page("onboarding/reset.html", 400, token=token, problem=None,
                     problems=exc.problems)
    if current_user.is_authenticated:
        logout_user()  # this browser's session has ended with all the others
    flash("Your password is changed and every session of your account has ended. "
          "Sign in with the new password.", "info")
    return redirect(url_for("auth.login"))


__all__ = ["bp", "external_url"]
