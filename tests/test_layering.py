"""The arrows of ARCHITECTURE.md, checked by parsing every import with ``ast``.

service -> {ingest, matching, maps, store, geo}; ingest -> {store, geo}; matching -> geo;
maps -> geo; store -> geo; geo -> nothing of ours. domain/ (the vocabulary) imports only geo,
and every other package may import it. Third-party libraries that belong to one
layer (flask, sqlalchemy, geoalchemy2, psycopg, folium) are checked too.
"""

from __future__ import annotations

import ast
import re
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


# -- inside service/: the use cases and the three faces (ARCHITECTURE.md) -------------------

USECASES = ROOT / "service" / "usecases"
FACES = ("service/web", "service/api", "service/cli")
#: What the use cases never import: the faces' frameworks.
FACE_LIBRARIES = ("flask", "flask_login", "flask_wtf", "flask_limiter", "click")
#: SQL in a string: a statement keyword followed by what makes it a statement.
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE|DROP\s+TABLE)\b", re.IGNORECASE | re.DOTALL)
#: Calls that run a statement on a session or connection.
STATEMENT_CALLS = {"execute", "executemany", "scalars", "scalar", "exec_driver_sql"}


def modules_of(path: Path) -> list[tuple[int, str]]:
    """Every imported module's full dotted name (``from a.b import c``: ``a.b`` and ``a.b.c``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
    return found


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def sql_in(path: Path) -> list[str]:
    """SQL-looking string literals and statement-running calls in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef,
                                    ast.ClassDef))
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    bad = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings and SQL.search(node.value)):
            bad.append(f"{_rel(path)}:{node.lineno} SQL in a string")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in STATEMENT_CALLS):
            bad.append(f"{_rel(path)}:{node.lineno} .{node.func.attr}(...)")
    return bad


def test_the_use_cases_import_no_face() -> None:
    """service/usecases/ is plain Python: no Flask, no click, no face of its own package."""
    bad = []
    for path in sorted(USECASES.rglob("*.py")):
        for lineno, module in modules_of(path):
            top = module.split(".")[0]
            if top in FACE_LIBRARIES or module.startswith(("service.web", "service.api",
                                                           "service.cli", "service.context")):
                bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    assert bad == []


def test_the_faces_hold_no_sql_and_no_models() -> None:
    """web/, api/ and cli/ parse, call a use case or a store function, and render."""
    bad = []
    for face in FACES:
        for path in sorted((ROOT / face).rglob("*.py")):
            bad += sql_in(path)
            bad += [f"{path.relative_to(ROOT)}:{lineno} imports {module}"
                    for lineno, module in modules_of(path)
                    if module.startswith(("store.models", "store.upsert", "store.refs"))]
    assert bad == []


@pytest.mark.parametrize("package", [p for p in OURS if p != "store"])
def test_no_sql_outside_store(package: str) -> None:
    """Only store/ speaks SQL: no SQL strings, no statements run, no sqlalchemy, elsewhere."""
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad += sql_in(path)
        bad += [f"{path.relative_to(ROOT)}:{lineno} imports {module}"
                for lineno, module in modules_of(path)
                if module.split(".")[0] in ("sqlalchemy", "geoalchemy2", "psycopg")]
    assert bad == []


def test_the_sql_checks_can_fail(tmp_path: Path) -> None:
    """The heuristics catch SQL in a string, a statement run on a session and a face import."""
    bad = tmp_path / "bad.py"
    bad.write_text('"""Doc: SELECT a FROM b is fine in a docstring."""\n'
                   'from flask import request\n'
                   'Q = "select id from meetings where active"\n'
                   'def f(session):\n    return session.scalars(Q)\n')
    found = sql_in(bad)
    assert [f.split(" ", 1)[1] for f in found] == ["SQL in a string", ".scalars(...)"]
    assert (2, "flask.request") in modules_of(bad)
