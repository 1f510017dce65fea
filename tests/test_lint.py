"""ruff and mypy --strict are clean; doctests run over every package; no test reads a clock."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    proc = subprocess.run([ruff, "check", "--no-cache", str(ROOT)], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# STYLE.md: strict typing on the pure and store layers (domain/ too, where it exists).
STRICT = ("geo", "domain", "matching", "store")


def test_mypy_strict_clean() -> None:
    """``mypy`` with pyproject's [tool.mypy] (strict) finds nothing in the strict packages."""
    mypy = shutil.which("mypy") or str(Path(sys.executable).with_name("mypy"))
    if not Path(mypy).exists():
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    config = _pyproject()["tool"]["mypy"]
    assert config["strict"] is True
    wanted = [p for p in STRICT if (ROOT / p / "__init__.py").exists()]
    assert [p for p in wanted if p not in config["files"]] == [], "add it to [tool.mypy] files"
    proc = subprocess.run([mypy, *wanted], capture_output=True, text=True, check=False,
                          cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues found" in proc.stdout


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_doctests_cover_every_shipped_package() -> None:
    """One mechanism, every package: pytest's --doctest-modules over each shipped package."""
    config = _pyproject()
    pytest_ini = config["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in pytest_ini["addopts"].split()
    shipped = [pattern.rstrip("*") for pattern in
               config["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert shipped
    missing = [package for package in shipped if package not in pytest_ini["testpaths"]]
    assert missing == [], f"add {missing} to [tool.pytest.ini_options] testpaths"
    other_ways = [path.name for path in sorted((ROOT / "tests").glob("*.py"))
                  if "doctest" + ".testmod" in path.read_text(encoding="utf-8")]
    assert other_ways == [], "doctests run through --doctest-modules only"


def test_no_test_times_itself() -> None:
    """Speed is measured in bench/ against a baseline of the same run, never asserted here."""
    clocks = ("perf_counter", "monotonic", "process_time", "time.time(")
    timed = [f"{path.name}: {clock}" for path in sorted((ROOT / "tests").glob("*.py"))
             if path.name != "test_lint.py"
             for clock in clocks if clock in path.read_text(encoding="utf-8")]
    assert timed == [], "move the measurement to a bench/ script"


def test_bench_scripts_import() -> None:
    """No test runs bench/, so a moved module would break a script silently: import each."""
    scripts = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")
    assert "pages" in scripts
    code = "\n".join(f"import bench.{name}" for name in scripts)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


# Issue 9: no module over ~600 lines, except generated data modules (a leading underscore and
# "Do not edit" in their docstring, built by a script in scripts/).
MAX_MODULE_LINES = 650
SHIPPED = ("geo", "domain", "store", "ingest", "matching", "maps", "service")


def _oversized(root: Path) -> list[str]:
    found = []
    for package in SHIPPED:
        for path in sorted((root / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            generated = path.name.startswith("_") and "Do not edit" in "\n".join(lines[:15])
            if len(lines) > MAX_MODULE_LINES and not generated:
                found.append(f"{path.relative_to(root)}: {len(lines)} lines")
    return found


def test_no_module_over_the_size_guide() -> None:
    assert _oversized(ROOT) == []


def test_size_guide_check_can_fail(tmp_path: Path) -> None:
    (tmp_path / "geo").mkdir()
    (tmp_path / "geo" / "big.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (tmp_path / "geo" / "_table.py").write_text('"""Generated. Do not edit."""\n' + "y = 2\n" * 900)
    assert _oversized(tmp_path) == [f"geo{os.sep}big.py: {MAX_MODULE_LINES + 1} lines"]
