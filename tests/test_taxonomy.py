"""Tests for matching/taxonomy.py: the interest vocabulary and its VDS mapping."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from matching import taxonomy
from matching.taxonomy import SLUGS
from matching.taxonomy import TERMS
from matching.taxonomy import VDS_NAMESPACE
from matching.taxonomy import InterestTerm
from matching.taxonomy import UnknownInterestError
from matching.taxonomy import interests_from_vds
from matching.taxonomy import normalise_interest
from matching.taxonomy import parse_interests
from matching.taxonomy import term
from matching.taxonomy import vds_from_interests

VDS_DIR = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "specs" / "volunteering-data-standard"
)

# A concept block in the standard's Turtle files: ":Name\n    a skos:Concept ; ... ."
_CONCEPT = re.compile(r"^:(\w+)\s*\n\s+a skos:Concept\s*;(.*?)^\.", re.MULTILINE | re.DOTALL)


def _concepts(filename: str) -> dict[str, str]:
    """Return {full URI: Turtle body} for every skos:Concept in one taxonomy file."""
    if not VDS_DIR.is_dir():
        pytest.skip(f"Volunteering Data Standard not found at {VDS_DIR}")
    text = (VDS_DIR / filename).read_text(encoding="utf-8")
    assert f"prefix :                <{VDS_NAMESPACE}>" in text
    concepts = {VDS_NAMESPACE + name: body for name, body in _CONCEPT.findall(text)}
    assert concepts, f"no concepts parsed from {filename}"
    return concepts


@pytest.fixture(scope="module")
def cause_concepts() -> dict[str, str]:
    return _concepts("taxonomy_cause.ttl")


@pytest.fixture(scope="module")
def skill_concepts() -> dict[str, str]:
    return _concepts("taxonomy_skill.ttl")


# --- the vocabulary itself ---------------------------------------------------------------------


def test_vocabulary_size_and_required_terms() -> None:
    assert 20 <= len(TERMS) <= 24
    required = {
        "outdoors",
        "conservation",
        "waterways",
        "gardening",
        "animals",
        "sport",
        "arts-crafts",
        "music",
        "cooking-food",
        "diy-repair",
        "it-digital",
        "admin-office",
        "retail",
        "befriending-care",
        "teaching-mentoring",
        "driving-transport",
        "events",
    }
    assert required <= set(SLUGS)
    assert term("arts-crafts").label == "Arts & crafts"
    assert term("diy-repair").label == "DIY & repair"


def test_slugs_unique_and_well_formed() -> None:
    slugs = [t.slug for t in TERMS]
    assert len(slugs) == len(set(slugs))
    assert tuple(slugs) == SLUGS
    for slug in slugs:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", slug), slug


def test_labels_unique() -> None:
    labels = [t.label.casefold() for t in TERMS]
    assert len(labels) == len(set(labels))


@pytest.mark.parametrize("t", TERMS, ids=lambda t: t.slug)
def test_term_fields(t: InterestTerm) -> None:
    assert isinstance(t, InterestTerm)
    assert t.label
    assert t.label.strip() == t.label
    # One plain sentence.
    assert t.description.endswith(".")
    assert t.description.count(". ") == 0
    assert t.synonyms
    for synonym in t.synonyms:
        assert synonym == synonym.lower().strip(), synonym
    assert len(t.synonyms) == len(set(t.synonyms))
    assert len(t.vds_causes) == len(set(t.vds_causes))
    assert len(t.vds_skills) == len(set(t.vds_skills))


def test_terms_are_frozen() -> None:
    with pytest.raises(AttributeError):
        TERMS[0].slug = "other"  # type: ignore[misc]


@pytest.mark.parametrize("t", TERMS, ids=lambda t: t.slug)
def test_every_term_has_a_cause(t: InterestTerm) -> None:
    assert len(t.vds_causes) >= 1


def test_synonyms_do_not_collide_across_terms() -> None:
    owner: dict[str, str] = {}
    for t in TERMS:
        for text in (t.slug, t.label, *t.synonyms):
            slug = normalise_interest(text)
            assert slug == t.slug, f"{text!r} of {t.slug!r} normalises to {slug!r}"
            owner.setdefault(text.lower(), t.slug)
            assert owner[text.lower()] == t.slug, text


def test_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(taxonomy.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


# --- URIs against the standard -----------------------------------------------------------------


def test_cause_uris_exist_in_cause_taxonomy(cause_concepts: dict[str, str]) -> None:
    for t in TERMS:
        for uri in t.vds_causes:
            assert uri in cause_concepts, f"{t.slug}: {uri} not in taxonomy_cause.ttl"
            # A real cause, not the taxonomy's top concept.
            assert "skos:broader" in cause_concepts[uri], uri


def test_skill_uris_exist_in_skill_taxonomy(skill_concepts: dict[str, str]) -> None:
    for t in TERMS:
        for uri in t.vds_skills:
            assert uri in skill_concepts, f"{t.slug}: {uri} not in taxonomy_skill.ttl"
            assert "skos:broader" in skill_concepts[uri], uri


def test_concept_parser_sees_known_concepts(
    cause_concepts: dict[str, str], skill_concepts: dict[str, str]
) -> None:
    # Guards the regex: if it parsed nothing useful the tests above would prove little.
    assert f"{VDS_NAMESPACE}Environment" in cause_concepts
    assert f"{VDS_NAMESPACE}YouthAndChildren" in cause_concepts
    assert f"{VDS_NAMESPACE}Driving" in skill_concepts
    assert f"{VDS_NAMESPACE}MentoringVolunteers" in skill_concepts
    assert len(cause_concepts) > 40
    assert len(skill_concepts) > 40


# --- lookup --------------------------------------------------------------------------------------


def test_term_returns_the_term() -> None:
    assert term("gardening").slug == "gardening"
    assert term("gardening") is TERMS[SLUGS.index("gardening")]


def test_unknown_interest_error_lists_valid_slugs() -> None:
    with pytest.raises(UnknownInterestError) as excinfo:
        term("gardning")
    error = excinfo.value
    message = str(error)
    assert "'gardning'" in message
    for slug in SLUGS:
        assert slug in message
    assert "Did you mean 'gardening'?" in message
    assert "normalise_interest" in message
    assert error.slug == "gardning"
    assert error.valid == SLUGS
    assert error.code == "unknown_interest"


def test_unknown_interest_error_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        term("nope")
    with pytest.raises(LookupError):
        term("nope")
    # Labels are not slugs.
    with pytest.raises(UnknownInterestError):
        term("Arts & crafts")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Arts & Crafts", "arts-crafts"),
        ("arts-crafts", "arts-crafts"),
        ("arts and crafts", "arts-crafts"),
        ("crafts", "arts-crafts"),
        ("ARTS_CRAFTS", "arts-crafts"),
        ("  Gardening  ", "gardening"),
        ("allotment", "gardening"),
        ("Cooking and food", "cooking-food"),
        ("cooking & food", "cooking-food"),
        ("Café", "cooking-food"),
        ("IT", "it-digital"),
        ("I.T.", "it-digital"),
        ("IT & Digital", "it-digital"),
        ("DIY", "diy-repair"),
        ("Well-being", "health-wellbeing"),
        ("canal", "waterways"),
        ("Animal", "animals"),
        ("Youth & children", "youth-children"),
        ("dial-a-ride", "driving-transport"),
    ],
)
def test_normalise_interest(text: str, expected: str) -> None:
    assert normalise_interest(text) == expected


@pytest.mark.parametrize("text", ["xyz", "", "   ", "&", "and", "knitting machines repair shop"])
def test_normalise_interest_unknown_is_none(text: str) -> None:
    assert normalise_interest(text) is None


def test_parse_interests_splits_known_and_unknown() -> None:
    assert parse_interests("gardening, music, xyz") == (["gardening", "music"], ["xyz"])


def test_parse_interests_dedupes_and_keeps_order() -> None:
    known, unknown = parse_interests(
        "Music; gardening,\nArts and crafts, music, GARDENING, xyz, XYZ, ,, abc"
    )
    assert known == ["music", "gardening", "arts-crafts"]
    assert unknown == ["xyz", "abc"]


def test_parse_interests_empty() -> None:
    assert parse_interests("") == ([], [])
    assert parse_interests(" , ;\n") == ([], [])


# --- VDS import and export -----------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_round_trip_single(slug: str) -> None:
    exported = vds_from_interests([slug])
    assert slug in interests_from_vds(exported["causes"] + exported["skills"])


def test_round_trip_many() -> None:
    slugs = ["waterways", "music", "driving-transport"]
    exported = vds_from_interests(slugs)
    back = interests_from_vds(exported["causes"] + exported["skills"])
    assert set(slugs) <= set(back)


def test_vds_from_interests_shape() -> None:
    exported = vds_from_interests(["gardening", "conservation", "gardening"])
    assert set(exported) == {"causes", "skills"}
    assert exported["causes"][0] == f"{VDS_NAMESPACE}Environment"
    assert len(exported["causes"]) == len(set(exported["causes"]))
    assert len(exported["skills"]) == len(set(exported["skills"]))
    assert vds_from_interests([]) == {"causes": [], "skills": []}
    # A bare string is one slug, not a list of letters.
    assert vds_from_interests("animals") == vds_from_interests(["animals"])


def test_vds_from_interests_unknown_slug() -> None:
    with pytest.raises(UnknownInterestError):
        vds_from_interests(["gardening", "xyz"])


def test_interests_from_vds() -> None:
    assert interests_from_vds([f"{VDS_NAMESPACE}AnimalWelfare"]) == ["conservation", "animals"]
    assert interests_from_vds(["volunteering:Driving"]) == ["driving-transport"]
    assert interests_from_vds(f"{VDS_NAMESPACE}Heritage") == ["waterways", "heritage"]
    # Unmapped or foreign URIs are ignored.
    assert interests_from_vds([f"{VDS_NAMESPACE}PilotLicense", "https://example.org/x"]) == []
    # Deduplicated, first URI first.
    assert interests_from_vds(
        [f"{VDS_NAMESPACE}YouthAndChildren", f"{VDS_NAMESPACE}BasicSafeguarding"]
    ) == ["youth-children", "befriending-care", "teaching-mentoring"]
