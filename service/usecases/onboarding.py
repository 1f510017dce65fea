"""Onboarding: an association registers, verifies its email, is approved or rejected.

Plain Python (no Flask). The pages hand in the submitted form and a function that makes a
link from a token; these use cases check the form with the field rules of the rest of the
product (:func:`store.associations.clean_association`), place the association with the
offline geocoder, make single-use tokens (random, 256 bits; only their SHA-256 digest is
stored, :mod:`store.tokens`), and send the emails (:mod:`service.usecases.mail`).

No enumeration: registering with an email that has an account answers exactly as a new
registration does (the owner of that address is emailed instead, with a sign-in and a
password-reset hint), and asking for a password reset answers the same for any address.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
import secrets
from typing import TYPE_CHECKING
from typing import Any

from domain.categories import CATEGORY_LABELS
from domain.charity import check_charity_number
from domain.labels import shown
from geo.errors import GeoError
from geo.gazetteer import Gazetteer
from geo.postcode import InvalidPostcodeError
from geo.postcode import parse_postcode
from service.usecases import wiring
from service.usecases.accounts import hash_password
from service.usecases.accounts import token_digest
from service.usecases.mail import try_send
from service.usecases.partner import locate_postcode
from store import associations as store_assoc
from store import tokens as store_tokens
from store.users import UserError
from store.users import UserExistsError
from store.users import find_user_by_email
from store.users import get_user
from store.users import normalise_email

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping

    from service.usecases.context import Context

log = logging.getLogger("commonground.onboarding")
#: Radius (km) in which an admin is shown associations with similar names.
DUPLICATE_KM = 5.0
#: How alike two names must be (difflib ratio of their words) to be shown as a duplicate.
NAME_SIMILARITY = 0.6
#: At most this many reset or verification emails per account per hour (quietly capped).
EMAILS_PER_HOUR = 5
PROFILE_FORM = ("name", "category", "description", "website", "contact_email",
                "contact_phone", "charity_number", "location", "lat", "lon", "address")
_NOISE = frozenset(("the", "of", "and", "friends", "group", "club", "society", "trust",
                    "association", "ltd", "limited", "cic", "community"))
FORM_ORDER = ("name", "category", "description", "website", "charity_number", "location",
              "postcode", "location_precision", "lat", "lat,lon", "lon", "address",
              "contact_email", "contact_phone", "email", "password", "password_again")
PASSWORDS_DIFFER = "The two passwords differ. Type the same password twice."
TOKEN_MESSAGES = {
    "unknown": "This link is not valid: check that the whole link from the email was "
               "copied, or ask for a new one.",
    "used": "This link has been used already: each link works once. Sign in, or ask for a "
            "new link.",
    "expired": "This link has expired. Ask for a new one.",
}
"""What a person is told about a link that cannot be used, by :class:`TokenError` reason."""


class FormError(ValueError):
    """A form with problems; ``problems`` maps each field to what is wrong."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        # in the order of the forms, so that the first one is the first field to correct
        self.problems = dict(sorted(problems.items(), key=lambda kv: (
            FORM_ORDER.index(kv[0]) if kv[0] in FORM_ORDER else len(FORM_ORDER))))
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.problems.items()))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def reset_ttl(ctx: Context) -> dt.timedelta:
    """How long a password-reset link works (``PASSWORD_RESET_TTL`` seconds, 1 hour)."""
    return dt.timedelta(seconds=int(ctx.settings.get("PASSWORD_RESET_TTL") or 3600))


def verify_ttl(ctx: Context) -> dt.timedelta:
    """How long an email-verification link works (``EMAIL_VERIFY_TTL`` seconds, 48 hours)."""
    return dt.timedelta(seconds=int(ctx.settings.get("EMAIL_VERIFY_TTL") or 172_800))


def _send(ctx: Context, to: list[str], subject: str, body: str) -> bool:
    return try_send(ctx.settings, to=to, subject=subject, body=body, log=log, what="onboarding")


def duration_text(delta: dt.timedelta) -> str:
    """``"1 hour"``, ``"48 hours"`` or ``"30 minutes"``."""
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    return "1 hour" if hours == 1 else f"{hours:g} hours"


def _new_token(ctx: Context, user_id: int, purpose: str, ttl: dt.timedelta) -> str | None:
    """A new token for the user (``None`` past :data:`EMAILS_PER_HOUR`)."""
    since = _now() - dt.timedelta(hours=1)
    if store_tokens.count_tokens(ctx.store, user_id, purpose, since=since) >= EMAILS_PER_HOUR:
        log.info("%s email not sent: hourly cap for an account reached", purpose)
        return None
    token = secrets.token_urlsafe(32)
    store_tokens.add_token(ctx.store, user_id, purpose, token_digest(token),
                           expires_at=_now() + ttl)
    return token


# ------------------------------------------------------------------------------ location


def locate(ctx: Context, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Position values from the form's ``location`` (postcode or town) or ``lat``/``lon``.

    Latitude and longitude win when given (checked later by the field rules, with the
    service area); else a postcode goes through the app's geocoder and a town through the
    offline gazetteer. Returns the values and the problems.
    """
    lat, lon = str(form.get("lat") or "").strip(), str(form.get("lon") or "").strip()
    where = " ".join(str(form.get("location") or "").split())
    if lat or lon:
        return {"lat": lat or None, "lon": lon or None, "location_precision": "exact"}, {}
    if not where:
        return {}, {"location": "Location is missing. Enter a postcode, a town, or a "
                                "latitude and longitude."}
    try:
        parse_postcode(where, allow=("full", "district"))
    except InvalidPostcodeError:
        pass
    else:
        try:
            return locate_postcode(ctx, where), {}
        except ValueError as exc:
            return {}, {"location": str(exc)}
    try:
        place = Gazetteer.from_geonames("GB").resolve(where)
    except GeoError as exc:
        return {}, {"location": f"{exc}. Or enter a postcode, or a latitude and longitude."}
    return {"lat": place.lat, "lon": place.lon, "location_precision": "town"}, {}


def _profile_values(ctx: Context, form: Mapping[str, Any], *, partial: bool
                    ) -> tuple[dict[str, Any], dict[str, str]]:
    values = {k: str(form.get(k) or "").strip() or None
              for k in ("name", "category", "description", "website", "contact_email",
                        "contact_phone", "charity_number", "address")}
    problems: dict[str, str] = {}
    if partial and not any(str(form.get(k) or "").strip() for k in ("location", "lat", "lon")):
        return values, problems  # the position is kept
    found, problems = locate(ctx, form)
    values.update(found)
    return values, problems


def _clean(ctx: Context, values: dict[str, Any], problems: dict[str, str], *,
           partial: bool) -> dict[str, Any]:
    area = wiring.service_area(ctx.service_area)
    try:
        clean = store_assoc.clean_association(values, partial=partial, area=area)
    except store_assoc.AssociationError as exc:
        found = dict(exc.problems)
        if "location" in problems:
            found.pop("location", None)
        raise FormError({**found, **problems}) from None
    if problems:
        raise FormError(problems)
    return clean


# ---------------------------------------------------------------------------- register


def register(ctx: Context, form: Mapping[str, Any], *,
             link: Callable[[str], str], sign_in_url: str, reset_url: str) -> dict[str, Any]:
    """Register an association and its account, and send the verification email.

    Parameters
    ----------
    ctx
        The use-case context.
    form
        ``name``, ``category``, ``location`` (or ``lat``/``lon``), ``contact_email``,
        ``contact_phone``, ``charity_number``, ``website``, ``description``, ``email``,
        ``password``, ``password_again``.
    link
        Makes the verification link from a token.
    sign_in_url, reset_url
        Told to the owner of an address that has an account already.

    Returns
    -------
    dict
        ``email`` (where the link went) and ``hours`` (how long it works). The same for a
        new address and for one that has an account.

    Raises
    ------
    FormError
        With every problem of the form.
    """
    values, problems = _profile_values(ctx, form, partial=False)
    email = str(form.get("email") or "").strip()
    password = str(form.get("password") or "")
    try:
        email = normalise_email(email)
    except UserError:
        problems["email"] = (f"Your email {shown(email)} is not an email address. Enter one "
                             "such as name@example.org.")
    if password != str(form.get("password_again") or ""):
        problems["password_again"] = PASSWORDS_DIFFER
    password_hash = None
    try:
        password_hash = hash_password(password, user_inputs=(email, str(values.get("name"))))
    except ValueError as exc:
        problems["password"] = str(exc)
    clean = _clean(ctx, values, problems, partial=False)
    assert password_hash is not None  # noqa: S101 - a problem otherwise, raised above
    ttl = verify_ttl(ctx)
    try:
        done = store_assoc.register_association(ctx.store, clean, email=email,
                                                password_hash=password_hash)
    except UserExistsError:
        _send(ctx, [email], "You already have a CommonGround account", (
            "Someone (perhaps you) tried to register an association on CommonGround with "
            "this email address, which already has an account. Nothing was changed.\n\n"
            f"Sign in: {sign_in_url}\nForgot your password? {reset_url}\n\n"
            "If it was not you, you can ignore this email.\n"))
        log.info("registration with an email that has an account: owner told")
        return {"email": email, "hours": duration_text(ttl)}
    send_verification(ctx, done["user_id"], link=link)
    log.info("association %s registered, pending", done["association_id"])
    return {"email": email, "hours": duration_text(ttl)}


def send_verification(ctx: Context, user_id: int, *, link: Callable[[str], str]) -> bool:
    """Email the user a new verification link; whether one went out."""
    user = get_user(ctx.store, user_id)
    if user is None or user.email_verified or not user.active:
        return False
    ttl = verify_ttl(ctx)
    token = _new_token(ctx, user.id, "verify_email", ttl)
    if token is None:
        return False
    return _send(ctx, [user.email], "Confirm your email for CommonGround", (
        f"Thank you for registering {user.association or 'your association'} on "
        "CommonGround.\n\nTo confirm this email address, open this link and press "
        f"\"Confirm my email\":\n{link(token)}\n\nThe link works once, for "
        f"{duration_text(ttl)}. Then an admin reviews your association; we email you when it is "
        "approved.\n\nIf you did not register, ignore this email.\n"))


def token_problem(ctx: Context, token: str, purpose: str) -> str | None:
    """What is wrong with a link's token (see :data:`TOKEN_MESSAGES`), or ``None``."""
    if not token or len(token) > 200:  # noqa: PLR2004
        return TOKEN_MESSAGES["unknown"]
    try:
        store_tokens.check_token(ctx.store, token_digest(token), purpose)
    except store_tokens.TokenError as exc:
        return TOKEN_MESSAGES[exc.reason]
    return None


def verify(ctx: Context, token: str) -> dict[str, Any]:
    """Spend a verification token: the account's email is verified.

    Raises
    ------
    FormError
        ``{"token": message}`` for an unknown, used or expired link.
    """
    problem = token_problem(ctx, token, "verify_email")
    if problem is not None:
        raise FormError({"token": problem})
    try:
        user_id = store_tokens.verify_email(ctx.store, token_digest(token))
    except store_tokens.TokenError as exc:
        raise FormError({"token": TOKEN_MESSAGES[exc.reason]}) from None
    user = get_user(ctx.store, user_id)
    log.info("email of account %s verified", user_id)
    return {"email": user.email if user else "", "association": user.association if user
            else None}


# ------------------------------------------------------------------------ password reset


def request_reset(ctx: Context, email: str, *, link: Callable[[str], str]) -> None:
    """Email a reset link to the account of ``email``, if there is an active one.

    Answers the same (nothing) whatever the address, so that no one learns who has an
    account.
    """
    user = find_user_by_email(ctx.store, str(email or "")[:254])
    if user is None or not user.active:
        log.info("password reset asked for an address without an active account")
        return
    ttl = reset_ttl(ctx)
    token = _new_token(ctx, user.id, "reset_password", ttl)
    if token is None:
        return
    _send(ctx, [user.email], "Reset your CommonGround password", (
        "Someone (perhaps you) asked to reset the password of your CommonGround account.\n\n"
        f"Choose a new password here:\n{link(token)}\n\nThe link works once, for "
        f"{duration_text(ttl)}. Setting a new password signs you out everywhere.\n\n"
        "If you did not ask, ignore this email: your password stays as it is.\n"))


def reset(ctx: Context, token: str, password: str, again: str) -> dict[str, Any]:
    """Set a new password with a reset token; every session of the user ends.

    Raises
    ------
    FormError
        ``token`` (unknown, used, expired), ``password`` (policy) or ``password_again``.
    """
    problem = token_problem(ctx, token, "reset_password")
    if problem is not None:
        raise FormError({"token": problem})
    user_id = store_tokens.check_token(ctx.store, token_digest(token), "reset_password")
    user = get_user(ctx.store, user_id)
    problems: dict[str, str] = {}
    if password != again:
        problems["password_again"] = PASSWORDS_DIFFER
    try:
        password_hash = hash_password(password, user_inputs=(user.email if user else "",))
    except ValueError as exc:
        problems["password"] = str(exc)
    if problems:
        raise FormError(problems)
    try:
        store_tokens.reset_password(ctx.store, token_digest(token), password_hash)
    except store_tokens.TokenError as exc:
        raise FormError({"token": TOKEN_MESSAGES[exc.reason]}) from None
    log.info("password of account %s reset; its sessions ended", user_id)
    return {"email": user.email if user else ""}


# ------------------------------------------------------------------------------ profile


def association_profile(ctx: Context, association_id: int) -> dict[str, Any]:
    """An association with its accounts and decisions (see ``store.associations``)."""
    return store_assoc.get_association(ctx.store, association_id)


def profile_form(assoc: Mapping[str, Any]) -> dict[str, str]:
    """The profile form's fields as text, from a stored association."""
    form = {k: str(assoc.get(k) or "") for k in PROFILE_FORM if k in assoc}
    form["location"] = ""
    form["lat"] = "" if assoc.get("lat") is None else f"{assoc['lat']:.6f}"
    form["lon"] = "" if assoc.get("lon") is None else f"{assoc['lon']:.6f}"
    return form


def update_profile(ctx: Context, association_id: int, form: Mapping[str, Any]
                   ) -> tuple[dict[str, Any], list[str]]:
    """Save a partner's (or an admin's) changes to an association's profile.

    A postcode or town typed in ``location`` moves it; otherwise ``lat``/``lon`` do when
    they changed. Returns the association and the fields that changed (logged, without
    their values).

    Raises
    ------
    FormError
        With every problem of the form.
    """
    current = store_assoc.get_association(ctx.store, association_id)
    given = dict(form)
    old = profile_form(current)
    if (str(given.get("lat") or "").strip(), str(given.get("lon") or "").strip()) == \
            (old["lat"], old["lon"]):
        given["lat"] = given["lon"] = ""  # unchanged: the stored one stays, or a typed place
    values, problems = _profile_values(ctx, given, partial=True)
    clean = _clean(ctx, values, problems, partial=True)
    saved, changed = store_assoc.update_association(
        ctx.store, association_id, clean, area=wiring.service_area(ctx.service_area))
    if changed:
        log.info("association %s profile changed: %s", association_id, ", ".join(changed))
    return saved, changed


def add_association(ctx: Context, form: Mapping[str, Any]) -> dict[str, Any]:
    """An admin adds an association by hand (approved at once, or pending)."""
    values, problems = _profile_values(ctx, form, partial=False)
    clean = _clean(ctx, values, problems, partial=False)
    status = "approved" if str(form.get("status") or "") == "approved" else "pending"
    made = store_assoc.create_association(ctx.store, clean, status=status, source="admin",
                                          area=wiring.service_area(ctx.service_area))
    log.info("association %s added by an admin (%s)", made["id"], status)
    return made


# ------------------------------------------------------------------------------- review


def _words(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return " ".join(w for w in words if w not in _NOISE) or " ".join(words)


def similar_names(a: str, b: str) -> bool:
    """Whether two association names look like the same group.

    >>> similar_names("Friends of Wigan Canal", "Wigan Canal Friends Group")
    True
    >>> similar_names("Wigan Canal Friends", "Wigan Rugby Club")
    False
    """
    x, y = _words(a), _words(b)
    if not x or not y:
        return False
    if x == y or set(x.split()) == set(y.split()):
        return True
    return difflib.SequenceMatcher(None, x, y).ratio() >= NAME_SIMILARITY


def admin_detail(ctx: Context, association_id: int) -> dict[str, Any]:
    """What an admin sees about one association before deciding.

    Returns
    -------
    dict
        ``association`` (with ``accounts`` and ``reviews``), ``duplicates`` (associations
        within :data:`DUPLICATE_KM` with a similar name, or anywhere with the same charity
        number; each with ``why``), ``charity`` (the format check or ``None``) and
        ``category_label``.
    """
    assoc = store_assoc.get_association(ctx.store, association_id)
    duplicates: dict[int, dict[str, Any]] = {}
    if assoc["lat"] is not None and assoc["lon"] is not None:
        for row in store_assoc.nearby_associations(
                ctx.store, (assoc["lat"], assoc["lon"]), DUPLICATE_KM, exclude_id=assoc["id"]):
            if similar_names(assoc["name"], row["name"]):
                duplicates[row["id"]] = row | {"why": f"similar name, {row['distance_km']:.1f} km "
                                                      "away"}
    if assoc["charity_number"]:
        for row in store_assoc.association_with_charity_number(
                ctx.store, assoc["charity_number"], exclude_id=assoc["id"]):
            found = duplicates.setdefault(row["id"], row | {"why": ""})
            found["why"] = "; ".join(w for w in (found["why"], "same charity number") if w)
    return {"association": assoc, "duplicates": list(duplicates.values()),
            "charity": check_charity_number(assoc["charity_number"]),
            "category_label": CATEGORY_LABELS.get(assoc["category"], assoc["category"])}


def decide(ctx: Context, association_id: int, decision: str, *, reason: str | None,
           admin_id: int | None, portal_url: str) -> dict[str, Any]:
    """Approve or reject an association and email the decision (with the reason).

    The email goes to the association's accounts, or to its public contact when it has no
    account (one an admin added by hand).

    Raises
    ------
    FormError
        On an unknown decision or a rejection without a reason.
    """
    try:
        done = store_assoc.review_association(ctx.store, association_id, decision,
                                              reason=reason, admin_id=admin_id)
    except store_assoc.AssociationError as exc:
        raise FormError(exc.problems) from None
    to = done["emails"]
    if not to:
        contact = store_assoc.get_association(ctx.store, association_id)["contact_email"]
        to = [contact] if contact else []
    note = f"\n\nThe admin's note: {done['reason']}" if done["reason"] else ""
    if decision == "approved":
        subject = f"{done['name']} is approved on CommonGround"
        body = (f"Good news: {done['name']} is now an approved partner on CommonGround."
                f"{note}\n\nSign in to list your needs; peers from ACT Peer Recovery "
                f"meetings nearby will find them:\n{portal_url}\n")
    else:
        subject = f"{done['name']} was not approved on CommonGround"
        body = (f"{done['name']} was not approved on CommonGround.{note}\n\nIf something "
                "can be put right, reply to the team or register again with the details "
                f"corrected. You can still sign in to see this decision:\n{portal_url}\n")
    done["told"] = _send(ctx, to, subject, body)
    log.info("association %s %s by admin %s", association_id, decision, admin_id)
    return done


__all__ = [
    "DUPLICATE_KM",
    "PROFILE_FORM",
    "TOKEN_MESSAGES",
    "FormError",
    "add_association",
    "admin_detail",
    "association_profile",
    "decide",
    "duration_text",
    "locate",
    "profile_form",
    "register",
    "request_reset",
    "reset",
    "reset_ttl",
    "send_verification",
    "similar_names",
    "token_problem",
    "update_profile",
    "verify",
    "verify_ttl",
]
