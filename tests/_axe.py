"""axe-core in the browser tests: run it in a page and in every frame of it, report plainly.

The engine is ``axe.min.js`` as shipped inside the ``axe-playwright-python`` wheel (a test
dependency; axe-core is MPL-2.0): nothing is fetched at test time. It is put into each frame
with Playwright's ``evaluate`` (the DevTools protocol, which the page's Content-Security-Policy
does not govern), so the pages keep their strict CSP and their nonces while axe runs.

Every frame is checked on its own (``iframes: false``): the sandboxed ``srcdoc`` map frames
have an opaque origin, which axe's frame messaging would refuse, so each map's document gets
its own run. Rules about frames themselves (``frame-title``) run in the page that holds them.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

#: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (landmarks, heading
#: order, one main, ...): every rule axe tags with one of these.
#: ``COMMONGROUND_AXE_TAGS=wcag2a,wcag2aa`` runs another set (axe's tag names).
DEFAULT_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
TAGS = tuple(filter(None, os.environ.get("COMMONGROUND_AXE_TAGS", "").split(","))) or DEFAULT_TAGS


def axe_path() -> Path | None:
    """Where the installed ``axe-playwright-python`` keeps ``axe.min.js`` (None: missing)."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"
    return path if path.is_file() else None


def axe_version(script: str) -> str:
    """``4.12.1`` from the licence banner that opens ``axe.min.js``."""
    first = script.split("\n", 1)[0]
    return first.removeprefix("/*! axe v").strip()


_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], iframes: false});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
  }));
}"""


def run_axe(page: Any, script: str, tags: tuple[str, ...] = TAGS) -> list[dict[str, Any]]:
    """axe's violations in ``page`` and every frame of it, each with the frame's URL.

    Returns
    -------
    list of dict
        ``{"frame", "id", "impact", "help", "nodes": [{"target", "summary"}]}`` per rule
        broken, per frame (``frame`` is ``page`` or ``frame N (title)``).
    """
    found: list[dict[str, Any]] = []
    for n, frame in enumerate(page.frames):
        if frame.is_detached():
            continue
        if frame.evaluate("() => typeof window.axe === 'undefined'"):
            frame.evaluate(script)
        where = "page" if frame == page.main_frame else f"frame {n} ({frame.url[:40]})"
        found.extend({"frame": where, **v} for v in frame.evaluate(_RUN, list(tags)))
    return found


def describe(violations: list[dict[str, Any]], *, limit: int = 8) -> str:
    """One line per violation and element: ``rule-id [impact] frame: selector  (help)``."""
    lines = []
    for v in violations:
        for node in v["nodes"][:limit]:
            lines.append(f"  {v['id']} [{v['impact']}] {v['frame']}: {node['target']}"
                         f"  ({v['help']}; {node['summary'].splitlines()[-1].strip()})")
        if len(v["nodes"]) > limit:
            lines.append(f"  {v['id']}: ... and {len(v['nodes']) - limit} more elements")
    return "\n".join(lines)
