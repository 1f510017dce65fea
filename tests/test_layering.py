"""The arrows of ARCHITECTURE.md, checked by parsing every import with ``ast``.

service -> {ingest, matching, maps, store, geo}; ingest -> {store, geo}; matching -> geo;
maps -> geo; store -> geo; geo -> nothing of ours. domain/ (the vocabulary) imports only geo,
and every other package may import it. Third-party libraries that belong to one
layer (flask, sqlalchemy, geoalchemy2, psycopg, folium) are checked too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("geo", "domain", "store", "ingest", "matching", "maps", "service")
ALLOWED: dict[str, set[str]] = {
    "geo": set(),
    "domain": {"geo"},  # the vocabulary: everything may import it, it imports only geo/
    "store": {"geo", "domain"},
    "ingest": {"store", "geo", "domain"},
    "matching": {"geo", "domain"},
    "maps": {"geo", "domain"},
    "service": {"ingest", "matching", "maps", "store", "geo", "domain"},
}
# Third-party packages and the only package of ours that may import them.
OWNED = {"flask": "service", "werkzeug": "service", "click": "service", "sqlalchemy": "store",
         "geoalchemy2": "store", "psycopg": "store", "alembic": "store", "folium": "maps"}
# Test and bench support: never imported by a shipped package.
NOT_SHIPPED = ("testing", "bench", "tests")


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT)
        for lineno, top in imports_of(path):
            if top in OURS and top != package and top not in ALLOWED[package]:
                bad.append(f"{rel}:{lineno} imports {top} ({package} -> {top} is not allowed)")
            if top in NOT_SHIPPED:
                bad.append(f"{rel}:{lineno} imports {top}, which is not shipped")
            owner = OWNED.get(top)
            if owner and owner != package:
                bad.append(f"{rel}:{lineno} imports {top}, which belongs to {owner}/")
    return bad


@pytest.mark.parametrize("package", OURS)
def test_layering(package: str) -> None:
    assert (ROOT / package / "__init__.py").exists()
    assert violations(package) == []


def test_checker_catches_a_wrong_arrow(tmp_path: Path) -> None:
    """The checker itself must be able to fail."""
    bad = tmp_path / "bad.py"
    bad.write_text("import store.models\nfrom flask import Flask\nfrom . import x\n")
    assert [top for _, top in imports_of(bad)] == ["store", "flask"]


def test_ingest_leaves_models_and_sql_to_store() -> None:
    """ingest/ asks store/ by kind; it never builds statements from the models itself."""
    bad = []
    for path in sorted((ROOT / "ingest").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad.extend(f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom)
                   and node.module in ("store.models", "store.upsert"))
    assert bad == []
