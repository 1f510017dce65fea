"""The evaluation table of README ("Evaluation"): engine and baselines on the frozen sets.

    python bench/evaluate.py                  # both sets, Markdown tables
    python bench/evaluate.py --set trafford   # one set
    python bench/evaluate.py --json           # machine-readable
    python bench/evaluate.py --write-readme   # replace the tables in README.md

The sets, metrics and intervals are described in :mod:`matching.evaluate`;
``tests/test_matching_evaluate.py`` fails when README and this command disagree.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from matching.evaluate import SETS
from matching.evaluate import evaluate_set
from matching.evaluate import format_table

README = Path(__file__).resolve().parents[1] / "README.md"


def marker(name: str) -> re.Pattern[str]:
    """The README block of one set's table."""
    return re.compile(rf"(<!-- evaluate:{name} -->\n)(.*?)(\n<!-- /evaluate:{name} -->)",
                      re.DOTALL)


def readme_tables(text: str) -> dict[str, str]:
    """The tables README shows, by set."""
    return {name: m.group(2) for name in SETS if (m := marker(name).search(text))}


def main(argv: list[str] | None = None) -> int:
    """Print (or write) the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, action="append", dest="sets")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    reports = [evaluate_set(name) for name in (args.sets or SETS)]
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        print("\n\n".join(format_table(r) for r in reports))
    if args.write_readme:
        text = README.read_text()
        for r in reports:
            pattern = marker(r.name)
            if not pattern.search(text):
                print(f"README has no <!-- evaluate:{r.name} --> block", file=sys.stderr)
                return 1
            text = pattern.sub(lambda m, r=r: m.group(1) + format_table(r) + m.group(3), text)
        README.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
