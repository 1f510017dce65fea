"""The CommonGround interest taxonomy and its mapping to the UK Volunteering Data Standard.

CommonGround links people in recovery with volunteering opportunities at community associations.
Opportunities (listed by associations) and peers (searching at a meeting or on the web) are
tagged with interests from one fixed, documented vocabulary, defined here as `TERMS`. Each
`InterestTerm` has a stable ``slug`` (stored in the database and used in URLs and the API, e.g.
``?interests=gardening,music``), a display ``label``, a one-sentence ``description`` and a
tuple of lower-case ``synonyms``. Free text is also matched elsewhere (TF-IDF in
``matching/``); the synonyms here are the words and phrases that point at a term, chosen to be
safe for whole-word matching in free text, so very short or common words such as "it" or "care"
are accepted only as whole interest items by `normalise_interest`.

The vocabulary is:

==========================  ======================================================
slug                        label
==========================  ======================================================
``outdoors``                Outdoors
``conservation``            Conservation
``waterways``               Waterways
``gardening``               Gardening
``animals``                 Animals
``sport``                   Sport
``arts-crafts``             Arts & crafts
``music``                   Music
``cooking-food``            Cooking & food
``diy-repair``              DIY & repair
``it-digital``              IT & digital
``admin-office``            Admin & office
``retail``                  Retail
``befriending-care``        Befriending & care
``teaching-mentoring``      Teaching & mentoring
``driving-transport``       Driving & transport
``events``                  Events
``heritage``                Heritage
``fundraising``             Fundraising
``environment-recycling``   Environment & recycling
``health-wellbeing``        Health & wellbeing
``advice-advocacy``         Advice & advocacy
``youth-children``          Youth & children
``faith-community``         Faith & community
==========================  ======================================================

Slugs are part of the data model: add terms freely, but never rename or remove one without a
migration of stored tags.

Mapping to the Volunteering Data Standard
-----------------------------------------
Each term maps to one or more concepts of the standard's Charitable Cause Taxonomy
(``vds_causes``) and zero or more concepts of its Skill Taxonomy (``vds_skills``), by full
concept URI in the ``https://ns.volunteeringdata.io/`` namespace, exactly as defined in
``taxonomy_cause.ttl`` and ``taxonomy_skill.ttl``. Causes are listed best fit first. The
standard's causes are broad (several of our terms map to ``Environment`` or ``Community``), so
`interests_from_vds` gives every term that lists a URI: treat its result as candidate tags when
importing. `vds_from_interests` gives the union of the terms' URIs, for exporting.

Licence and attribution
-----------------------
The cause and skill concepts (URIs, labels and definitions) come from the UK Volunteering Data
Standard, the "Volunteering and Social Action Ontology" (https://ns.volunteeringdata.io/,
https://standard.volunteeringdata.io/), by Matthieu Bosquet with the Volunteering Data Standard
Working Group. It is published under the Open Government Licence v3.0
(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/), which asks re-users
to acknowledge the source; as the standard gives no specific attribution statement, the
licence's default applies: "Contains public sector information licensed under the Open
Government Licence v3.0." The licence does not grant any right to suggest official status or
endorsement: the mapping of CommonGround's terms onto the standard's concepts is our own.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from typing import ClassVar

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "RELATED",
    "SLUGS",
    "TERMS",
    "VDS_ATTRIBUTION",
    "VDS_LICENCE_URL",
    "VDS_NAMESPACE",
    "InterestTerm",
    "UnknownInterestError",
    "interests_from_vds",
    "normalise_interest",
    "parse_interests",
    "term",
    "vds_from_interests",
]

VDS_NAMESPACE = "https://ns.volunteeringdata.io/"
"""Namespace of the Volunteering Data Standard; every concept URI starts with it."""

VDS_LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
"""The licence of the Volunteering Data Standard (Open Government Licence v3.0)."""

VDS_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Cause and skill concepts from the UK Volunteering Data Standard "
    "(https://ns.volunteeringdata.io/)."
)
"""Attribution to show wherever VDS concepts are published (e.g. export metadata, About page)."""

# Compact URIs ("volunteering:Environment") are equivalent to full ones in the standard.
_VDS_CURIE_PREFIX = "volunteering:"


@dataclass(frozen=True)
class InterestTerm:
    """One interest of the fixed CommonGround vocabulary.

    Parameters
    ----------
    slug
        Stable identifier, lower-case words joined by hyphens (``"arts-crafts"``).
    label
        Name shown to people (``"Arts & crafts"``).
    description
        One plain sentence saying what volunteering under this interest looks like.
    synonyms
        Lower-case words and phrases that point at this interest in free text. They are safe for
        whole-word matching and unique across the vocabulary.
    vds_causes
        Full URIs of Volunteering Data Standard cause concepts, best fit first; at least one.
    vds_skills
        Full URIs of Volunteering Data Standard skill concepts that the activity typically uses
        or lets a volunteer learn; may be empty.
    """

    slug: str
    label: str
    description: str
    synonyms: tuple[str, ...]
    vds_causes: tuple[str, ...]
    vds_skills: tuple[str, ...]


class UnknownInterestError(KeyError):
    """An interest slug that is not in the vocabulary.

    Parameters
    ----------
    slug
        The slug that was looked up.

    Attributes
    ----------
    slug
        The slug that was looked up.
    valid
        Every valid slug, in vocabulary order.
    suggestions
        Valid slugs close to `slug`, best first (may be empty).
    """

    code: ClassVar[str] = "unknown_interest"
    status: ClassVar[int] = 400

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.valid = SLUGS
        self.suggestions = tuple(difflib.get_close_matches(str(slug), SLUGS, n=3, cutoff=0.6))
        hint = (
            f" Did you mean {', '.join(repr(s) for s in self.suggestions)}?"
            if self.suggestions
            else ""
        )
        self.message = (
            f"slug={slug!r} is not an interest in the CommonGround vocabulary.{hint} "
            f"Valid slugs: {', '.join(SLUGS)}. "
            "Use normalise_interest() to turn a label or free text into a slug."
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        """Return the message as is (KeyError would show its repr, quotes and all)."""
        return self.message


_DATA = Path(__file__).with_name("data") / "interests.json"
"""The vocabulary as data: slugs, labels, descriptions, synonyms, related words, VDS URIs."""


def _read_terms(path: Path) -> tuple[InterestTerm, ...]:
    """The terms of ``path`` (``matching/data/interests.json``), in display order."""
    raw = json.loads(path.read_text(encoding="utf-8"))["terms"]
    return tuple(
        InterestTerm(
            slug=t["slug"], label=t["label"], description=t["description"],
            synonyms=tuple(t["synonyms"]), vds_causes=tuple(t["vds_causes"]),
            vds_skills=tuple(t["vds_skills"]),
        )
        for t in raw
    )


def _read_related(path: Path) -> MappingProxyType[str, tuple[str, ...]]:
    raw = json.loads(path.read_text(encoding="utf-8"))["terms"]
    return MappingProxyType({t["slug"]: tuple(t.get("related", ())) for t in raw})


TERMS: tuple[InterestTerm, ...] = _read_terms(_DATA)
"""The CommonGround interest vocabulary, in display order."""

SLUGS: tuple[str, ...] = tuple(t.slug for t in TERMS)
"""Every valid slug, in display order."""

RELATED: MappingProxyType[str, tuple[str, ...]] = _read_related(_DATA)
"""Slug -> everyday words and phrases that point at it more loosely than a synonym ("near
water", "boats" for waterways): understood from free text like synonyms, shown to the peer
as understood ("waterways, from 'near water'"), who can remove it. Not a field of
:class:`InterestTerm`, which is what the store's ``interests`` table holds."""

_BY_SLUG: MappingProxyType[str, InterestTerm] = MappingProxyType({t.slug: t for t in TERMS})

# Accepted as a whole interest item (a form field, a CLI list) but too short or common to be
# synonyms, which are also used to spot interests in free text.
_ITEM_ALIASES: dict[str, str] = {
    "it": "it-digital",
    "i t": "it-digital",
    "ict": "it-digital",
    "care": "befriending-care",
}

# Words shorter than this keep a final "s" ("bus", "gas") when looking for a singular form.
_MIN_PLURAL_LEN = 4
_ITEM_SEPARATORS = re.compile(r"[,;\n\r\t]+")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    """Fold `text` to a lookup key: ASCII lower case, words only, "and"/"&" dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = ascii_text.replace("'", "")  # "children's" -> "childrens"
    words = _NON_WORD.sub(" ", ascii_text).split()
    return " ".join(w for w in words if w != "and")


def _singular_key(key: str) -> str:
    """Strip a plural "s" from each word of `key` ("canals" -> "canal"; "class" kept)."""
    return " ".join(
        w[:-1] if len(w) >= _MIN_PLURAL_LEN and w.endswith("s") and not w.endswith("ss") else w
        for w in key.split()
    )


def _build_index() -> dict[str, str]:
    """Map the key of every slug, label, synonym and item alias to its slug.

    Raises
    ------
    ValueError
        If one key would point at two different terms (a mistake in `TERMS`).
    """
    index: dict[str, str] = {}
    entries: list[tuple[str, str]] = []
    for t in TERMS:
        entries += [(t.slug, t.slug), (t.label, t.slug)]
        entries += [(s, t.slug) for s in t.synonyms]
    entries += list(_ITEM_ALIASES.items())
    for text, slug in entries:
        key = _key(text)
        if index.setdefault(key, slug) != slug:
            msg = f"interest key {key!r} (from {text!r}) is claimed by {index[key]!r} and {slug!r}"
            raise ValueError(msg)
    return index


def _build_singular_index(index: dict[str, str]) -> dict[str, str]:
    """Map singular forms of the keys to slugs, leaving out forms shared by two terms."""
    singular: dict[str, str] = {}
    ambiguous: set[str] = set()
    for key, slug in index.items():
        form = _singular_key(key)
        if singular.setdefault(form, slug) != slug:
            ambiguous.add(form)
    for form in ambiguous:
        del singular[form]
    return singular


_INDEX = _build_index()
_SINGULAR_INDEX = _build_singular_index(_INDEX)


def _slug_map(attribute: str) -> dict[str, tuple[str, ...]]:
    """Map each VDS URI in `attribute` of the terms to the slugs that list it, in TERMS order."""
    by_uri: dict[str, list[str]] = {}
    for t in TERMS:
        for uri in getattr(t, attribute):
            by_uri.setdefault(uri, []).append(t.slug)
    return {uri: tuple(slugs) for uri, slugs in by_uri.items()}


_SLUGS_BY_VDS_URI: dict[str, tuple[str, ...]] = {
    **_slug_map("vds_causes"),
    **_slug_map("vds_skills"),
}


def term(slug: str) -> InterestTerm:
    """Return the term with this slug.

    Parameters
    ----------
    slug
        An exact slug such as ``"gardening"``; labels and free text go through
        `normalise_interest` first.

    Returns
    -------
    InterestTerm
        The term.

    Raises
    ------
    UnknownInterestError
        If `slug` is not in the vocabulary; the message lists the valid slugs.
    """
    try:
        return _BY_SLUG[slug]
    except (KeyError, TypeError):
        raise UnknownInterestError(slug) from None


def normalise_interest(text: str) -> str | None:
    """Return the slug that `text` names, or None.

    `text` may be a slug, a label or a synonym, in any case, with any punctuation and with
    "&" or "and" or neither: ``"Arts & Crafts"``, ``"arts-crafts"``, ``"arts and crafts"`` and
    ``"crafts"`` all give ``"arts-crafts"``. A simple plural or singular form of a known word
    also matches (``"canal"``, ``"animal"``).

    Parameters
    ----------
    text
        One interest, as typed.

    Returns
    -------
    str or None
        The slug, or None when nothing in the vocabulary matches.
    """
    key = _key(text)
    if not key:
        return None
    slug = _INDEX.get(key)
    if slug is None:
        slug = _SINGULAR_INDEX.get(_singular_key(key))
    return slug


def parse_interests(text: str) -> tuple[list[str], list[str]]:
    """Split a list of interests typed as text into known slugs and unknown items.

    Items are separated by commas, semicolons, tabs or new lines (not by "and", which is part of
    labels such as "Arts and crafts"). Each item goes through `normalise_interest`.

    Parameters
    ----------
    text
        For example ``"gardening, Music; xyz"``.

    Returns
    -------
    known : list of str
        Slugs of the recognised items, without duplicates, in the order first given.
    unknown : list of str
        The unrecognised items, stripped, without duplicates (ignoring case), in the order
        given.

    Examples
    --------
    >>> parse_interests("gardening, music, xyz")
    (['gardening', 'music'], ['xyz'])
    """
    known: list[str] = []
    unknown: list[str] = []
    seen_unknown: set[str] = set()
    for raw in _ITEM_SEPARATORS.split(text):
        item = raw.strip()
        if not item:
            continue
        slug = normalise_interest(item)
        if slug is None:
            if item.casefold() not in seen_unknown:
                seen_unknown.add(item.casefold())
                unknown.append(item)
        elif slug not in known:
            known.append(slug)
    return known, unknown


def _full_vds_uri(uri: str) -> str:
    """Expand a ``volunteering:`` compact URI; return anything else stripped but unchanged."""
    uri = uri.strip()
    if uri.startswith(_VDS_CURIE_PREFIX):
        return VDS_NAMESPACE + uri.removeprefix(_VDS_CURIE_PREFIX)
    return uri


def interests_from_vds(uris: Iterable[str]) -> list[str]:
    """Return the interests that Volunteering Data Standard cause and skill concepts point at.

    For importing data published in the standard: each URI gives every term that lists it among
    its causes or skills. Broad causes (e.g. ``Environment``, ``Community``) give several terms,
    so treat the result as candidate tags.

    Parameters
    ----------
    uris
        Cause and/or skill concept URIs, full (``"https://ns.volunteeringdata.io/Heritage"``) or
        compact (``"volunteering:Heritage"``). A single string is taken as one URI. URIs no term
        maps to (other taxonomies, unmapped concepts) are ignored.

    Returns
    -------
    list of str
        Slugs without duplicates, ordered by the first URI that gives each, then vocabulary
        order.
    """
    if isinstance(uris, str):
        uris = (uris,)
    slugs: list[str] = []
    for uri in uris:
        for slug in _SLUGS_BY_VDS_URI.get(_full_vds_uri(uri), ()):
            if slug not in slugs:
                slugs.append(slug)
    return slugs


def vds_from_interests(slugs: Iterable[str]) -> dict[str, list[str]]:
    """Return the Volunteering Data Standard concepts for some interests, for exporting.

    Parameters
    ----------
    slugs
        Interest slugs. A single string is taken as one slug.

    Returns
    -------
    dict
        ``{"causes": [...], "skills": [...]}``: full concept URIs without duplicates, in the
        order of the slugs, then of each term's own lists.

    Raises
    ------
    UnknownInterestError
        If a slug is not in the vocabulary.
    """
    if isinstance(slugs, str):
        slugs = (slugs,)
    causes: list[str] = []
    skills: list[str] = []
    for slug in slugs:
        t = term(slug)
        causes += [uri for uri in t.vds_causes if uri not in causes]
        skills += [uri for uri in t.vds_skills if uri not in skills]
    return {"causes": causes, "skills": skills}
