"""Association categories, and the category a name or description says.

The slugs are those ``Association.category`` holds (the demo data's too). :func:`infer_category`
reads a record's name, then its description, against the words of each category, most
specific first (a "repair café" is a repair café, not a community café), and says which
words it found: that evidence goes into the ingest report.
"""

from __future__ import annotations

import re

#: Category slug -> words that say it (regular expressions, matched case-insensitively on
#: word boundaries), most specific categories first.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "food_bank": (r"food ?banks?", r"pantry", r"pantries", r"food club", r"food hub",
                  r"community fridge", r"soup kitchen"),
    "repair_cafe": (r"repair caf[eé]", r"repair shop"),
    "mens_shed": (r"men'?s shed",),
    "waterway_trust": (r"canals?", r"towpaths?", r"waterways?", r"locks", r"navigation",
                       r"river trust"),
    "allotment": (r"allotments?",),
    "community_garden": (r"community garden", r"gardens?", r"gardening", r"growing"),
    "library": (r"librar(?:y|ies)",),
    "charity_shop": (r"charity shop", r"thrift"),
    "animal_rescue": (r"animal", r"rescue", r"rspca", r"sanctuary", r"dogs?", r"cats?"),
    "sports_club": (r"football", r"cricket", r"rugby", r"bowling", r"bowls", r"tennis",
                    r"golf", r"swimming", r"athletics", r"martial arts", r"karate", r"judo",
                    r"boxing", r"cycling", r"running", r"hockey", r"netball", r"sports?",
                    r"rowing", r"harriers"),
    "music": (r"choir", r"band", r"orchestra", r"music", r"singers"),
    "arts": (r"arts?", r"theatre", r"crafts?", r"gallery", r"drama"),
    "heritage": (r"heritage", r"museum", r"history", r"historical", r"archive"),
    "youth": (r"youth", r"scouts?", r"guides", r"brownies", r"cadets", r"young people"),
    "befriending": (r"befriend\w*", r"older people", r"age uk", r"loneliness", r"carers?"),
    "conservation": (r"conservation", r"wildlife", r"nature", r"woodlands?", r"parks?",
                     r"green space", r"trees?", r"environment\w*"),
    "community_cafe": (r"caf[eé]", r"coffee"),
    "business": (r"ltd", r"limited", r"plc", r"business"),
}
#: Every category an association can take (slug -> label), for forms: the slugs above and
#: ``other``. Ingest infers one of them; partners and admins choose one.
CATEGORY_LABELS: dict[str, str] = {
    "waterway_trust": "Canal or waterway trust", "conservation": "Conservation and nature",
    "allotment": "Allotment", "community_garden": "Community garden",
    "sports_club": "Sports club", "charity_shop": "Charity shop", "food_bank": "Food bank",
    "repair_cafe": "Repair café", "animal_rescue": "Animal rescue or farm", "arts": "Arts",
    "music": "Music (choir, band)", "heritage": "Heritage and history", "library": "Library",
    "community_cafe": "Community café", "youth": "Youth group", "mens_shed": "Men's shed",
    "befriending": "Befriending and care", "business": "Local business", "other": "Other",
}
_PATTERNS = {slug: re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)
             for slug, words in CATEGORY_WORDS.items()}


def infer_category(name: str | None, description: str | None = None
                   ) -> tuple[str, str] | None:
    """``(slug, evidence)`` of the category the name (else the description) says, or ``None``.

    Examples
    --------
    >>> infer_category("Stretford Food Bank")
    ('food_bank', "the name says 'Food Bank'")
    >>> infer_category("Friends of Longford", "We look after the park and its wildlife")
    ('conservation', "the description says 'park'")
    >>> infer_category("The Hub") is None
    True
    """
    for where, text in (("name", name), ("description", description)):
        if not text:
            continue
        for slug, pattern in _PATTERNS.items():
            m = pattern.search(text)
            if m is not None:
                return slug, f"the {where} says {m.group(0)!r}"
    return None
