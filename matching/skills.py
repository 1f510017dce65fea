"""The skills a peer can learn, for outcome records: the taxonomy's own skill concepts.

Every interest term lists the UK Volunteering Data Standard skill concepts the activity
typically uses (``vds_skills`` in ``matching/data/interests.json``). Their union is the fixed
list partners and peer organisations choose from when they record what peers learned: no
free text, so nothing about a peer can slip in. A skill's slug is the concept's local name in
lower case with hyphens (``ActiveListening`` -> ``active-listening``); its label is the same
words in plain English.

The concepts come from the Volunteering Data Standard (Open Government Licence v3.0; see
:data:`matching.taxonomy.VDS_ATTRIBUTION`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from matching.taxonomy import TERMS
from matching.taxonomy import VDS_NAMESPACE

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class Skill:
    """One skill of the list.

    ``slug``, plain ``label``, the standard's ``uri``, and the interest slugs whose
    activities use it (``interests``).
    """

    slug: str
    label: str
    uri: str
    interests: tuple[str, ...]


# Words the split of a CamelCase name gets wrong.
_LABELS = {
    "BasicITSkills": "Basic IT skills", "HGVCategoryD": "Driving a minibus or bus (category D)",
    "PhoneOnlineSupport": "Phone and online support",
    "CrowdQueueManagement": "Crowd and queue management",
    "DigitalAndTechnology": "Digital and technology",
}


def _label(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", name)
    text = " ".join(w.lower() for w in words)
    return text[:1].upper() + text[1:]


def _slug(name: str) -> str:
    return "-".join(w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|\d+", name))


def _skills() -> tuple[Skill, ...]:
    users: dict[str, list[str]] = {}
    for t in TERMS:
        for uri in t.vds_skills:
            users.setdefault(uri, []).append(t.slug)
    found = [Skill(_slug(uri.removeprefix(VDS_NAMESPACE)), _label(uri.removeprefix(
        VDS_NAMESPACE)), uri, tuple(slugs)) for uri, slugs in users.items()]
    return tuple(sorted(found, key=lambda s: s.label.lower()))


SKILLS: tuple[Skill, ...] = _skills()
"""Every skill of the list, by label."""
SKILL_LABELS: MappingProxyType[str, str] = MappingProxyType({s.slug: s.label for s in SKILLS})
"""Slug -> label."""


def skills_for(interests: Iterable[str]) -> list[Skill]:
    """The skills of the list, those used by ``interests`` (a need's tags) first."""
    wanted = set(interests)
    return sorted(SKILLS, key=lambda s: (not wanted.intersection(s.interests), s.label.lower()))


__all__ = ["SKILLS", "SKILL_LABELS", "Skill", "skills_for"]
