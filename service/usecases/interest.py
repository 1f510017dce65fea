"""A peer's "I'm interested" in a need, the partner's inbox, and the purge of contacts.

Plain Python: takes the use-case :class:`~service.usecases.context.Context` and parsed
values, returns plain data. A peer has no account; what is stored is described in
:mod:`store.interests`. Contact details are deleted when the partner handles the interest or
after ``INTEREST_RETENTION_DAYS`` (30 by default), whichever comes first: the purge runs on
every visit to a partner's inbox and with ``commonground purge`` (run it daily from cron).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TYPE_CHECKING
from typing import Any

from domain.status import CONTACT_METHODS
from service.usecases.errors import BadParameterError
from service.usecases.listings import public_opportunity
from service.usecases.mail import try_send
from store.interests import list_interests
from store.interests import purge_expired
from store.interests import record_interest
from store.interests import set_interest_status
from store.users import normalise_email

if TYPE_CHECKING:
    from collections.abc import Mapping

    from service.usecases.context import Context

log = logging.getLogger("commonground.interest")
_PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
METHOD_LABELS = {"email": "by email", "phone": "by phone", "meeting": "through my meeting"}


def retention_days(ctx: Context) -> int:
    """How many days a peer's contact details are kept at most."""
    return int(ctx.settings.get("INTEREST_RETENTION_DAYS") or 30)


def parse_interest(form: Mapping[str, Any]) -> dict[str, Any]:
    """Check the form: ``method`` and the ``email``, ``phone`` or ``meeting_id`` it needs.

    Raises
    ------
    BadParameterError
        Naming the field by the form's label (``Your email``) and saying what to type.
    """
    method = str(form.get("method") or "")
    if method not in CONTACT_METHODS:
        msg = ("How should they reach you? Choose by email, by phone or through your "
               "meeting.")
        raise BadParameterError(msg, param="method", value=method or None)
    if method == "email":
        email = str(form.get("email") or "").strip()
        if len(email) > 254 or not _EMAIL.match(email):  # noqa: PLR2004
            msg = ("Your email is not an email address we can use. Type the address to reach "
                   "you at, such as name@example.org.")
            raise BadParameterError(msg, param="email")
        return {"method": method, "contact": normalise_email(email)}
    if method == "phone":
        phone = " ".join(str(form.get("phone") or "").split())
        if not _PHONE.match(phone):
            msg = ("Your phone number is not a number we can use. Type the number to reach you "
                   "on, such as 07700 900123.")
            raise BadParameterError(msg, param="phone")
        return {"method": method, "contact": phone}
    raw = str(form.get("meeting_id") or "")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        msg = "Your meeting is not chosen. Choose the meeting you go to from the list."
        raise BadParameterError(msg, param="meeting_id", value=raw or None)
    return {"method": method, "meeting_id": int(raw)}


def _send(ctx: Context, to: list[str], subject: str, body: str) -> bool:
    return try_send(ctx.settings, to=to, subject=subject, body=body, log=log, what="interest")


def express_interest(ctx: Context, opportunity_id: int, parsed: Mapping[str, Any], *,
                     inbox_url: str) -> dict[str, Any]:
    """Record a peer's interest in a listed need and tell who should know.

    By email or phone: the association is emailed the contact. Through a meeting: only the
    meeting's peer organisation is emailed, with nothing about the peer; the association
    sees in its inbox that someone will come through that organisation.

    Returns
    -------
    dict
        ``method``, ``opportunity`` (title), ``association`` (name), ``organisation`` (name
        or ``None``), ``days`` (retention) and ``told`` (whether an email went out).
    """
    opp, assoc = public_opportunity(ctx.store, opportunity_id)  # 404 unless listed
    found = record_interest(ctx.store, opportunity_id, method=parsed["method"],
                            contact=parsed.get("contact"), meeting_id=parsed.get("meeting_id"))
    days = retention_days(ctx)
    title = opp["title"]
    if parsed["method"] == "meeting":
        org = found["organisation"]["name"] if found["organisation"] else "your organisation"
        body = (f"Someone at your meeting {found['meeting']['name']} would like to try "
                f"\"{title}\" with {assoc['name']}.\n\nThey chose to be put in touch through "
                "their meeting, so CommonGround holds nothing about them. Mention it at the "
                "next meeting, and contact the association:\n"
                f"  {assoc.get('contact_email') or ''} {assoc.get('contact_phone') or ''}\n")
        told = _send(ctx, found["organisation_emails"],
                     f"Someone at {found['meeting']['name']} is interested in {title}", body)
        return {"method": "meeting", "opportunity": title, "association": assoc["name"],
                "organisation": org, "days": days, "told": told}
    how = "email" if parsed["method"] == "email" else "phone"
    body = (f"Someone from an ACT Peer Recovery meeting would like to try \"{title}\".\n\n"
            f"Please get in touch by {how}: {parsed['contact']}\n\n"
            f"Then mark it in your inbox: {inbox_url}\nThe contact details are deleted when "
            f"you mark it, or after {days} days, whichever comes first.\n")
    told = _send(ctx, found["association_emails"], f"Someone is interested in {title}", body)
    return {"method": parsed["method"], "opportunity": title, "association": assoc["name"],
            "organisation": None, "days": days, "told": told}


def purge(ctx: Context, *, now: dt.datetime | None = None) -> int:
    """Delete contact details older than the retention period; return how many."""
    moment = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return purge_expired(ctx.store, older_than=moment - dt.timedelta(days=retention_days(ctx)))


def inbox(ctx: Context, association_id: int) -> list[dict[str, Any]]:
    """The partner's interests (the purge runs first)."""
    purge(ctx)
    return list_interests(ctx.store, association_id)


def mark(ctx: Context, association_id: int, interest_id: int, status: str) -> dict[str, Any]:
    """Set an interest's status (contacts are wiped when handled; places follow)."""
    return set_interest_status(ctx.store, association_id, interest_id, status)


__all__ = ["METHOD_LABELS", "express_interest", "inbox", "mark", "parse_interest", "purge",
           "retention_days"]
