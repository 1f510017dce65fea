"""Statuses, attendance modes, roles and location precisions: the allowed values.

The ORM (:mod:`store.models`) builds its CHECK constraints from these, ingest and the
partner rules check values against them, and the pages and API list them; so a new value
is added here once.
"""

from __future__ import annotations

from geo.geocode import PRECISIONS as GEOCODE_PRECISIONS

ORG_STATUSES = ("pending", "approved", "suspended")
"""Peer organisations and associations: ``approved`` is an approved partner."""
ATTENDANCE = ("in_person", "online", "hybrid")
"""How a meeting is attended."""
OPPORTUNITY_STATUSES = ("open", "paused", "filled", "closed")
"""A need's life: only ``open`` ones are offered to peers."""
ROLES = ("admin", "hotspot_lead", "association")
"""Staff user roles (peers have no accounts)."""
INTEREST_STATUSES = ("new", "contacted", "taking_part", "not_a_fit")
"""A peer's "I'm interested" in a partner's inbox; anything but ``new`` is handled."""
CONTACT_METHODS = ("email", "phone", "meeting")
"""How a peer who is interested asks to be reached: ``meeting`` = through their meeting's peer
organisation, and then nothing about the peer is stored."""
REVIEW_DECISIONS = ("approved", "rejected")
"""An admin's decision on an association that registered itself (a rejected one is kept as
``suspended``, with the reason, which its account sees)."""
TOKEN_PURPOSES = ("verify_email", "reset_password")
"""What a single-use emailed account token is for."""
PRECISIONS = GEOCODE_PRECISIONS
"""How precise a stored position is: surveyed/entered point, or geocoded from a postcode,
a postcode district, a postcode area or a town name. Anything but ``exact`` is shown to
users as approximate. The geocoders' own list (:data:`geo.geocode.PRECISIONS`): geo/ cannot
import domain/, so domain takes geo's."""

__all__ = ["ATTENDANCE", "CONTACT_METHODS", "INTEREST_STATUSES", "OPPORTUNITY_STATUSES",
           "ORG_STATUSES", "PRECISIONS", "REVIEW_DECISIONS", "ROLES", "TOKEN_PURPOSES"]
