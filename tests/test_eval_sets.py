"""The evaluation sets are frozen: written before any tuning, checked by hash.

Changing a file under ``tests/data/eval/`` is a decision to re-baseline the evaluation (say so
in the commit and update the hash here), never a way to make a number look better.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

EVAL = Path(__file__).parent / "data" / "eval"
FROZEN = {
    "everyday_requests.json": "c0992a10d3edd8beb707237d9c54519b40ee4e100faf5f7d6aaee1caf1008306",
    "everyday_catalogue.csv": "a7de151d22d0292a1a4688c5d0f2858be45e540d07f4378a0b8c19bd6b938f19",
    "everyday_origins.csv": "17aedce0bf52693ee196bc9033cfeaefd89a8b22a808666878e0919973af1e77",
    "trafford_requests.json": "443d58ea7a585b17f8bd2fc418577c3cd27ccf706dbb2bb8b9790869a3062514",
    "trafford_catalogue.csv": "1eadb4c7492672d3de9a3bad8e8861837da44f2e17f0fb941188bf0155cd7af8",
    "trafford_origins.csv": "bfd1f064956e2c3b05c17f1657a26306cd2f71334375a2bc3b86837252c1e370",
}


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_frozen(name: str) -> None:
    digest = hashlib.sha256((EVAL / name).read_bytes()).hexdigest()
    assert digest == FROZEN[name], f"{name} changed: the evaluation sets are frozen"


def test_everyday_set_is_large_and_judged_against_the_catalogue() -> None:
    requests = json.loads((EVAL / "everyday_requests.json").read_text())["requests"]
    labels = set(pd.read_csv(EVAL / "everyday_catalogue.csv")["label"])
    assert len(requests) >= 60
    assert len({r["text"].lower() for r in requests}) == len(requests)
    for r in requests:
        assert r["judgments"], r["id"]
        assert set(r["judgments"]) <= labels, r["id"]
        assert set(r["judgments"].values()) <= {1, 2, 3}, r["id"]


def test_trafford_labels_name_real_kinds() -> None:
    requests = json.loads((EVAL / "trafford_requests.json").read_text())["requests"]
    catalogue = pd.read_csv(EVAL / "trafford_catalogue.csv", keep_default_na=False)
    kinds = {part.strip() for label in catalogue["label"] for part in
             label.replace("sport:", "").split(",") if label}
    for r in requests:
        for key in r["judgments"]:
            assert key.replace("sport:", "") in kinds, (r["id"], key)
    # The engine's text never names a club's sport through its label column.
    assert "label" in catalogue.columns
